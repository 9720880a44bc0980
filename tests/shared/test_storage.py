from pathlib import Path

import pytest

from shared.errors import ObjectNotFound, StorageUnavailable
from shared.storage import ObjectStore


def test_bucket_is_created_once(store: ObjectStore) -> None:
    store.ensure_bucket()  # already there: no error, nothing lost
    store.put_bytes("a/b.txt", b"x")
    store.ensure_bucket()
    assert store.get_bytes("a/b.txt") == b"x"


def test_json_round_trip(store: ObjectStore) -> None:
    value = {"name": "Beyoncé", "n": [1, 2.5, None], "nested": {"ok": True}}
    store.put_json("docs/one.json", value)
    assert store.get_json("docs/one.json") == value


def test_file_round_trip(store: ObjectStore, tmp_path: Path) -> None:
    source = tmp_path / "in.bin"
    source.write_bytes(bytes(range(256)) * 4096)
    store.upload_file("files/in.bin", source)
    assert store.size("files/in.bin") == source.stat().st_size
    out = store.download_file("files/in.bin", tmp_path / "out.bin")
    assert out.read_bytes() == source.read_bytes()


def test_listing_keys_and_children(store: ObjectStore) -> None:
    for key in ["datasets/b/x", "datasets/a/y", "datasets/a/z/w", "models/m/q"]:
        store.put_bytes(key, b"1")
    assert store.list("datasets/") == ["datasets/a/y", "datasets/a/z/w", "datasets/b/x"]
    assert store.list_children("datasets") == ["a", "b"]
    assert store.list_with_sizes("models/") == {"models/m/q": 1}
    assert store.delete_prefix("datasets/") == 3
    assert store.list("datasets/") == []


def test_missing_object_names_the_key(store: ObjectStore) -> None:
    with pytest.raises(ObjectNotFound, match=f"s3://{store.bucket}/nope/missing.json"):
        store.get_json("nope/missing.json")
    assert not store.exists("nope/missing.json")


def test_unreachable_store_is_a_storage_error_naming_the_object() -> None:
    from tools.stack import free_port

    dead = ObjectStore(f"http://127.0.0.1:{free_port()}", "k", "s", "bucket", timeout=0.5, retries=0)
    with pytest.raises(StorageUnavailable, match="s3://bucket/some/key"):
        dead.get_bytes("some/key")
    assert dead.ping() is False
