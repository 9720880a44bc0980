"""A k-d tree over the catalog's tracks (scaled features), searched in compiled code: the exact
``k`` nearest tracks of a point. It knows nothing of songs, clusters or filters: what to skip is
the recommendation rule's business (:mod:`services.api.recommend`).

The tree splits at the median of the widest dimension until a leaf holds at most
``LEAF_SIZE`` tracks; the tracks are stored in leaf order (float32, one row per track), so a
leaf's tracks are read in one sequential sweep. An inner node keeps only its split (the
dimension and the lowest value of its right half): the search carries the query's squared
distance to each cell and updates it per split (Arya and Mount's incremental distance), so
the few kilobytes of nodes stay in the processor's cache and only leaves touch memory. The
search is exact: distances are computed in float64 and a cell is skipped only when it is
not nearer than the ``limit``-th track found so far.

Memory, not arithmetic, bounds the search: a query reads a few thousand tracks from
leaves scattered over tens of megabytes. So each leaf also keeps its tracks as one byte per
feature (the feature's range in 256 steps, stored feature by feature so the loop over a
leaf vectorises). From those bytes the search computes, for every track of a leaf, a lower
bound of its distance (the distance to the step's interval), and reads the exact float32
features only of the few tracks whose bound does not rule them out: less memory
traffic, and the same exact answer.

The kernels are compiled by numba (cached on disk) and release the GIL.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

LEAF_SIZE = 128
LEVELS = 256  # steps of a feature's range in the one-byte codes
_STACK = 128  # pending subtrees; the median split keeps the depth near log2(tracks / LEAF_SIZE)
START, END, LEFT, RIGHT, DIMENSION = range(5)


@dataclass(frozen=True)
class KdTree:
    points: np.ndarray  # (tracks, features) float32, in leaf order
    order: np.ndarray  # int32: the tracks' original positions, in leaf order
    links: np.ndarray  # (nodes, 5) int32: START, END (of the node's tracks), LEFT, RIGHT (-1 at a leaf), DIMENSION
    splits: np.ndarray  # (nodes,) float32: the lowest value of the right child along DIMENSION
    codes: np.ndarray  # uint8: per leaf [START, END), from START * features, each feature's codes in turn
    low: np.ndarray  # (features,) float64: a track's feature lies in [low + code * step, low + (code + 1) * step]
    step: np.ndarray  # (features,) float64

    @property
    def size(self) -> int:
        return len(self.order)

    def nearest(
        self, query: np.ndarray, k: int, low: np.ndarray | None = None, high: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The tracks (their rows in the points given to :func:`build_tree`) and distances of the
        ``k`` nearest to ``query``, nearest first; all of them when there are fewer. With ``low``
        and ``high`` (per feature, float64), only tracks inside that box, its faces included."""
        k = min(k, self.size)
        found = np.empty(k, np.int32)
        distances = np.empty(k, np.float64)
        boxed = low is not None or high is not None
        low = np.full(self.points.shape[1], -np.inf) if low is None else low
        high = np.full(self.points.shape[1], np.inf) if high is None else high
        count = _search(self.points, self.codes, self.low, self.step, self.links, self.splits, query, found, distances,
                        boxed, low, high)  # fmt: skip
        return self.order[found[:count]], np.sqrt(distances[:count])


def compile_kernels() -> None:
    """Compile the kernels (or load them from numba's cache) now rather than in a request."""
    tree = build_tree(np.zeros((2, 1), np.float32))
    tree.nearest(np.zeros(1), 1)
    tree.nearest(np.zeros(1), 1, np.zeros(1), np.ones(1))


