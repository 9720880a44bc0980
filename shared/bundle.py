"""The model bundle: ``models/<version>/`` = model.json + catalog.parquet + manifest.json.

JSON and Parquet only: loading a bundle can never run code. The trainer writes bundles with
:func:`write_bundle` (manifest last, then read back and verified); the API loads them with
:func:`load_bundle`, which refuses any file whose sha256 or size differs from the manifest.

``catalog.parquet`` (format 2) holds every track's record (:data:`shared.schema.TRACK_COLUMNS`:
metadata and the audio features in original units), its cluster, and one float32 column
``scaled_<feature>`` per model feature. A format-1 bundle (scaled features under their own
names, fewer track columns) is read into the same shape.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from shared.errors import BundleIntegrityError, ManifestMissing, ModelNotFound
from shared.manifest import file_entry, published_ids, read_manifest, verify_entry, verify_files, write_manifest
from shared.schema import FEATURE_NAMES, TRACK_COLUMNS
from shared.storage import ObjectStore

FORMAT_VERSION = 2
SCALED_PREFIX = "scaled_"
MODELS_ROOT = "models"
MODEL_FILE = "model.json"
CATALOG_FILE = "catalog.parquet"
ARROW_TYPES = {
    "string": pa.string(), "int": pa.int32(), "long": pa.int64(), "bool": pa.bool_(), "double": pa.float64(),
    "list<string>": pa.list_(pa.string()),
}  # fmt: skip


def model_prefix(version: str) -> str:
    return f"{MODELS_ROOT}/{version}"


class ClusterInfo(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: int
    label: str
    size: int = Field(ge=0)
    centroid: dict[str, float]


class Scaler(BaseModel):
    mean: list[float]
    scale: list[float]


class ModelDocument(BaseModel):
    """What ``model.json`` holds; validated on load so a malformed bundle is refused."""

    model_config = ConfigDict(extra="allow")

    format_version: int = FORMAT_VERSION
    version: str
    created_at: str
    features: list[str]
    k: int = Field(ge=2)
    scaler: Scaler
    centroids: list[list[float]]
    clusters: list[ClusterInfo]
    params: dict[str, Any] = {}
    metrics: dict[str, Any] = {}
    lineage: dict[str, Any] = {}

    @model_validator(mode="after")
    def _shapes_agree(self) -> "ModelDocument":
        n = len(self.features)
        unknown = [f for f in self.features if f not in FEATURE_NAMES]
        if unknown:
            raise ValueError(f"features {unknown} are not in the schema")
        if len(self.scaler.mean) != n or len(self.scaler.scale) != n:
            raise ValueError(f"scaler has {len(self.scaler.mean)}/{len(self.scaler.scale)} values for {n} features")
        if any(s <= 0 for s in self.scaler.scale):
            raise ValueError("scaler.scale must be positive")
        if len(self.centroids) != self.k or any(len(c) != n for c in self.centroids):
            raise ValueError(f"centroids must be {self.k} x {n}")
        if sorted(c.id for c in self.clusters) != list(range(self.k)):
            raise ValueError(f"clusters must have ids 0..{self.k - 1}")
        return self


@dataclass(frozen=True)
class Bundle:
    version: str
    model: ModelDocument
    catalog: pa.Table
    manifest: dict[str, Any]

    def scaled_features(self) -> np.ndarray:
        """The catalog's scaled features as one float32 (rows x features) array."""
        columns = [self.catalog.column(SCALED_PREFIX + f).to_numpy() for f in self.model.features]
        return np.column_stack(columns).astype(np.float32, copy=False)


def catalog_schema(features: list[str]) -> pa.Schema:
    """``catalog.parquet``: the track columns, the cluster, then one float32 column per model feature (scaled)."""
    return pa.schema(
        [
            *[(name, ARROW_TYPES[kind]) for name, kind in TRACK_COLUMNS.items()],
            ("cluster", pa.int32()),
            *[(SCALED_PREFIX + f, pa.float32()) for f in features],
        ]
    )


def _conform(catalog: pa.Table, schema: pa.Schema) -> pa.Table:
    """``catalog`` in the schema's column order and types; track columns it lacks are null."""
    rows = catalog.num_rows
    columns = [
        catalog.column(field.name) if field.name in catalog.column_names else pa.nulls(rows, field.type)
        for field in schema
    ]
    return pa.table(columns, schema=pa.schema([field.with_nullable(True) for field in schema])).cast(schema)


