"""The serving catalog: the bundle's track records, kept in their Arrow buffers, read per answer.

A catalog of a million tracks stays in its compact Arrow buffers (no Python object per track);
an answer reads only its own rows, straight from the buffers (:class:`ColumnReader`). Built once
per model, it also knows:

- songs: tracks with the same name and artist (case and surrounding spaces ignored) share a
  song number; they are versions of one song;
- track ids, found by binary search of the ids in sorted order;
- artists: one per normalised artist name, with a stable derived id
  (:func:`shared.ids.derived_id`) and its tracks;
- genres: every label of the ``genres`` lists, normalised, with its tracks;
- the mean and standard deviation of each tunable attribute (audio features in original
  units, popularity, year, ...), the units of soft targets.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shared.ids import derived_id
from shared.schema import FEATURE_NAMES, TRACK_COLUMNS, TUNABLE_METADATA

TUNABLE = (*FEATURE_NAMES, *TUNABLE_METADATA)


class ColumnReader:
    """The values of one column at given rows, as Python values (None for a null).

    Text is decoded from the string array's offsets and data buffers (Arrow's documented
    layout), a list of texts from its offsets and its values' reader; numbers and booleans come
    from the array as NumPy values.
    """

    def __init__(self, column: pa.ChunkedArray | pa.Array) -> None:
        array = one_array(column)
        self.array = array  # keeps the buffers alive
        self.kind = "text" if pa.types.is_string(array.type) else "list" if pa.types.is_list(array.type) else "number"
        self.valid = memoryview(np.asarray(array.is_valid()).view(np.uint8)) if array.null_count else None
        if self.kind == "text":
            _, offsets, data = array.buffers()
            self.offsets = memoryview(np.frombuffer(offsets, np.int32)[array.offset : array.offset + len(array) + 1])
            self.data = memoryview(np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8))
        elif self.kind == "list":
            self.offsets = memoryview(np.asarray(array.offsets))
            self.items = ColumnReader(array.values)
        else:
            filled = array.fill_null(False if pa.types.is_boolean(array.type) else 0) if array.null_count else array
            self.numbers = filled.to_numpy(zero_copy_only=False)

    def values(self, rows: list[int]) -> list[Any]:
        if self.kind == "text":
            offsets, data = self.offsets, self.data
            found = [str(data[offsets[row] : offsets[row + 1]], "utf-8") for row in rows]
        elif self.kind == "list":
            offsets = self.offsets
            spans = [(offsets[row], offsets[row + 1]) for row in rows]
            flat = self.items.values([item for start, end in spans for item in range(start, end)])  # one read for all rows
            ends = list(itertools.accumulate(end - start for start, end in spans))
            found = [flat[end - (stop - start) : end] for (start, stop), end in zip(spans, ends)]
        else:
            found = self.numbers[rows].tolist()
        if self.valid is not None:
            valid = self.valid
            found = [value if valid[row] else None for value, row in zip(found, rows)]
        return found


def one_array(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """The column as one array: its only chunk as it is (no copy), or its chunks joined."""
    if isinstance(column, pa.Array):
        return column
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


def normalised(column: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Text as the catalog compares it: lower case, surrounding spaces trimmed."""
    return pc.utf8_lower(pc.utf8_trim_whitespace(column))


def song_numbers(catalog: pa.Table) -> np.ndarray:
    """One int per track; equal for tracks with the same name and artist, unique otherwise."""
    keys = pc.binary_join_element_wise(normalised(catalog.column("track_name")), normalised(catalog.column("artist_name")), "\x1f")
    songs = pc.rank(keys, tiebreaker="dense").to_numpy().astype(np.int32)  # equal keys, equal rank
    unknown = np.flatnonzero(pc.is_null(keys).to_numpy(zero_copy_only=False))  # no name or no artist:
    songs[unknown] = songs.max(initial=0) + 1 + np.arange(len(unknown), dtype=np.int32)  # never a duplicate
    return songs


@dataclass(frozen=True)
class Groups:
    """Tracks grouped by a key (an artist, a genre): the rows of group ``g`` are
    ``rows[starts[g]:starts[g + 1]]``, and each group's mean point in the scaled space."""

    rows: np.ndarray  # int32
    starts: np.ndarray  # int64, groups + 1
    centroids: np.ndarray  # (groups, features) float64

    @classmethod
    def of(cls, codes: np.ndarray, rows: np.ndarray, groups: int, points: np.ndarray) -> "Groups":
        """``codes[i]`` is the group of track ``rows[i]`` (a track may be in several groups)."""
        order = np.argsort(codes, kind="stable")
        counts = np.bincount(codes, minlength=groups)
        sums = np.stack([np.bincount(codes, weights=points[rows, f], minlength=groups) for f in range(points.shape[1])], axis=1)
        centroids = sums / np.maximum(counts, 1)[:, None]
        return cls(rows[order].astype(np.int32), np.concatenate([[0], np.cumsum(counts)]), centroids)

    def members(self, group: int) -> np.ndarray:
        return self.rows[self.starts[group] : self.starts[group + 1]]