def build_tree(points: np.ndarray, leaf_size: int = LEAF_SIZE) -> KdTree:
    """The tree over ``points`` ((tracks, features), any float dtype; at least one track)."""
    points = np.ascontiguousarray(points, dtype=np.float32)
    tracks, features = points.shape
    capacity = 2 * (tracks // max(1, leaf_size // 2)) + 3
    order = np.arange(tracks, dtype=np.int32)
    links = np.empty((capacity, 5), np.int32)
    splits = np.zeros(capacity, np.float32)
    nodes = _build(points, leaf_size, order, links, splits)
    points, links = points[order], links[:nodes].copy()
    low = points.min(axis=0).astype(np.float64)
    span = points.max(axis=0).astype(np.float64) - low
    step = np.where(span > 0, span / LEVELS, 1.0)
    codes = np.zeros(tracks * features + _SIMD_PAD, np.uint8)
    _encode(points, low, step, links, codes)
    return KdTree(points, order, links, splits[:nodes].copy(), codes, low, step)


_SIMD_PAD = 64  # bytes after the codes: a leaf's last feature is read in whole vectors


@numba.njit(cache=True, nogil=True)
def _encode(points, low, step, links, codes):  # pragma: no cover - compiled
    features = points.shape[1]
    for node in range(links.shape[0]):
        if links[node, LEFT] >= 0:
            continue
        start, end = links[node, START], links[node, END]
        tracks = end - start
        for f in range(features):
            at = features * start + f * tracks
            for t in range(tracks):
                code = np.floor((np.float64(points[start + t, f]) - low[f]) / step[f])
                codes[at + t] = min(max(code, 0.0), LEVELS - 1.0)


@numba.njit(cache=True, nogil=True)
def _select(points, order, start, end, nth, dim):  # pragma: no cover - compiled
    """Reorder ``order[start:end]`` so that position ``nth`` holds the median along ``dim``."""
    low, high = start, end - 1
    while low < high:
        pivot = points[order[(low + high) // 2], dim]
        i, j = low, high
        while i <= j:
            while points[order[i], dim] < pivot:
                i += 1
            while points[order[j], dim] > pivot:
                j -= 1
            if i <= j:
                order[i], order[j] = order[j], order[i]
                i += 1
                j -= 1
        if nth <= j:
            high = j
        elif nth >= i:
            low = i
        else:
            return


@numba.njit(cache=True, nogil=True)
def _build(points, leaf_size, order, links, splits):  # pragma: no cover - compiled
    features = points.shape[1]
    links[0, START], links[0, END] = 0, points.shape[0]
    nodes = 1
    pending = np.empty(_STACK, np.int64)
    pending[0] = 0
    depth = 1
    while depth > 0:
        depth -= 1
        node = pending[depth]
        start, end = links[node, START], links[node, END]
        links[node, LEFT], links[node, RIGHT], links[node, DIMENSION] = -1, -1, -1
        widest, width = 0, 0.0
        for f in range(features):
            low, high = np.inf, -np.inf
            for t in range(start, end):
                value = points[order[t], f]
                low = min(low, value)
                high = max(high, value)
            if high - low > width:
                widest, width = f, high - low
        if end - start <= leaf_size or width == 0.0:
            continue  # a leaf (also when all its tracks are identical)
        middle = (start + end) // 2
        _select(points, order, start, end, middle, widest)
        # the median and all after it are >= it, all before it <= it: a cell boundary
        links[node, DIMENSION], splits[node] = widest, points[order[middle], widest]
        left, right = nodes, nodes + 1
        nodes += 2
        links[node, LEFT], links[node, RIGHT] = left, right
        links[left, START], links[left, END] = start, middle
        links[right, START], links[right, END] = middle, end
        pending[depth], pending[depth + 1] = right, left
        depth += 2
    return nodes


@numba.njit(cache=True, nogil=True)
def _offer(distance, position, found, distances, count, limit):  # pragma: no cover - compiled
    """Put a track into the answer (sorted by distance, at most ``limit``); returns the new count."""
    at = min(count, limit - 1)
    while at > 0 and distances[at - 1] > distance:
        found[at], distances[at] = found[at - 1], distances[at - 1]
        at -= 1
    found[at], distances[at] = position, distance
    return min(count + 1, limit)


_SLACK = 2.0**-16  # relative; float32 rounding is 2**-24 per operation
_CUT_MARGIN = 1.0 + 2.0**-10  # float32 sums of squares of the bounds stay well inside this
_CHUNK = 2 * LEAF_SIZE  # tracks bounded at a time (a leaf of identical tracks can hold many more)


@numba.njit(cache=True, nogil=True)
def _bound_leaf(codes, features, start, tracks, first, count, base, gain, step, bounds):  # pragma: no cover - compiled
    """``bounds[i]``: a lower bound of the squared distance of track ``first + i`` of the leaf
    that starts at ``start`` and holds ``tracks``, from its codes (``count`` of them)."""
    whole = (count + 7) & ~7  # whole vectors: the rest is read from the padding and ignored
    bounds[:whole] = 0.0
    at = features * start + first
    for f in range(features):
        row = codes[at + f * tracks : at + f * tracks + whole]
        b, g, s = base[f], gain[f], step[f]
        for i in range(whole):
            below = b + np.float32(row[i]) * s
            gap = max(below, g - below, np.float32(0.0))
            bounds[i] += gap * gap


@numba.njit(cache=True, nogil=True)
def _inside(points, t, box_low, box_high):  # pragma: no cover - compiled
    for f in range(points.shape[1]):
        value = np.float64(points[t, f])
        if value < box_low[f] or value > box_high[f]:
            return False
    return True


@numba.njit(cache=True, nogil=True)
def _search(points, codes, low, step, links, splits, query, found, distances, boxed, box_low, box_high):  # pragma: no cover - compiled
    limit = found.shape[0]
    features = points.shape[1]
    count = 0
    worst = np.inf  # squared distance a track must beat to enter the answer
    cut = np.float32(np.inf)  # a track whose bound reaches this is not read
    # bound of a track, per feature: max(low + code * step - query, query - (low + (code + 1) * step), 0),
    # computed in float32 as max(base + code * step, gain - (base + code * step), 0), each side
    # lowered by a slack that covers float32 rounding at the values' magnitude
    base = np.empty(features, np.float32)
    gain = np.empty(features, np.float32)
    step32 = np.empty(features, np.float32)
    for f in range(features):
        slack = _SLACK * (1.0 + abs(low[f]) + abs(low[f] + LEVELS * step[f]) + abs(query[f]))
        base[f] = np.float32(low[f] - query[f] - slack)
        gain[f] = np.float32(-step[f] - 2.0 * slack)
        step32[f] = np.float32(step[f])
    bounds_of = np.empty(_CHUNK + 8, np.float32)
    # pending cells: node, squared distance from the query, and that distance per dimension
    pending = np.empty(_STACK, np.int64)
    bounds = np.empty(_STACK, np.float64)
    gaps = np.empty((_STACK, features), np.float64)
    gap = np.zeros(features, np.float64)
    pending[0], bounds[0], gaps[0] = 0, 0.0, gap
    depth = 1
    while depth > 0:
        depth -= 1
        node, bound = pending[depth], bounds[depth]
        if bound >= worst:
            continue
        gap[:] = gaps[depth]
        left = links[node, LEFT]
        reached = True
        while left >= 0:  # down to the leaf holding the query, the farther halves put aside
            dimension = links[node, DIMENSION]
            split = np.float64(splits[node])
            beyond = query[dimension] - split
            # the left half's values are at most the split, the right half's at least: a half
            # that lies wholly outside the box is never entered
            left_in, right_in = split >= box_low[dimension], split <= box_high[dimension]
            if beyond < 0.0:
                near, far, near_in, far_in = left, links[node, RIGHT], left_in, right_in
            else:
                near, far, near_in, far_in = links[node, RIGHT], left, right_in, left_in
            far_bound = bound - gap[dimension] * gap[dimension] + beyond * beyond
            if far_in and far_bound < worst:
                pending[depth], bounds[depth] = far, far_bound
                gaps[depth] = gap
                gaps[depth, dimension] = beyond
                depth += 1
            if not near_in:
                reached = False
                break
            node = near
            left = links[node, LEFT]
        if not reached:
            continue
        start, tracks = links[node, START], links[node, END] - links[node, START]
        for first in range(0, tracks, _CHUNK):
            chunk = min(_CHUNK, tracks - first)
            _bound_leaf(codes, features, start, tracks, first, chunk, base, gain, step32, bounds_of)
            for i in range(chunk):
                if bounds_of[i] >= cut:
                    continue
                t = start + first + i
                if boxed and not _inside(points, t, box_low, box_high):
                    continue
                distance = 0.0
                for f in range(features):
                    d = np.float64(points[t, f]) - query[f]
                    distance += d * d
                if distance < worst:
                    count = _offer(distance, t, found, distances, count, limit)
                    if count == limit:
                        worst = distances[limit - 1]
                        cut = np.float32(worst * _CUT_MARGIN)
    return count
