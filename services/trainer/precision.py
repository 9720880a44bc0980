"""Genre precision@k of the recommendations a model would make.

For a sample of query tracks that have a genre, take the k nearest tracks in the scaled
space within the query's cluster, leaving out the query and every track by the query's own
artist (as the API leaves out other versions of the same track), and count how many share
the query's genre. The score is the mean of that fraction over the queries.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Distances computed at once per chunk of queries (elements of a queries x members matrix).
CHUNK_ELEMENTS = 1 << 24


def codes(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Integer codes of a string column; nulls and empty strings become -1."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    array = pc.if_else(pc.equal(array, ""), pa.scalar(None, array.type), array)
    return pc.dictionary_encode(array).indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def genre_precision(
    scaled: np.ndarray,
    labels: np.ndarray,
    genres: np.ndarray,
    artists: np.ndarray,
    *,
    queries: int,
    at: int = 5,
    seed: int = 0,
) -> tuple[float | None, int]:
    """(mean precision@at, number of queries scored); (None, 0) when no track has a genre."""
    with_genre = np.flatnonzero(genres >= 0)
    if len(with_genre) == 0:
        return None, 0
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(with_genre, min(queries, len(with_genre)), replace=False))
    order = np.argsort(labels, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(labels, minlength=int(labels.max()) + 1))])
    scores: list[np.ndarray] = []
    for cluster in np.unique(labels[chosen]):
        members = order[bounds[cluster] : bounds[cluster + 1]]  # ascending row numbers
        asked = chosen[labels[chosen] == cluster]
        scores.append(_cluster_precision(scaled, members, asked, genres, artists, at))
    found = np.concatenate(scores)
    found = found[~np.isnan(found)]
    return (float(found.mean()), int(len(found))) if len(found) else (None, 0)


def _cluster_precision(
    scaled: np.ndarray, members: np.ndarray, asked: np.ndarray, genres: np.ndarray, artists: np.ndarray, at: int
) -> np.ndarray:
    points = scaled[members]
    norms = np.einsum("ij,ij->i", points, points)
    member_artists, member_genres = artists[members], genres[members]
    chunk = max(1, CHUNK_ELEMENTS // len(members))
    out = np.empty(len(asked))
    for start in range(0, len(asked), chunk):
        rows = asked[start : start + chunk]
        query = scaled[rows]
        distance = norms[None, :] - 2.0 * (query @ points.T) + np.einsum("ij,ij->i", query, query)[:, None]
        own_artist = (member_artists[None, :] == artists[rows][:, None]) & (artists[rows][:, None] >= 0)
        distance[own_artist] = np.inf
        distance[np.arange(len(rows)), np.searchsorted(members, rows)] = np.inf  # the query itself
        take = min(at, len(members))
        nearest = np.argpartition(distance, take - 1, axis=1)[:, :take]
        usable = np.isfinite(np.take_along_axis(distance, nearest, axis=1))
        same = (member_genres[nearest] == genres[rows][:, None]) & usable
        counted = usable.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[start : start + len(rows)] = np.where(counted > 0, same.sum(axis=1) / counted, np.nan)
    return out
