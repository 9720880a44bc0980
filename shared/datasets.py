"""Published datasets: ``datasets/<dataset_id>/`` = Parquet parts + rejects + manifest.json.

Ingest writes them with Spark; the trainer and the API read them through this module. Only
a prefix with a manifest is a dataset; the newest is the one created last.
"""

from __future__ import annotations

import io
from typing import Any, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from shared.errors import DatasetNotFound, ManifestMissing, StorageError
from shared.manifest import manifest_sha256, published_ids, read_manifest
from shared.storage import ObjectStore

DATASETS_ROOT = "datasets"
REJECTS_DIR = "rejects"


def dataset_prefix(dataset_id: str) -> str:
    return f"{DATASETS_ROOT}/{dataset_id}"


def read_dataset_manifest(store: ObjectStore, dataset_id: str) -> dict[str, Any]:
    try:
        return read_manifest(store, dataset_prefix(dataset_id))
    except ManifestMissing as exc:
        known = store.list_children(DATASETS_ROOT)
        why = "has no manifest (unfinished or failed ingest)" if dataset_id in known else "does not exist"
        raise DatasetNotFound(f"dataset {dataset_id!r} {why}", details={"dataset_id": dataset_id}) from exc


def dataset_manifest_sha256(store: ObjectStore, dataset_id: str) -> str:
    try:
        return manifest_sha256(store, dataset_prefix(dataset_id))
    except ManifestMissing as exc:
        raise DatasetNotFound(f"dataset {dataset_id!r} is not published", details={"dataset_id": dataset_id}) from exc


def list_datasets(store: ObjectStore) -> list[dict[str, Any]]:
    """Manifests of every complete dataset, oldest first (by ``created_at``, then id)."""
    manifests = [read_manifest(store, dataset_prefix(i)) | {"dataset_id": i} for i in published_ids(store, DATASETS_ROOT)]
    return sorted(manifests, key=lambda m: (m.get("created_at", ""), m["dataset_id"]))


def newest_dataset_id(store: ObjectStore) -> str:
    datasets = list_datasets(store)
    if not datasets:
        raise DatasetNotFound("no complete dataset is published yet: ingest a catalog first")
    return datasets[-1]["dataset_id"]


def part_keys(store: ObjectStore, dataset_id: str, rejects: bool = False) -> list[str]:
    """The Parquet parts of the kept rows (or of the rejects), in name order."""
    base = dataset_prefix(dataset_id) + "/" + (f"{REJECTS_DIR}/" if rejects else "")
    return [
        key
        for key in store.list(base)
        if key.endswith(".parquet") and (rejects or f"/{REJECTS_DIR}/" not in key[len(dataset_prefix(dataset_id)) :])
    ]


def load_table(store: ObjectStore, dataset_id: str, columns: Sequence[str] | None = None, rejects: bool = False) -> pa.Table:
    """Read a published dataset's rows (or rejects) into one Arrow table."""
    read_dataset_manifest(store, dataset_id)  # refuse unpublished prefixes
    tables = []
    for key in part_keys(store, dataset_id, rejects):
        try:
            tables.append(pq.read_table(io.BytesIO(store.get_bytes(key)), columns=list(columns) if columns else None))
        except (pa.ArrowException, OSError) as exc:
            raise StorageError(f"{store.uri(key)} is not readable Parquet: {exc}", details={"object": store.uri(key)}) from exc
    if not tables:
        return pa.table({}) if not columns else pa.table({c: pa.array([], pa.null()) for c in columns})
    return pa.concat_tables(tables, promote_options="permissive")
