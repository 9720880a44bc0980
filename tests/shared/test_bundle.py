import io
import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from shared.bundle import catalog_schema, list_versions, load_bundle, read_model_document, write_bundle
from shared.manifest import file_entry, write_manifest
from shared.errors import BundleIntegrityError, ModelNotFound
from shared.ids import new_id
from shared.storage import ObjectStore

FEATURES = ["danceability", "energy", "tempo"]


def tiny_model(version: str) -> tuple[dict, pa.Table]:
    model = {
        "version": version,
        "created_at": "2026-11-26T00:00:00Z",
        "features": FEATURES,
        "k": 2,
        "scaler": {"mean": [0.5, 0.5, 120.0], "scale": [0.2, 0.2, 30.0]},
        "centroids": [[-1.0, -1.0, -1.0], [1.0, 1.0, 1.0]],
        "clusters": [
            {"id": 0, "label": "calm", "size": 2, "centroid": {"danceability": 0.3, "energy": 0.3, "tempo": 90.0}},
            {"id": 1, "label": "upbeat", "size": 1, "centroid": {"danceability": 0.7, "energy": 0.7, "tempo": 150.0}},
        ],
        "params": {"k": 2, "seed": 0},
        "metrics": {"silhouette": 0.5},
        "lineage": {"dataset_id": "d1"},
    }
    catalog = pa.table(
        {
            "track_id": ["a", "b", "c"],
            "track_name": ["A", "B", None],
            "artist_name": ["x", "y", "z"],
            "genre": ["jazz", None, "rock"],
            "popularity": [1, 2, 3],
            "cluster": [0, 0, 1],
            "scaled_danceability": np.array([-1.0, -0.9, 1.0]),
            "scaled_energy": np.array([-1.0, -1.1, 1.0]),
            "scaled_tempo": np.array([-1.0, -1.0, 1.0]),
            "tempo": np.array([90.0, 90.0, 150.0]),
        }
    )
    return model, catalog


def test_bundle_round_trip(store: ObjectStore) -> None:
    version = new_id()
    model, catalog = tiny_model(version)
    manifest = write_bundle(store, model, catalog)
    assert set(manifest["files"]) == {"model.json", "catalog.parquet"}
    bundle = load_bundle(store, version)
    assert bundle.model.features == FEATURES and bundle.model.k == 2
    assert bundle.catalog.column("track_id").to_pylist() == ["a", "b", "c"]
    assert bundle.scaled_features().dtype == np.float32 and bundle.scaled_features().shape == (3, 3)
    assert bundle.catalog.column_names == catalog_schema(FEATURES).names  # every track column, the lacking ones null
    assert bundle.catalog.column("tempo").to_pylist() == [90.0, 90.0, 150.0] and bundle.catalog.column("year").null_count == 3
    assert read_model_document(store, version).clusters[1].label == "upbeat"
    assert list_versions(store) == [version]


def test_a_format_1_bundle_is_read_into_the_format_2_shape(store: ObjectStore) -> None:
    """A bundle published before track records were kept: scaled features under their own names."""
    version = new_id()
    model, catalog = tiny_model(version)
    old = catalog.select(["track_id", "track_name", "artist_name", "genre", "popularity", "cluster"])
    for name in FEATURES:
        old = old.append_column(name, catalog.column(f"scaled_{name}").cast(pa.float32()))
    files = {"model.json": json.dumps(model).encode(), "catalog.parquet": parquet_bytes(old)}
    for name, data in files.items():
        store.put_bytes(f"models/{version}/{name}", data)
    write_manifest(store, f"models/{version}", {n: file_entry(d) for n, d in files.items()}, kind="model", format_version=1, version=version)
    bundle = load_bundle(store, version)
    assert bundle.catalog.column("scaled_energy").to_pylist() == pytest.approx([-1.0, -1.1, 1.0])
    assert bundle.catalog.column("tempo").to_pylist() == pytest.approx([90.0, 90.0, 150.0])  # from the scaler: -1 * 30 + 120
    assert bundle.catalog.column("genres").null_count == 3 and bundle.catalog.column_names == catalog_schema(FEATURES).names


def parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def test_a_tampered_catalog_is_never_loaded(store: ObjectStore) -> None:
    version = new_id()
    write_bundle(store, *tiny_model(version))
    data = bytearray(store.get_bytes(f"models/{version}/catalog.parquet"))
    data[len(data) // 2] ^= 0xFF
    store.put_bytes(f"models/{version}/catalog.parquet", bytes(data))
    with pytest.raises(BundleIntegrityError, match="catalog.parquet: sha256"):
        load_bundle(store, version)


def test_an_unknown_version_is_model_not_found(store: ObjectStore) -> None:
    with pytest.raises(ModelNotFound, match="not published"):
        load_bundle(store, "20990101T000000000000Z-abcdef")


def test_a_malformed_model_document_is_refused_before_publishing(store: ObjectStore) -> None:
    model, catalog = tiny_model(new_id())
    model["centroids"] = [[0.0, 0.0]]
    with pytest.raises(ValueError, match="centroids must be 2 x 3"):
        write_bundle(store, model, catalog)
    assert list_versions(store) == []


def test_a_bundle_without_manifest_is_invisible(store: ObjectStore) -> None:
    version = new_id()
    model, _ = tiny_model(version)
    store.put_bytes(f"models/{version}/model.json", json.dumps(model).encode())
    assert list_versions(store) == []
    with pytest.raises(ModelNotFound):
        read_model_document(store, version)
