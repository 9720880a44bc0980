"""Nearest-neighbour search over the catalog's scaled features, behind one small interface.

A :class:`NeighbourIndex` answers one question: the exact ``k`` nearest tracks of a point,
nearest first. :func:`ranked` turns that into a stream of every track in order of distance,
asking for more as the caller consumes them, which is all the recommendation rule needs.

Two implementations, chosen by ``MUSICREC_NEIGHBOUR_INDEX``:
- ``kdtree`` (default): the compiled k-d tree of :mod:`services.api.kdtree`;
- ``scipy``: scipy's ``cKDTree``, the same answers with no compiled code of the project's own
  (``make bench-api`` measures both).
"""

from __future__ import annotations

from typing import Iterator, Literal, Protocol

import numpy as np
from scipy.spatial import cKDTree

from services.api.kdtree import build_tree, compile_kernels

IndexKind = Literal["kdtree", "scipy"]


class NeighbourIndex(Protocol):
    size: int

    def nearest(
        self, point: np.ndarray, k: int, low: np.ndarray | None = None, high: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Rows and distances of the ``k`` (>= 1) nearest tracks, nearest first; all when fewer.
        With ``low`` and ``high`` (per coordinate), only tracks inside that box, its faces included."""


class ScipyIndex:
    """scipy's ``cKDTree`` over the points (kept as float64, which it computes in); a box is
    applied to its answers, asking for more until enough lie inside."""

    def __init__(self, points: np.ndarray) -> None:
        self.points = np.asarray(points, dtype=np.float64)
        self.tree = cKDTree(self.points, balanced_tree=False)
        self.size = len(points)

    def nearest(
        self, point: np.ndarray, k: int, low: np.ndarray | None = None, high: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        asked = min(k, self.size)
        while True:
            distances, rows = self.tree.query(point, k=[*range(1, asked + 1)])
            if low is not None or high is not None:
                inside = np.all((self.points[rows] >= low) & (self.points[rows] <= high), axis=1)
                rows, distances = rows[inside], distances[inside]
            if len(rows) >= k or asked == self.size:
                return rows[:k], distances[:k]
            asked = min(asked * 4, self.size)


def build_index(points: np.ndarray, kind: IndexKind = "kdtree") -> NeighbourIndex:
    """An index over ``points`` ((tracks, features), at least one track)."""
    if kind == "scipy":
        return ScipyIndex(points)
    compile_kernels()  # or load them from numba's cache, before the first request needs them
    return build_tree(points)


def ranked(
    index: NeighbourIndex, point: np.ndarray, first: int, low: np.ndarray | None = None, high: np.ndarray | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Every track of the index (inside the box, when given) in order of distance from ``point``,
    in batches (rows, distances).

    The first batch holds the ``first`` nearest; each later one asks the index for four times
    as many and yields those not yielded yet. Tracks at the same distance as the last one
    yielded may come in any order; none is yielded twice and none is left out.
    """
    k, last, at_last = max(1, first), -np.inf, np.empty(0, np.int64)
    while True:
        rows, distances = index.nearest(point, k, low, high)
        exhausted = len(rows) < k  # fewer than asked: there are no more (in the box)
        start = int(np.searchsorted(distances, last, side="left"))  # all nearer ones were yielded
        rows, distances = rows[start:], distances[start:]
        if len(at_last):
            fresh = ~((distances == last) & np.isin(rows, at_last))
            rows, distances = rows[fresh], distances[fresh]
        if len(rows):
            yield rows, distances
            farthest = distances[-1]
            tied = rows[distances == farthest]
            at_last = np.union1d(at_last, tied) if farthest == last else tied
            last = farthest
        if exhausted or k >= index.size:
            return
        k *= 4
