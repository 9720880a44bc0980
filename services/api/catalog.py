"""The serving catalog: the bundle's tracks kept as compact Arrow buffers and NumPy arrays.

Text is read per returned track only, so a catalog of a million tracks costs tens of
megabytes rather than millions of Python strings; the tracks of an answer are rendered as
JSON straight from the Arrow buffers by compiled code. Tracks with the same name and artist
(case and surrounding spaces ignored) share a *song* number: they are versions of one song.
"""

from __future__ import annotations

import bisect

import numba
import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc


class TextColumn:
    """A string column read by row number, straight from one Arrow array's buffers (no copy
    unless the column came in several chunks)."""

    def __init__(self, column: pa.ChunkedArray) -> None:
        array = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
        if array.type != pa.string():
            raise TypeError(f"a text column must be Arrow string, not {array.type}")
        self.array = array  # keeps the buffers alive
        _, offsets, data = array.buffers()
        # NumPy views for the compiled renderer; memoryviews for Python, where indexing one gives
        # a plain int, several times cheaper than a NumPy scalar
        self.offsets = np.frombuffer(offsets, np.int32)[array.offset : array.offset + len(array) + 1]
        self.data = np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8)
        self.valid = np.asarray(array.is_valid()) if array.null_count else ALL_VALID
        self._offsets, self._data = memoryview(self.offsets), memoryview(self.data)
        self._valid = memoryview(self.valid.view(np.uint8)) if array.null_count else None

    def __len__(self) -> int:
        return len(self.array)

    def __getitem__(self, row: int) -> str | None:
        if self._valid is not None and not self._valid[row]:
            return None
        return str(self._data[self._offsets[row] : self._offsets[row + 1]], "utf-8")


ALL_VALID = np.zeros(0, np.bool_)  # a column without nulls
TRACK_FIELDS = ("track_id", "track_name", "artist_name", "genre")


def _keys() -> tuple[np.ndarray, np.ndarray]:
    """What comes before each field's value: '{"track_id":', ',"track_name":', ..., ',"distance":'."""
    keys = [("{" if i == 0 else ",") + orjson.dumps(name).decode() + ":" for i, name in enumerate([*TRACK_FIELDS, "distance"])]
    encoded = [key.encode() for key in keys]
    return np.frombuffer(b"".join(encoded), np.uint8), np.cumsum([0] + [len(key) for key in encoded])


_KEYS, _KEY_ENDS = _keys()
_QUOTE, _BACKSLASH = 0x22, 0x5C
_SHORT_ESCAPES = {0x08: ord("b"), 0x09: ord("t"), 0x0A: ord("n"), 0x0C: ord("f"), 0x0D: ord("r")}
_ESCAPE = np.zeros(0x20, np.uint8)  # control character -> its one-letter escape, 0 for a hex escape
for _code, _letter in _SHORT_ESCAPES.items():
    _ESCAPE[_code] = _letter
_HEX = np.frombuffer(b"0123456789abcdef", np.uint8)
_NULL = np.frombuffer(b"null", np.uint8)
_UNICODE_ESCAPE = np.frombuffer(rb"\u00", np.uint8)  # then two hex digits


