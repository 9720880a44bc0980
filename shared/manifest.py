"""Published prefixes: files first, ``manifest.json`` last, sha256 of every file.

A dataset or a model exists only once its manifest exists. Readers ignore a prefix without
one; :func:`verify_files` refuses a file whose sha256 or size differs from the manifest.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Any

from shared.errors import BundleIntegrityError, ManifestMissing, ObjectNotFound
from shared.storage import ObjectStore

MANIFEST = "manifest.json"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_entry(data: bytes) -> dict[str, Any]:
    return {"sha256": sha256_bytes(data), "size": len(data)}


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def manifest_key(prefix: str) -> str:
    return f"{prefix.rstrip('/')}/{MANIFEST}"


def write_manifest(store: ObjectStore, prefix: str, files: dict[str, dict[str, Any]], **fields: Any) -> dict[str, Any]:
    """Write the manifest last: ``files`` maps relative path -> {sha256, size}."""
    manifest = {"created_at": utc_now(), **fields, "files": dict(sorted(files.items()))}
    store.put_json(manifest_key(prefix), manifest)
    return manifest


def read_manifest(store: ObjectStore, prefix: str) -> dict[str, Any]:
    """The manifest of a published prefix, or :class:`ManifestMissing` naming the prefix."""
    try:
        return store.get_json(manifest_key(prefix))
    except ObjectNotFound as exc:
        raise ManifestMissing(
            f"{store.uri(prefix.rstrip('/') + '/')} has no {MANIFEST}: it is not published",
            details={"prefix": prefix},
        ) from exc


def manifest_sha256(store: ObjectStore, prefix: str) -> str:
    try:
        return sha256_bytes(store.get_bytes(manifest_key(prefix)))
    except ObjectNotFound as exc:
        raise ManifestMissing(f"{store.uri(prefix)} has no {MANIFEST}", details={"prefix": prefix}) from exc


def verify_entry(name: str, data: bytes, entry: dict[str, Any], where: str) -> bytes:
    """Return ``data`` if it matches the manifest ``entry``; else :class:`BundleIntegrityError`."""
    if len(data) != entry.get("size"):
        raise BundleIntegrityError(
            f"{where}/{name}: size {len(data)} bytes, manifest says {entry.get('size')}",
            details={"file": name, "expected_size": entry.get("size"), "size": len(data)},
        )
    actual = sha256_bytes(data)
    if actual != entry.get("sha256"):
        raise BundleIntegrityError(
            f"{where}/{name}: sha256 {actual} does not match the manifest's {entry.get('sha256')}",
            details={"file": name, "expected_sha256": entry.get("sha256"), "sha256": actual},
        )
    return data


def verify_files(store: ObjectStore, prefix: str, manifest: dict[str, Any]) -> dict[str, bytes]:
    """Download every file the manifest lists and check it; returns name -> bytes."""
    prefix = prefix.rstrip("/")
    verified = {}
    for name, entry in manifest.get("files", {}).items():
        try:
            data = store.get_bytes(f"{prefix}/{name}")
        except ObjectNotFound as exc:
            raise BundleIntegrityError(
                f"{store.uri(prefix)}/{name} is listed in the manifest but missing", details={"file": name}
            ) from exc
        verified[name] = verify_entry(name, data, entry, store.uri(prefix))
    return verified


def published_ids(store: ObjectStore, root: str) -> list[str]:
    """Ids below ``root`` (``datasets`` or ``models``) that have a manifest, sorted by id."""
    children = store.list_children(root)
    have_manifest = {
        key[len(root) + 1 : -len(MANIFEST) - 1]
        for key in store.list(root.rstrip("/") + "/")
        if key.endswith("/" + MANIFEST) and key.count("/") == 2
    }
    return [c for c in children if c in have_manifest]

