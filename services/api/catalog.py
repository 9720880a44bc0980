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
    """A string column read by row number without materialising Python strings."""

    def __init__(self, column: pa.ChunkedArray | pa.Array) -> None:
        array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        self._array = array.cast(pa.large_string())  # keeps the buffers alive; 64-bit offsets
        _, offsets, data = self._array.buffers()
        start = self._array.offset
        self._offsets = np.frombuffer(offsets, dtype=np.int64)[start : start + len(self._array) + 1]
        self._data = memoryview(data) if data is not None else memoryview(b"")
        self._valid = np.asarray(self._array.is_valid()) if self._array.null_count else None

    def __len__(self) -> int:
        return len(self._array)

    def __getitem__(self, row: int) -> str | None:
        if self._valid is not None and not self._valid[row]:
            return None
        return str(self._data[self._offsets[row] : self._offsets[row + 1]], "utf-8")


def song_numbers(catalog: pa.Table) -> np.ndarray:
    """One int per track; equal for tracks with the same name and artist, unique otherwise."""

    def normalised(name: str) -> pa.ChunkedArray:
        return pc.utf8_lower(pc.utf8_trim_whitespace(catalog.column(name)))

    keys = pc.binary_join_element_wise(normalised("track_name"), normalised("artist_name"), "\x1f")
    encoded = pc.dictionary_encode(keys.combine_chunks())
    songs = pc.fill_null(encoded.indices, -1).to_numpy().astype(np.int64)
    unknown = np.flatnonzero(songs < 0)  # no name or no artist: never a duplicate of anything
    songs[unknown] = len(encoded.dictionary) + np.arange(len(unknown))
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
