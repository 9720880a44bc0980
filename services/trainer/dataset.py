"""The rows a model is trained on: a published dataset's tracks and their feature matrix."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pyarrow as pa

from shared.datasets import dataset_manifest_sha256, load_table, newest_dataset_id, read_dataset_manifest
from shared.errors import InvalidInput
from shared.ids import check_id
from shared.schema import TRACK_COLUMNS

# What every dataset a model is trained on must have, besides the features it uses.
REQUIRED_COLUMNS = ("track_id", "track_name", "artist_name")
from shared.storage import ObjectStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainingData:
    dataset_id: str
    manifest: dict[str, Any]
    manifest_sha256: str
    features: tuple[str, ...]
    tracks: pa.Table  # TRACK_COLUMNS, one row per track
    matrix: np.ndarray  # rows x features, original units, float64

    @property
    def rows(self) -> int:
        return int(self.matrix.shape[0])


def resolve_dataset_id(store: ObjectStore, dataset_id: str | None) -> str:
    """The dataset asked for, or the newest complete one when none is named."""
    if dataset_id is None:
        return newest_dataset_id(store)
    return check_id(dataset_id, "dataset_id")


def load_training_data(store: ObjectStore, dataset_id: str, features: Sequence[str]) -> TrainingData:
    """Read a published dataset; refuse one without rows or with unusable feature values."""
    manifest = read_dataset_manifest(store, dataset_id)
    digest = dataset_manifest_sha256(store, dataset_id)
    declared = manifest.get("schema")
    if isinstance(declared, dict):
        absent = [c for c in (*REQUIRED_COLUMNS, *features) if c not in declared]
        if absent:
            raise InvalidInput(f"dataset {dataset_id!r} has no column(s) {absent}", details={"dataset_id": dataset_id})
        table = load_table(store, dataset_id, [c for c in declared if c in TRACK_COLUMNS or c in features])
    else:
        table = load_table(store, dataset_id)
    if table.num_rows == 0:
        raise InvalidInput(
            f"dataset {dataset_id!r} is empty: it has no rows to train on "
            f"(manifest: {manifest.get('rows_kept', '?')} kept of {manifest.get('rows_read', '?')} read)",
            details={"dataset_id": dataset_id},
        )
    matrix = np.column_stack([_finite_column(table, name, dataset_id) for name in features])
    log.info("loaded dataset", extra={"dataset_id": dataset_id, "rows": table.num_rows, "features": list(features)})
    return TrainingData(dataset_id, manifest, digest, tuple(features), track_records(table), matrix)


def track_records(table: pa.Table) -> pa.Table:
    """The dataset's track columns (those of :data:`TRACK_COLUMNS` it has); a dataset without a
    ``genres`` list gets one from its ``genre`` (one label, or none)."""
    tracks = table.select([c for c in TRACK_COLUMNS if c in table.column_names])
    if "genres" not in tracks.column_names and "genre" in tracks.column_names:
        genre = tracks.column("genre").combine_chunks()
        offsets = np.concatenate([[0], np.cumsum(np.asarray(genre.is_valid()), dtype=np.int32)]).astype(np.int32)
        genres = pa.ListArray.from_arrays(pa.array(offsets), genre.drop_null(), mask=genre.is_null())
        tracks = tracks.append_column("genres", genres)
    return tracks


def _finite_column(table: pa.Table, name: str, dataset_id: str) -> np.ndarray:
    values = table.column(name).to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
    bad = int(np.count_nonzero(~np.isfinite(values)))
    if bad:
        raise InvalidInput(
            f"dataset {dataset_id!r}: feature {name!r} has {bad} null or non-finite value(s), "
            "which a published dataset never may",
            details={"dataset_id": dataset_id, "feature": name, "bad_values": bad},
        )
    return values
