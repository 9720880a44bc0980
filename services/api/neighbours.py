"""Nearest-neighbour search over the catalog's scaled features, behind one small interface.

A :class:`NeighbourIndex` answers one question: the ``k`` best-scored tracks of a point among
those that pass some :class:`~services.api.kdtree.Conditions` (ranges on attributes; soft
terms added to the distance), best first, exactly. :func:`ranked` turns that into a stream of
every passing track in order of score, asking for more as the caller consumes them, which is
all the recommendation rule needs.

Two implementations, chosen by ``MUSICREC_NEIGHBOUR_INDEX``:
- ``kdtree`` (default): the compiled k-d tree of :mod:`services.api.kdtree`, which prunes by
  the conditions as it searches;
- ``scipy``: scipy's ``cKDTree`` by distance alone, the conditions applied to its answers, with
  no compiled code of the project's own (``make bench-api`` measures both).
"""

from __future__ import annotations

from typing import Iterator, Literal, Protocol, Sequence

import numpy as np
from scipy.spatial import cKDTree

from services.api.kdtree import ANYTHING, Conditions, build_tree, compile_kernels

IndexKind = Literal["kdtree", "scipy"]


class NeighbourIndex(Protocol):
    size: int

    def point(self, row: int) -> np.ndarray:
        """Track ``row``'s point, float64."""

    def nearest(self, point: np.ndarray, k: int, conditions: Conditions = ANYTHING) -> tuple[np.ndarray, np.ndarray]:
        """Rows and scores of the ``k`` (>= 1) best-scored tracks that pass ``conditions``, best
        first; all that pass when fewer."""

    def count(self, conditions: Conditions) -> int:
        """How many tracks pass ``conditions``."""

    def passes(self, rows: np.ndarray, conditions: Conditions) -> np.ndarray:
        """Which of the tracks at ``rows`` pass ``conditions``."""


class ScipyIndex:
    """scipy's ``cKDTree`` over the points (kept as float64, which it computes in). It asks for
    ever more neighbours by distance until the ``k`` best scores among those that pass are
    known: a score is never below the distance, so once the ``k``-th best is no greater than
    the farthest distance asked, no track farther away can beat it."""

    def __init__(self, points: np.ndarray, attributes: Sequence[np.ndarray] = (), fill: np.ndarray | None = None) -> None:
        self.points = np.asarray(points, dtype=np.float64)
        self.tree = cKDTree(self.points, balanced_tree=False)
        self.size = len(points)
        self.attributes = np.column_stack([np.asarray(a, dtype=np.float64) for a in attributes]) if len(attributes) else np.empty((self.size, 0))
        self.fill = np.zeros(len(attributes)) if fill is None else np.asarray(fill, dtype=np.float64)

    def point(self, row: int) -> np.ndarray:
        return self.points[row].copy()

    def nearest(self, point: np.ndarray, k: int, conditions: Conditions = ANYTHING) -> tuple[np.ndarray, np.ndarray]:
        asked = min(k, self.size)
        while True:
            distances, rows = self.tree.query(point, k=[*range(1, asked + 1)])
            farthest = distances[-1]
            if len(conditions.filtered):
                keep = self.passes(rows, conditions)
                rows, distances = rows[keep], distances[keep]
            scores = conditions.scores(self.attributes[rows], self.fill, distances)
            best = np.argsort(scores, kind="stable")[:k]
            if asked == self.size or (len(best) == k and scores[best[-1]] <= farthest):
                return rows[best], scores[best]
            asked = min(asked * 4, self.size)

    def count(self, conditions: Conditions) -> int:
        return int(np.count_nonzero(conditions.passes(self.attributes))) if len(conditions.filtered) else self.size

    def passes(self, rows: np.ndarray, conditions: Conditions) -> np.ndarray:
        return conditions.passes(self.attributes[np.asarray(rows, dtype=np.int64)])


def build_index(points: np.ndarray, attributes: Sequence[np.ndarray] = (), fill: np.ndarray | None = None,
                kind: IndexKind = "kdtree") -> NeighbourIndex:  # fmt: skip
    """An index over ``points`` ((tracks, features), at least one track) and their
    ``attributes`` (one array per attribute, NaN where missing; ``fill``: each one's stand-in
    for a missing value in a soft term)."""
    if kind == "scipy":
        return ScipyIndex(points, attributes, fill)
    compile_kernels()  # or load them from numba's cache, before the first request needs them
    return build_tree(points, attributes, fill)


def ranked(index: NeighbourIndex, point: np.ndarray, first: int, conditions: Conditions = ANYTHING) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Every track of the index that passes ``conditions``, in order of score from ``point``, in
    batches (rows, scores).

    The first batch holds the ``first`` best; each later one asks the index for four times
    as many and yields those not yielded yet. Tracks with the same score as the last one
    yielded may come in any order; none is yielded twice and none is left out.
    """
    k, last, at_last = max(1, first), -np.inf, np.empty(0, np.int64)
    while True:
        rows, scores = index.nearest(point, k, conditions)
        exhausted = len(rows) < k  # fewer than asked: no more pass
        start = int(np.searchsorted(scores, last, side="left"))  # all better ones were yielded
        rows, scores = rows[start:], scores[start:]
        if len(at_last):
            fresh = ~((scores == last) & np.isin(rows, at_last))
            rows, scores = rows[fresh], scores[fresh]
        if len(rows):
            yield rows, scores
            worst = scores[-1]
            tied = rows[scores == worst]
            at_last = np.union1d(at_last, tied) if worst == last else tied
            last = worst
        if exhausted or k >= index.size:
            return
        k *= 4
