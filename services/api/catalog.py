"""The serving catalog: the bundle's tracks kept as compact Arrow buffers and NumPy arrays.

Text is decoded per returned track only, so a catalog of a million tracks costs tens of
megabytes rather than millions of Python strings. Tracks with the same name and artist
(case and surrounding spaces ignored) share a *song* number: they are versions of one song.
"""

from __future__ import annotations

import bisect

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


class TextColumn:
    """A string column read by row number, straight from the Arrow buffers (no copy)."""

    def __init__(self, column: pa.ChunkedArray) -> None:
        self._chunks = [_Chunk(chunk) for chunk in column.chunks if len(chunk)]
        self._starts = [0]
        for chunk in self._chunks:
            self._starts.append(self._starts[-1] + chunk.length)
        self._only = self._chunks[0] if len(self._chunks) == 1 else None

    def __len__(self) -> int:
        return self._starts[-1]

    def __getitem__(self, row: int) -> str | None:
        if self._only is not None:
            return self._only.value(row)
        at = bisect.bisect_right(self._starts, row) - 1
        return self._chunks[at].value(row - self._starts[at])


class _Chunk:
    def __init__(self, array: pa.Array) -> None:
        self.array = array  # keeps the buffers alive
        self.length = len(array)
        _, offsets, data = array.buffers()
        # memoryviews: indexing one gives a plain int, several times cheaper than a NumPy scalar
        self.offsets = memoryview(offsets).cast("q" if array.type == pa.large_string() else "i")[
            array.offset : array.offset + len(array) + 1
        ]
        self.data = memoryview(data) if data is not None else memoryview(b"")
        self.valid = memoryview(np.asarray(array.is_valid()).view(np.uint8)) if array.null_count else None

    def value(self, row: int) -> str | None:
        if self.valid is not None and not self.valid[row]:
            return None
        return str(self.data[self.offsets[row] : self.offsets[row + 1]], "utf-8")


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
        return {
            "track_id": self.track_id[row],
            "track_name": self.track_name[row],
            "artist_name": self.artist_name[row],
            "genre": self.genre[row],
        }
