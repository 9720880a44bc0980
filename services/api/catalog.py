"""The serving catalog: the bundle's track columns, kept in their Arrow buffers, read per answer.

A catalog of a million tracks stays in its compact Arrow buffers (tens of megabytes, no
Python object per track); an answer reads only its own rows, straight from the buffers
(:class:`ColumnReader`). Tracks with the same name and artist (case and surrounding spaces
ignored) share a *song* number: they are versions of one song. A track is found by its id
through a binary search of the ids in sorted order.
"""

from __future__ import annotations

import bisect
from typing import Any, Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shared.schema import TRACK_COLUMNS


class ColumnReader:
    """The values of one column at given rows, as Python values (None for a null).

    Text is decoded from the string array's offsets and data buffers (Arrow's documented
    layout); numbers come from the array as NumPy values. Reading a few rows this way costs
    much less than a ``take`` (``docs/benchmarks.md``).
    """

    def __init__(self, column: pa.ChunkedArray | pa.Array) -> None:
        array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        self.array = array  # keeps the buffers alive
        self.text = pa.types.is_string(array.type)
        self.valid = memoryview(np.asarray(array.is_valid()).view(np.uint8)) if array.null_count else None
        if self.text:
            _, offsets, data = array.buffers()
            self.offsets = memoryview(np.frombuffer(offsets, np.int32)[array.offset : array.offset + len(array) + 1])
            self.data = memoryview(np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8))
        else:
            self.numbers = array.fill_null(0).to_numpy() if array.null_count else array.to_numpy()

    def values(self, rows: list[int]) -> list[Any]:
        if self.text:
            offsets, data = self.offsets, self.data
            found = [str(data[offsets[row] : offsets[row + 1]], "utf-8") for row in rows]
        else:
            found = self.numbers[rows].tolist()
        if self.valid is not None:
            valid = self.valid
            found = [value if valid[row] else None for value, row in zip(found, rows)]
        return found


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
    """Track records by row, song numbers by row, and rows by track id."""

    def __init__(self, catalog: pa.Table) -> None:
        self.size = catalog.num_rows
        self.columns = {name: ColumnReader(catalog.column(name)) for name in TRACK_COLUMNS}
        self.songs = song_numbers(catalog)
        ids = self.columns["track_id"].array
        self._known = self.size - ids.null_count
        self._by_id = pc.sort_indices(ids).to_numpy()  # nulls last
        self._sorted_ids = ids.take(pa.array(self._by_id[: self._known]))

    def row_of(self, track_id: str) -> int | None:
        """The row of ``track_id``, or None when the catalog lacks it."""
        ids = self._sorted_ids
        at = bisect.bisect_left(range(self._known), track_id, key=lambda i: ids[i].as_py())
        if at < self._known and ids[at].as_py() == track_id:
            return int(self._by_id[at])
        return None

    def songs_of(self, track_ids: Iterable[str]) -> set[int]:
        """Song numbers of the given tracks (ids the catalog lacks have none)."""
        rows = (self.row_of(track_id) for track_id in track_ids)
        return {int(self.songs[row]) for row in rows if row is not None}

    def records(self, rows: list[int]) -> list[dict[str, Any]]:
        """The tracks at ``rows``, in that order, as ``{column: value}``."""
        values = [self.columns[name].values(rows) for name in TRACK_COLUMNS]
        return [dict(zip(TRACK_COLUMNS, track)) for track in zip(*values)]
