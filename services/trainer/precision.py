"""Genre precision@k of the recommendations a model would make.

For given query tracks (held out of every fit) that have a genre, take the k nearest tracks
in the model's space within the query's cluster, leaving out the query and every track by
the query's own artist (as the API leaves out other versions of the same track), and count
how many share a genre with the query (any of its genres: see :mod:`services.trainer.genres`).
The score is the mean of that fraction over the queries. Neighbours come from a KD-tree per
cluster, asked for as many more tracks as the query's artist has in the cluster, so the ones
left after leaving those out are exactly the nearest.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from services.trainer.genres import shares_genre

FIRST_ASK = 4  # neighbours asked for first, per neighbour wanted


def genre_precision(
    scaled: np.ndarray, labels: np.ndarray, genres: np.ndarray, artists: np.ndarray, queries: np.ndarray, *, at: int = 5
) -> tuple[float | None, int]:
    """(mean precision@at, number of queries scored) over the ``queries`` (row numbers) that have
    a genre; (None, 0) when none has. ``genres`` is the tracks' genre bit sets (rows x words)."""
    chosen = np.sort(queries[np.any(genres[queries] != 0, axis=1)])
    if len(chosen) == 0:
        return None, 0
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
    """Precision of each asked track (NaN where the cluster offers no other artist)."""
    tree = cKDTree(scaled[members], balanced_tree=False, compact_nodes=False)  # quicker to build
    member_artists, member_genres = artists[members], genres[members]
    tracks_by_artist = np.bincount(member_artists[member_artists >= 0], minlength=max(int(artists.max()) + 1, 1))
    asked_artists = artists[asked]
    # tracks to skip at most: the query and the rest of its artist's tracks in the cluster
    own = np.where(asked_artists >= 0, tracks_by_artist[np.maximum(asked_artists, 0)], 1)
    wanted = np.minimum(at + own, len(members))
    out = np.full(len(asked), np.nan)
    pending = np.arange(len(asked))
    # Most queries find `at` other artists among a few neighbours; the rest ask for all they may need.
    for limit in (FIRST_ASK * at, None):
        asks = wanted[pending] if limit is None else np.minimum(wanted[pending], limit)
        unresolved = []
        for k in np.unique(asks):
            group = pending[asks == k]
            counted, same = _nearest_other_artists(tree, scaled, members, asked[group], int(k), at, member_artists,
                                                   member_genres, artists, genres)  # fmt: skip
            done = (counted == at) | (k == wanted[group])
            with np.errstate(invalid="ignore", divide="ignore"):
                out[group[done]] = np.where(counted[done] > 0, same[done] / counted[done], np.nan)
            unresolved.append(group[~done])
        pending = np.concatenate(unresolved) if unresolved else pending[:0]
    return out


def _nearest_other_artists(tree, scaled, members, rows, k, at, member_artists, member_genres, artists, genres):
    """Among the k nearest members: how many of the first ``at`` by another artist were
    found, and how many of those share the query's genre."""
    _, nearest = tree.query(scaled[rows], k=k)
    nearest = nearest.reshape(len(rows), -1)
    other = (members[nearest] != rows[:, None]) & (
        (member_artists[nearest] != artists[rows][:, None]) | (artists[rows][:, None] < 0)
    )
    kept = other & (np.cumsum(other, axis=1) <= at)
    return kept.sum(axis=1), (shares_genre(genres[rows][:, None, :], member_genres[nearest]) & kept).sum(axis=1)
