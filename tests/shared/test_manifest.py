import pytest

from shared.errors import BundleIntegrityError, ManifestMissing
from shared.manifest import (
    file_entry,
    manifest_sha256,
    published_ids,
    read_manifest,
    sha256_bytes,
    verify_files,
    write_manifest,
)
from shared.storage import ObjectStore


def publish(store: ObjectStore, prefix: str, files: dict[str, bytes]) -> dict:
    for name, data in files.items():
        store.put_bytes(f"{prefix}/{name}", data)
    return write_manifest(store, prefix, {n: file_entry(d) for n, d in files.items()}, kind="test")


def test_manifest_round_trip_and_verification(store: ObjectStore) -> None:
    written = publish(store, "models/v1", {"a.json": b"{}", "b.bin": b"\x00\x01"})
    manifest = read_manifest(store, "models/v1")
    assert manifest == written
    assert manifest["files"]["b.bin"] == {"sha256": sha256_bytes(b"\x00\x01"), "size": 2}
    assert verify_files(store, "models/v1", manifest) == {"a.json": b"{}", "b.bin": b"\x00\x01"}
    assert len(manifest_sha256(store, "models/v1")) == 64


def test_a_file_that_does_not_match_its_sha256_is_refused(store: ObjectStore) -> None:
    manifest = publish(store, "models/v1", {"a.json": b'{"k": 1}'})
    store.put_bytes("models/v1/a.json", b'{"k": 2}')  # same size, other content
    with pytest.raises(BundleIntegrityError, match="a.json: sha256 .* does not match"):
        verify_files(store, "models/v1", manifest)


def test_a_file_of_the_wrong_size_or_missing_is_refused(store: ObjectStore) -> None:
    manifest = publish(store, "models/v1", {"a.json": b"{}", "b.bin": b"12"})
    store.put_bytes("models/v1/a.json", b"{ }")
    with pytest.raises(BundleIntegrityError, match="size 3 bytes, manifest says 2"):
        verify_files(store, "models/v1", manifest)
    store.put_bytes("models/v1/a.json", b"{}")
    store.delete_prefix("models/v1/b.bin")
    with pytest.raises(BundleIntegrityError, match="b.bin is listed in the manifest but missing"):
        verify_files(store, "models/v1", manifest)


def test_a_prefix_without_manifest_is_invisible(store: ObjectStore) -> None:
    publish(store, "datasets/complete", {"part-0.parquet": b"x"})
    store.put_bytes("datasets/half-written/part-0.parquet", b"x")
    assert published_ids(store, "datasets") == ["complete"]
    with pytest.raises(ManifestMissing, match="half-written/ has no manifest.json"):
        read_manifest(store, "datasets/half-written")
