"""The genres of each track, as the trainer's figures need them.

A track's genres are the dataset's ``genres`` list column when it has one (every label of
the track), else its ``genre`` column (one label). Empty strings and nulls are no genre.
Three views of the same labels:

- ``first``: one code per track, its first genre (-1: none), for figures that want one label
  per track (normalized mutual information between clusters and genres);
- ``bits``: every genre of a track as a bit set (rows x words of 64 bits), so that "shares
  a genre with" is one AND, however many labels a track has;
- ``pairs``: (row, genre code) for every label of every track, for counting genres per cluster.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

GENRES_COLUMN, GENRE_COLUMN = "genres", "genre"
NO_GENRES = "no track of the dataset has a genre"


@dataclass(frozen=True)
class TrackGenres:
    names: tuple[str, ...]  # genre code -> name
    first: np.ndarray  # int64 per track: the code of its first genre, -1 for none
    bits: np.ndarray  # uint64, tracks x words: bit c of a track set when it has genre c
    pair_rows: np.ndarray  # int64: the track of each (track, genre) label
    pair_codes: np.ndarray  # int64: the genre of each (track, genre) label
    column: str  # where they come from: "genres" or "genre"

    @property
    def present(self) -> bool:
        return len(self.pair_rows) > 0

    def has_genre(self) -> np.ndarray:
        return self.first >= 0


def label_codes(column: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, tuple[str, ...]]:
    """Integer codes of a string column (nulls and empty strings: -1) and the name of each code."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    encoded = pc.dictionary_encode(pc.if_else(pc.equal(array, ""), pa.scalar(None, array.type), array))
    return encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64), tuple(encoded.dictionary.to_pylist())


def track_genres(tracks: pa.Table) -> TrackGenres:
    """The genres of every track of ``tracks`` (its ``genres`` column if present, else ``genre``)."""
    rows = tracks.num_rows
    if GENRES_COLUMN in tracks.column_names:
        column = GENRES_COLUMN
        lists = tracks.column(GENRES_COLUMN).combine_chunks()
        codes, names = label_codes(pc.list_flatten(lists))
        parents = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False).astype(np.int64)
    else:
        column = GENRE_COLUMN
        values = tracks.column(GENRE_COLUMN) if GENRE_COLUMN in tracks.column_names else pa.array([], pa.string())
        codes, names = label_codes(values)
        parents = np.arange(len(codes), dtype=np.int64)
    labelled = codes >= 0
    pair_rows, pair_codes = parents[labelled], codes[labelled]
    first = np.full(rows, -1, np.int64)
    tracks_with_genres, first_label = np.unique(pair_rows, return_index=True)  # pairs come in track order
    first[tracks_with_genres] = pair_codes[first_label]
    bits = np.zeros((rows, max(1, -(-len(names) // 64))), np.uint64)
    np.bitwise_or.at(bits, (pair_rows, pair_codes // 64), np.left_shift(np.uint64(1), (pair_codes % 64).astype(np.uint64)))
    return TrackGenres(names, first, bits, pair_rows, pair_codes, column)


def shares_genre(bits: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Whether each track of ``others`` (..., words) shares a genre with ``bits`` (broadcast)."""
    return np.any(np.bitwise_and(bits, others) != 0, axis=-1)