@numba.njit(cache=True, nogil=True)
def _render(rows, keys, key_ends, *buffers):  # pragma: no cover - compiled
    """The rows' tracks as JSON objects written up to their '"distance":' (orjson's escaping:
    quote, backslash and control characters; other UTF-8 as is), and where each one ends.
    ``buffers``: each text column's offsets, data and validity, in TRACK_FIELDS order."""
    columns = (buffers[0:3], buffers[3:6], buffers[6:9], buffers[9:12])
    fields = len(columns)
    size = 0
    for r in rows:
        size += key_ends[fields + 1]
        for c in range(fields):
            offsets = columns[c][0]
            size += 6 * (offsets[r + 1] - offsets[r]) + 4  # at worst every byte six; or null
    out = np.empty(size, np.uint8)
    ends = np.empty(len(rows), np.int64)
    at = 0
    for i in range(len(rows)):
        r = rows[i]
        for c in range(fields + 1):
            for k in range(key_ends[c], key_ends[c + 1]):
                out[at] = keys[k]
                at += 1
            if c == fields:
                break
            offsets, data, valid = columns[c]
            if len(valid) and not valid[r]:
                out[at : at + 4] = _NULL
                at += 4
                continue
            out[at] = _QUOTE
            at += 1
            for b in data[offsets[r] : offsets[r + 1]]:
                if b == _QUOTE or b == _BACKSLASH:
                    out[at], out[at + 1] = _BACKSLASH, b
                    at += 2
                elif b < 0x20:
                    letter = _ESCAPE[b]
                    if letter:
                        out[at], out[at + 1] = _BACKSLASH, letter
                        at += 2
                    else:
                        out[at : at + 4] = _UNICODE_ESCAPE
                        out[at + 4], out[at + 5] = _HEX[b >> 4], _HEX[b & 15]
                        at += 6
                else:
                    out[at] = b
                    at += 1
            out[at] = _QUOTE
            at += 1
        ends[i] = at
    return out[:at], ends


def song_numbers(catalog: pa.Table) -> np.ndarray:
    """One int per track; equal for tracks with the same name and artist, unique otherwise."""

    def normalised(name: str) -> pa.ChunkedArray:
        return pc.utf8_lower(pc.utf8_trim_whitespace(catalog.column(name)))

    keys = pc.binary_join_element_wise(normalised("track_name"), normalised("artist_name"), "\x1f")
    songs = pc.rank(keys, tiebreaker="dense").to_numpy().astype(np.int32)  # equal keys, equal rank
    unknown = np.flatnonzero(pc.is_null(keys).to_numpy(zero_copy_only=False))  # no name or no artist:
    songs[unknown] = songs.max(initial=0) + 1 + np.arange(len(unknown), dtype=np.int32)  # never a duplicate
    return songs


class ServingCatalog:
    """Track metadata by row, song numbers, and a track-id lookup by binary search."""

    def __init__(self, catalog: pa.Table) -> None:
        self.size = catalog.num_rows
        self.track_id = TextColumn(catalog.column("track_id"))
        self.track_name = TextColumn(catalog.column("track_name"))
        self.artist_name = TextColumn(catalog.column("artist_name"))
        self.genre = TextColumn(catalog.column("genre"))
        self._columns = (self.track_id, self.track_name, self.artist_name, self.genre)  # as TRACK_FIELDS
        # as the compiled renderer takes them: offsets, data and validity of each column in turn
        self._buffers = tuple(array for column in self._columns for array in (column.offsets, column.data, column.valid))
        self.songs = song_numbers(catalog)
        self._by_id = pc.sort_indices(catalog.column("track_id"))  # nulls last.to_numpy()
        self._ids_known = self.size - catalog.column("track_id").null_count

    def row_of(self, track_id: str) -> int | None:
        """The row of ``track_id``, or None when the catalog lacks it."""
        order, ids = self._by_id, self.track_id
        at = bisect.bisect_left(range(self._ids_known), track_id, key=lambda i: ids[int(order[i])])
        if at < self._ids_known and ids[int(order[at])] == track_id:
            return int(order[at])
        return None

    def track(self, row: int) -> dict[str, str | None]:
        return {name: column[row] for name, column in zip(TRACK_FIELDS, self._columns)}

    def tracks_json(self, rows: np.ndarray, distances: list[float]) -> bytes:
        """The JSON array of the rows' tracks, each with its distance: what orjson would write
        for ``[track(row) | {"distance": distance}, ...]``, rendered in compiled code."""
        rendered, ends = _render(rows.astype(np.int64, copy=False), _KEYS, _KEY_ENDS, *self._buffers)
        text, tracks, start = rendered.tobytes(), [], 0
        for end, distance in zip(ends.tolist(), distances):  # each ends with '"distance":'
            tracks.append(text[start:end] + orjson.dumps(distance) + b"}")
            start = end
        return b"[" + b",".join(tracks) + b"]"
