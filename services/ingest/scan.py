"""One pass over the catalog's bytes in the driver, before Spark reads it.

It finds what Spark cannot: the sha256 of the source, its encoding (UTF-8, or Windows-1252
/ Latin-1 for files saved by older tools), whether quoted fields span lines (Spark must
then read each file whole), and where each record starts, so that rejects can name their
line. Quotes and newlines are located with NumPy; no Python loop runs per byte or per row.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from shared.errors import IngestError

from services.ingest import records

log = logging.getLogger(__name__)

CHUNK = 16 << 20
BOM = codecs.BOM_UTF8
# Bytes that Windows-1252 leaves undefined: a file holding them is Latin-1.
UNDEFINED_IN_CP1252 = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")
# Python codec -> the charset name Spark's CSV reader takes.
SPARK_CHARSETS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "cp1252": "windows-1252", "latin-1": "ISO-8859-1"}


@dataclass(frozen=True)
class PartScan:
    name: str
    size: int
    records: int  # data records after the header, as Spark will count them
    line_steps: tuple[tuple[int, int], ...]  # (first record, line shift) wherever the shift changes


@dataclass(frozen=True)
class SourceScan:
    sha256: str
    size: int
    encoding: str
    multiline: bool
    parts: tuple[PartScan, ...]

    @property
    def spark_charset(self) -> str:
        return SPARK_CHARSETS[self.encoding]


def read_header(head: bytes, where: str) -> list[str]:
    """The header row from the first bytes of a file, or why the file is not a CSV catalog."""
    if not head.strip(b"\xef\xbb\xbf \t\r\n"):
        raise IngestError(f"{where} is empty: it has no header row and no tracks", details={"source": where})
    if b"\x00" in head:
        raise IngestError(
            f"{where} is not a CSV text file (it holds binary data: NUL bytes; UTF-16 and compressed files are not read)",
            details={"source": where},
        )
    text = head.decode("utf-8-sig", errors="replace")
    if text.lstrip()[:1] in ("{", "[", "<"):
        raise IngestError(f"{where} is not a CSV file: it starts like JSON, XML or HTML ({text.lstrip()[:40]!r})", details={"source": where})
    try:
        header = next(csv.reader(io.StringIO(text, newline="")))
    except (csv.Error, StopIteration) as exc:
        raise IngestError(f"{where} is not a CSV file: its header row cannot be read ({exc})") from exc
    if len(header) < 2:
        first = text.splitlines()[0][:120] if text.splitlines() else ""
        raise IngestError(
            f"{where} is not a CSV file: its first line has no comma-separated columns ({first!r})",
            details={"source": where, "first_line": first},
        )
    return header


class EncodingProbe:
    """Feeds bytes through a UTF-8 decoder until one fails; then the file is Windows-1252 or Latin-1."""

    def __init__(self) -> None:
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.utf8 = True
        self.bom = False
        self.latin1_only = False

    def feed(self, chunk: bytes, first: bool = False) -> None:
        if first and chunk.startswith(BOM):
            self.bom = True
        if not self.latin1_only and any(b in chunk for b in UNDEFINED_IN_CP1252):
            self.latin1_only = True
        if self.utf8 and not (chunk.isascii() and not self.decoder.getstate()[0]):
            try:
                self.decoder.decode(chunk)
            except UnicodeDecodeError:
                self.utf8 = False

    def finish(self) -> str:
        if self.utf8:
            try:
                self.decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                self.utf8 = False
        if self.utf8:
            return "utf-8-sig" if self.bom else "utf-8"
        return "latin-1" if self.latin1_only else "cp1252"


def _positions(data: np.ndarray, byte: int) -> np.ndarray:
    return np.concatenate(
        [np.flatnonzero(data[start : start + CHUNK] == byte) + start for start in range(0, len(data), CHUNK)] or [np.empty(0, np.int64)]
    ).astype(np.int64)


def _scan_part(path: Path, name: str, digest, probe: EncodingProbe) -> tuple[np.ndarray, records.Structure]:
    data = np.memmap(path, dtype=np.uint8, mode="r") if path.stat().st_size else np.empty(0, np.uint8)
    for start in range(0, len(data), CHUNK):
        chunk = data[start : start + CHUNK].tobytes()
        digest.update(chunk)
        probe.feed(chunk, first=start == 0)
    return data, records.structure(data, _positions(data, ord("\n")), _positions(data, ord('"')))


def scan_catalog(paths: Sequence[Path], names: Sequence[str], where: str) -> SourceScan:
    """Hash, sniff the encoding of, and find the records of every part (in order)."""
    digest, probe = hashlib.sha256(), EncodingProbe()
    structures = []
    size = 0
    for path, name in zip(paths, names):
        data, structure = _scan_part(path, name, digest, probe)
        structures.append((name, len(data), structure))
        size += len(data)
    balanced = all(s.balanced for _, _, s in structures)
    multiline = balanced and any(s.quoted_newlines for _, _, s in structures)
    if not balanced:
        log.warning("a quoted field is never closed: reading line by line", extra={"source": where})
    parts = tuple(
        PartScan(name, part_size, *structure.records(multiline)) for name, part_size, structure in structures
    )
    scan = SourceScan(digest.hexdigest(), size, probe.finish(), multiline, parts)
    log.info(
        "catalog scanned",
        extra={"source": where, "bytes": size, "encoding": scan.encoding, "multiline": multiline, "records": sum(p.records for p in parts)},
    )
    return scan