def _from_format_1(catalog: pa.Table, document: ModelDocument) -> pa.Table:
    """A format-1 catalog (scaled features under the features' names) with format 2's columns:
    the model's features in original units come from the scaled ones and the scaler."""
    for at, feature in enumerate(document.features):
        scaled = catalog.column(feature)
        original = pa.array(scaled.to_numpy().astype(np.float64) * document.scaler.scale[at] + document.scaler.mean[at])
        catalog = catalog.drop_columns([feature]).append_column(SCALED_PREFIX + feature, scaled).append_column(feature, original)
    return catalog


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def parse_model(data: bytes, where: str) -> ModelDocument:
    try:
        return ModelDocument.model_validate_json(data)
    except ValidationError as exc:
        raise BundleIntegrityError(f"{where}/{MODEL_FILE} is not a valid model document: {exc}") from exc


def write_bundle(store: ObjectStore, model: dict[str, Any], catalog: pa.Table, **manifest_fields: Any) -> dict[str, Any]:
    """Publish ``models/<model['version']>/``: files, then the manifest, then verify it all.

    Returns the manifest. Raises if what reads back differs from what was written.
    """
    document = ModelDocument.model_validate(model)  # refuse to publish what could not load
    expected = catalog_schema(document.features)
    required = ["cluster", *[SCALED_PREFIX + f for f in document.features]]
    absent = [name for name in required if name not in catalog.column_names]
    if absent:
        raise BundleIntegrityError(f"a model catalog needs the columns {absent}", details={"missing": absent})
    catalog = _conform(catalog, expected)
    prefix = model_prefix(document.version)
    files = {
        MODEL_FILE: json.dumps(model, indent=2, sort_keys=True, allow_nan=False).encode(),
        CATALOG_FILE: _parquet_bytes(catalog),
    }
    for name, data in files.items():
        store.put_bytes(f"{prefix}/{name}", data, "application/json" if name.endswith(".json") else "application/octet-stream")
    manifest = write_manifest(
        store,
        prefix,
        {name: file_entry(data) for name, data in files.items()},
        kind="model",
        format_version=FORMAT_VERSION,
        version=document.version,
        **manifest_fields,
    )
    load_bundle(store, document.version)  # read back and verify before anyone may point at it
    return manifest


def load_bundle(store: ObjectStore, version: str) -> Bundle:
    """Download, verify and parse a published bundle; refuses anything that does not match."""
    prefix = model_prefix(version)
    manifest = read_model_manifest(store, version)
    missing = {MODEL_FILE, CATALOG_FILE} - set(manifest.get("files", {}))
    if missing:
        raise BundleIntegrityError(f"{store.uri(prefix)} manifest lists no {sorted(missing)}", details={"missing": sorted(missing)})
    files = verify_files(store, prefix, manifest)
    document = parse_model(files[MODEL_FILE], store.uri(prefix))
    if document.version != version:
        raise BundleIntegrityError(f"{store.uri(prefix)}/{MODEL_FILE} says version {document.version!r}")
    try:
        catalog = pq.read_table(io.BytesIO(files[CATALOG_FILE]))
    except (pa.ArrowException, OSError) as exc:
        raise BundleIntegrityError(f"{store.uri(prefix)}/{CATALOG_FILE} is not readable Parquet: {exc}") from exc
    if manifest.get("format_version", 1) == 1:
        catalog = _from_format_1(catalog, document)
    expected = catalog_schema(document.features)
    required = ["track_id", "track_name", "artist_name", "cluster", *[SCALED_PREFIX + f for f in document.features]]
    absent = [name for name in required if name not in catalog.column_names]
    if absent:
        raise BundleIntegrityError(f"{store.uri(prefix)}/{CATALOG_FILE} lacks columns {absent}")
    try:
        catalog = _conform(catalog, expected)
    except (pa.ArrowException, ValueError) as exc:
        raise BundleIntegrityError(f"{store.uri(prefix)}/{CATALOG_FILE} has columns of the wrong type: {exc}") from exc
    return Bundle(version, document, catalog, manifest)


def read_model_manifest(store: ObjectStore, version: str) -> dict[str, Any]:
    try:
        return read_manifest(store, model_prefix(version))
    except ManifestMissing as exc:
        raise ModelNotFound(f"model version {version!r} is not published", details={"version": version}) from exc


def read_model_document(store: ObjectStore, version: str) -> ModelDocument:
    """Only model.json of a published bundle, checked against its manifest (no catalog)."""
    prefix = model_prefix(version)
    manifest = read_model_manifest(store, version)
    entry = manifest.get("files", {}).get(MODEL_FILE)
    if entry is None:
        raise BundleIntegrityError(f"{store.uri(prefix)} manifest lists no {MODEL_FILE}")
    data = verify_entry(MODEL_FILE, store.get_bytes(f"{prefix}/{MODEL_FILE}"), entry, store.uri(prefix))
    return parse_model(data, store.uri(prefix))


def list_versions(store: ObjectStore) -> list[str]:
    """Published model versions, oldest first."""
    return published_ids(store, MODELS_ROOT)
