import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from shared.datasets import list_datasets, load_table, newest_dataset_id, part_keys, read_dataset_manifest
from shared.errors import DatasetNotFound
from shared.manifest import write_manifest
from shared.storage import ObjectStore


def put_parquet(store: ObjectStore, key: str, table: pa.Table) -> None:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    store.put_bytes(key, sink.getvalue())


def test_datasets_are_listed_complete_only_and_loaded(store: ObjectStore) -> None:
    put_parquet(store, "datasets/d1/part-00000.parquet", pa.table({"track_id": ["a", "b"], "energy": [0.1, 0.2]}))
    put_parquet(store, "datasets/d1/part-00001.parquet", pa.table({"track_id": ["c"], "energy": [0.3]}))
    put_parquet(store, "datasets/d1/rejects/part-00000.parquet", pa.table({"track_id": ["x"], "reason": ["bad"]}))
    write_manifest(store, "datasets/d1", {}, kind="dataset")
    put_parquet(store, "datasets/d2/part-00000.parquet", pa.table({"track_id": ["z"], "energy": [0.9]}))  # no manifest

    assert [d["dataset_id"] for d in list_datasets(store)] == ["d1"]
    assert newest_dataset_id(store) == "d1"
    assert len(part_keys(store, "d1")) == 2
    assert load_table(store, "d1").column("track_id").to_pylist() == ["a", "b", "c"]
    assert load_table(store, "d1", rejects=True).column("reason").to_pylist() == ["bad"]
    with pytest.raises(DatasetNotFound, match="'d2' has no manifest"):
        load_table(store, "d2")
    with pytest.raises(DatasetNotFound, match="'d3' does not exist"):
        read_dataset_manifest(store, "d3")


def test_no_dataset_yet(store: ObjectStore) -> None:
    with pytest.raises(DatasetNotFound, match="ingest a catalog first"):
        newest_dataset_id(store)