class ServingCatalog:
    """Track records, songs, artists and genres of one model's catalog."""

    def __init__(self, catalog: pa.Table, points: np.ndarray) -> None:
        self.size = catalog.num_rows
        self.columns = {name: ColumnReader(catalog.column(name)) for name in TRACK_COLUMNS}
        self.songs = song_numbers(catalog)
        ids = self.columns["track_id"].array
        self._known = self.size - ids.null_count
        self._by_id = pc.sort_indices(ids).to_numpy()  # nulls last
        self._sorted_ids = ids.take(pa.array(self._by_id[: self._known]))
        moments = {name: _mean_and_spread(float_values(catalog.column(name))) for name in TUNABLE}
        self.means = {name: mean for name, (mean, _) in moments.items()}
        self.spreads = {name: spread for name, (_, spread) in moments.items()}
        self._song_order = np.argsort(self.songs, kind="stable").astype(np.int32)
        self._song_starts = np.concatenate([[0], np.cumsum(np.bincount(self.songs))])
        self._artists(catalog, points)
        self._genres(catalog, points)

    def _artists(self, catalog: pa.Table, points: np.ndarray) -> None:
        encoded = pc.dictionary_encode(one_array(normalised(catalog.column("artist_name"))))
        codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        known = np.flatnonzero(codes >= 0)
        names = encoded.dictionary.to_pylist()
        self.artist_of_row = codes.astype(np.int32)  # -1: no artist
        self.artist_ids = [derived_id("artist", name) for name in names]
        self.artist_code = {artist_id: code for code, artist_id in enumerate(self.artist_ids)}
        self.artists = Groups.of(codes[known], known, len(names), points)
        first_rows = self.artists.rows[self.artists.starts[:-1]].tolist() if len(names) else []
        self.artist_names = self.columns["artist_name"].values(first_rows)  # as the artist's first track writes it

    def _genres(self, catalog: pa.Table, points: np.ndarray) -> None:
        labels = one_array(catalog.column("genres"))
        rows = pc.list_parent_indices(labels).to_numpy().astype(np.int64)
        encoded = pc.dictionary_encode(normalised(pc.list_flatten(labels)))
        codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        names = encoded.dictionary.to_pylist()
        order = sorted((g for g in range(len(names)) if names[g]), key=names.__getitem__)  # non-empty labels, by name
        rank = np.full(len(names) + 1, -1, np.int64)  # the last one for a null label (code -1)
        rank[order] = np.arange(len(order))
        genre = rank[codes]
        kept = genre >= 0
        self.genre_names = [names[g] for g in order]  # every genre with at least one track, sorted
        self.genre_code = {name: code for code, name in enumerate(self.genre_names)}
        self.genres = Groups.of(genre[kept], rows[kept], len(order), points)

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

    def song_rows(self, songs: Iterable[int]) -> np.ndarray:
        """Every track of the given songs."""
        parts = [self._song_order[self._song_starts[s] : self._song_starts[s + 1]] for s in songs]
        return np.concatenate(parts) if parts else np.empty(0, np.int32)

    def records(self, rows: list[int]) -> list[dict[str, Any]]:
        """The tracks at ``rows``, in that order: every track column, and the artist's id."""
        values = [self.columns[name].values(rows) for name in TRACK_COLUMNS]
        artist_ids = [self.artist_ids[code] if code >= 0 else None for code in self.artist_of_row[rows].tolist()]
        return [dict(zip(TRACK_COLUMNS, track), artist_id=artist) for *track, artist in zip(*values, artist_ids)]


def _mean_and_spread(values: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation of the known values (0 and 1 when none is known or all are equal)."""
    known = values[~np.isnan(values)]
    if not len(known):
        return 0.0, 1.0
    spread = float(known.std())
    return float(known.mean()), spread if spread > 0 else 1.0


def float_values(column: pa.ChunkedArray) -> np.ndarray:
    """A numeric column as float64, NaN where it is null (no copy when it is float64 without nulls)."""
    array = one_array(column)
    if pa.types.is_floating(array.type) and not array.null_count:
        return array.to_numpy().astype(np.float64, copy=False)
    return array.cast(pa.float64()).fill_null(np.nan).to_numpy()
