"""Where a catalog comes from: a local file or folder, or an ``s3://bucket/key`` object or prefix.

A folder or prefix is read as a catalog split into parts (every file directly inside it,
in name order, except hidden ones and markers such as ``_SUCCESS``). Spark reads the parts
where they are (``file:`` or ``s3a://``); the driver scans local copies of them.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from shared.errors import IngestError, ObjectNotFound
from shared.storage import ObjectStore

from services.ingest.settings import IngestSettings

log = logging.getLogger(__name__)

HEAD_BYTES = 1 << 16


@dataclass(frozen=True)
class CatalogPart:
    name: str
    location: str  # local path, or the object key in ``bucket``
    size: int
    spark_path: str


@dataclass(frozen=True)
class CatalogSource:
    """The parts of one catalog, and how to read the bytes of each."""

    uri: str
    parts: tuple[CatalogPart, ...]
    store: ObjectStore | None = None  # set for s3 sources

    @property
    def name(self) -> str:
        return self.uri.rstrip("/").rsplit("/", 1)[-1]

    @property
    def size(self) -> int:
        return sum(part.size for part in self.parts)

    def head(self, part: CatalogPart, length: int = HEAD_BYTES) -> bytes:
        """The first bytes of a part (enough for its header)."""
        if self.store is None:
            with open(part.location, "rb") as handle:
                return handle.read(length)
        return self.store.get_bytes(part.location, length=min(length, part.size)) if part.size else b""

    @contextmanager
    def local_copies(self, folder: Path) -> Iterator[list[Path]]:
        """Local files holding the parts' bytes: the files themselves, or downloads in ``folder``."""
        if self.store is None:
            yield [Path(part.location) for part in self.parts]
            return
        paths = []
        for number, part in enumerate(self.parts):
            paths.append(self.store.download_file(part.location, folder / f"part-{number:05d}.csv"))
        try:
            yield paths
        finally:
            for path in paths:
                path.unlink(missing_ok=True)


def _visible(name: str) -> bool:
    return not name.startswith((".", "_"))


def _local(source: str) -> CatalogSource:
    path = Path(source).expanduser().absolute()
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and _visible(p.name))
        if not files:
            raise IngestError(f"{path} is a folder without catalog parts", details={"source": source})
    elif path.is_file():
        files = [path]
    else:
        raise IngestError(f"{path} does not exist", details={"source": source})
    parts = tuple(CatalogPart(p.name, str(p), p.stat().st_size, f"file:{p}") for p in files)
    return CatalogSource(str(path), parts)


def parse_s3_uri(source: str) -> tuple[str, str]:
    scheme, _, rest = source.partition("://")
    bucket, _, key = rest.partition("/")
    if scheme not in ("s3", "s3a") or not bucket:
        raise IngestError(f"{source!r} is not an s3://bucket/key address", details={"source": source})
    return bucket, key


def _s3(settings: IngestSettings, source: str) -> CatalogSource:
    bucket, key = parse_s3_uri(source)
    store = ObjectStore(
        settings.s3_endpoint, settings.s3_access_key, settings.s3_secret_key.get_secret_value(), bucket, settings.s3_region
    )
    uri = f"s3://{bucket}/{key}"
    try:
        sizes = {key: store.size(key)} if key and not key.endswith("/") else {}
    except ObjectNotFound:
        sizes = {}
    if not sizes:
        prefix = key.rstrip("/") + "/" if key else ""
        try:
            listed = store.list_with_sizes(prefix)
        except ObjectNotFound as exc:
            raise IngestError(f"{uri} does not exist: {exc.message}", details={"source": uri}) from exc
        sizes = {k: size for k, size in sorted(listed.items()) if "/" not in k[len(prefix) :] and _visible(k[len(prefix) :])}
        if not sizes:
            raise IngestError(f"{uri} does not exist (no such object, and no catalog parts below it)", details={"source": uri})
    parts = tuple(CatalogPart(k.rsplit("/", 1)[-1], k, size, f"s3a://{bucket}/{k}") for k, size in sizes.items())
    return CatalogSource(uri, parts, store)


def locate(settings: IngestSettings, source: str) -> CatalogSource:
    """The catalog at ``source``, or :class:`IngestError` saying that nothing is there."""
    catalog = _s3(settings, source) if "://" in source else _local(source)
    log.info("catalog located", extra={"source": catalog.uri, "parts": len(catalog.parts), "bytes": catalog.size})
    return catalog
