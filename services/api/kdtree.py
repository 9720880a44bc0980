"""A k-d tree over the catalog's tracks (scaled features), searched in compiled code: the exact
``k`` best-scored tracks of a point among those that pass some conditions on their attributes.
It knows nothing of songs, seeds or artists: what to skip is the recommendation rule's business
(:mod:`services.api.recommend`).

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

Beside the features it is searched by, the tree keeps each track's **attributes** (any number
of float64 columns, NaN for a missing value: the recommendation rule's tunable attributes and
the cluster), in leaf order, and every node the least and greatest known value of each and how
many of its tracks lack it. A search may ask (:class:`Conditions`) that attributes lie in
ranges (a missing value never does) and add to the squared distance a term per attribute with
a target, ``((value - target) / scale) ** 2`` (a missing value counts as the attribute's
``fill``). A node none of whose tracks can pass the ranges is not entered, and a node's term
is bounded from its least and greatest values, so the answer stays exact: the ``k`` best
scores among the tracks that pass. :meth:`KdTree.count` counts the tracks that pass, adding a
node whole when all of its tracks must.

The kernels are compiled by numba (cached on disk) and release the GIL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numba
import numpy as np

LEAF_SIZE = 128
LEVELS = 256  # steps of a feature's range in the one-byte codes
_STACK = 128  # pending subtrees; the median split keeps the depth near log2(tracks / LEAF_SIZE)
START, END, LEFT, RIGHT, DIMENSION = range(5)


@dataclass(frozen=True)
class Conditions:
    """What a search asks beyond nearness, by attribute (a column of the tree's attributes).

    A track passes when each ``filtered`` attribute lies in ``[low, high]`` (faces included; a
    missing value does not). Its score is the square root of its squared distance plus, for
    each ``soft`` attribute, ``((value - target) / scale) ** 2``, a missing value counting as
    the attribute's fill value; with no soft attribute the score is the distance.
    """

    filtered: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    low: np.ndarray = field(default_factory=lambda: np.empty(0))  # per filtered attribute; -inf: no lower bound
    high: np.ndarray = field(default_factory=lambda: np.empty(0))  # inf: no upper bound
    soft: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    target: np.ndarray = field(default_factory=lambda: np.empty(0))
    scale: np.ndarray = field(default_factory=lambda: np.empty(0))

    def passes(self, attributes: np.ndarray) -> np.ndarray:
        """Which rows of ``attributes`` ((tracks, attributes)) pass the ranges."""
        values = attributes[:, self.filtered]
        return np.all((values >= self.low) & (values <= self.high), axis=1)

    def scores(self, attributes: np.ndarray, fill: np.ndarray, distances: np.ndarray) -> np.ndarray:
        """The scores of tracks with these ``attributes`` at these (Euclidean) ``distances``."""
        if not len(self.soft):
            return distances
        total = distances**2
        for at, target, scale in zip(self.soft.tolist(), self.target.tolist(), self.scale.tolist()):
            values = attributes[:, at]
            values = np.where(np.isnan(values), fill[at], values)
            total = total + ((values - target) / scale) ** 2
        return np.sqrt(total)


ANYTHING = Conditions()


@dataclass(frozen=True)
class KdTree:
    points: np.ndarray  # (tracks, features) float32, in leaf order
    order: np.ndarray  # int32: the tracks' original positions, in leaf order
    position: np.ndarray  # int32: each track's place in leaf order (the inverse of ``order``)
    links: np.ndarray  # (nodes, 5) int32: START, END (of the node's tracks), LEFT, RIGHT (-1 at a leaf), DIMENSION
    splits: np.ndarray  # (nodes,) float32: the lowest value of the right child along DIMENSION
    codes: np.ndarray  # uint8: per leaf [START, END), from START * features, each feature's codes in turn
    low: np.ndarray  # (features,) float64: a track's feature lies in [low + code * step, low + (code + 1) * step]
    step: np.ndarray  # (features,) float64
    attributes: np.ndarray  # (attributes, tracks) float64, in leaf order; NaN: missing
    attribute_codes: np.ndarray  # (attributes, tracks) uint16, in leaf order: a value's step of its range, MISSING_CODE when missing
    attribute_low: np.ndarray  # (attributes,) float64: a known value lies near [low + code * step, low + (code + 1) * step]
    attribute_step: np.ndarray  # (attributes,) float64
    attribute_exact: np.ndarray  # (attributes,) bool: whole numbers, coded as value - low (a code is the value)
    fill: np.ndarray  # (attributes,) float64: a missing value's stand-in in a soft term
    lowest: np.ndarray  # (nodes, attributes) float64: the least known value of the node's tracks (inf: none known)
    highest: np.ndarray  # (nodes, attributes) float64: the greatest (-inf: none known)
    missing: np.ndarray  # (nodes, attributes) int32: the node's tracks without a value

    @property
    def size(self) -> int:
        return len(self.order)

    def point(self, row: int) -> np.ndarray:
        """The point of track ``row`` (its row in the points given to :func:`build_tree`), as float64."""
        return self.points[self.position[row]].astype(np.float64)

    def nearest(self, query: np.ndarray, k: int, conditions: Conditions = ANYTHING) -> tuple[np.ndarray, np.ndarray]:
        """The tracks (their rows in the points given to :func:`build_tree`) and scores of the
        ``k`` best-scored tracks that pass ``conditions``, best first; all of them when fewer pass."""
        k = min(k, self.size)
        found = np.empty(k, np.int32)
        scores = np.empty(k, np.float64)
        count = _search(self.points, self.codes, self.low, self.step, self.links, self.splits, query, found, scores,
                        self.attributes, self.fill, self.lowest, self.highest, self.missing, *_arrays(conditions))  # fmt: skip
        return self.order[found[:count]], np.sqrt(scores[:count])

    def count(self, conditions: Conditions) -> int:
        """How many tracks pass ``conditions``."""
        filtered, low, high = _arrays(conditions)[:3]
        return int(_count(self.links, self.attributes, self.attribute_codes, self.attribute_low, self.attribute_step,
                          self.attribute_exact, self.lowest, self.highest, self.missing, filtered, low, high))  # fmt: skip

    def passes(self, rows: np.ndarray, conditions: Conditions) -> np.ndarray:
        """Which of the tracks at ``rows`` pass ``conditions``."""
        return conditions.passes(self.attributes[:, self.position[np.asarray(rows, dtype=np.int64)]].T)


def _arrays(conditions: Conditions) -> tuple[np.ndarray, ...]:
    return (np.asarray(conditions.filtered, np.int64), np.asarray(conditions.low, np.float64), np.asarray(conditions.high, np.float64),
            np.asarray(conditions.soft, np.int64), np.asarray(conditions.target, np.float64),
            np.asarray(conditions.scale, np.float64))  # fmt: skip


def compile_kernels() -> None:
    """Compile the kernels (or load them from numba's cache) now rather than in a request."""
    tree = build_tree(np.zeros((2, 1), np.float32), [np.zeros(2)])
    tree.nearest(np.zeros(1), 1)
    both = Conditions(np.zeros(1, np.int64), np.zeros(1), np.ones(1), np.zeros(1, np.int64), np.zeros(1), np.ones(1))
    tree.nearest(np.zeros(1), 1, both)
    tree.count(both)


def build_tree(points: np.ndarray, attributes: Sequence[np.ndarray] = (), fill: np.ndarray | None = None,
               leaf_size: int = LEAF_SIZE) -> KdTree:  # fmt: skip
    """The tree over ``points`` ((tracks, features), any float dtype; at least one track), with
    ``attributes`` (one array of ``tracks`` values per attribute, NaN where missing) and their
    ``fill`` values (default 0)."""
    points = np.ascontiguousarray(points, dtype=np.float32)
    tracks, features = points.shape
    capacity = 2 * (tracks // max(1, leaf_size // 2)) + 3
    order = np.arange(tracks, dtype=np.int32)
    links = np.empty((capacity, 5), np.int32)
    splits = np.zeros(capacity, np.float32)
    nodes = _build(points, leaf_size, order, links, splits)
    points, links = points[order], links[:nodes].copy()
    position = np.empty(tracks, np.int32)
    position[order] = np.arange(tracks, dtype=np.int32)
    low = points.min(axis=0).astype(np.float64)
    span = points.max(axis=0).astype(np.float64) - low
    step = np.where(span > 0, span / LEVELS, 1.0)
    codes = np.zeros(tracks * features + _SIMD_PAD, np.uint8)
    _encode(points, low, step, links, codes)
    values = np.empty((len(attributes), tracks), np.float64)
    for at, column in enumerate(attributes):
        values[at] = np.asarray(column, dtype=np.float64)[order]  # one column at a time: no copy of them all in their order
    lowest, highest = np.empty((nodes, len(attributes))), np.empty((nodes, len(attributes)))
    missing = np.empty((nodes, len(attributes)), np.int32)
    _summarise(values, links, lowest, highest, missing)
    attribute_low = np.where(np.isfinite(lowest[0]), lowest[0], 0.0) if nodes else np.zeros(len(attributes))
    attribute_span = np.where(np.isfinite(highest[0]), highest[0], 0.0) - attribute_low if nodes else np.zeros(len(attributes))
    whole = np.array([np.array_equal(row[~np.isnan(row)], np.floor(row[~np.isnan(row)])) for row in values], dtype=bool)
    exact = whole & (attribute_span < MISSING_CODE)  # whole numbers, fewer than MISSING_CODE apart: one code each
    attribute_step = np.where(exact | (attribute_span == 0), 1.0, attribute_span / (MISSING_CODE - 1))
    attribute_codes = np.empty((len(attributes), tracks), np.uint16)
    _encode_attributes(values, attribute_low, attribute_step, attribute_codes)
    fill = np.zeros(len(attributes)) if fill is None else np.asarray(fill, dtype=np.float64)
    return KdTree(points, order, position, links, splits[:nodes].copy(), codes, low, step, values, attribute_codes,
                  attribute_low, attribute_step, exact, fill, lowest, highest, missing)  # fmt: skip


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
def _root_pending():  # pragma: no cover - compiled
    """A stack of pending nodes holding the root, and its depth."""
    pending = np.empty(_STACK, np.int64)
    pending[0] = 0
    return pending, 1


@numba.njit(cache=True, nogil=True)
def _build(points, leaf_size, order, links, splits):  # pragma: no cover - compiled
    features = points.shape[1]
    links[0, START], links[0, END] = 0, points.shape[0]
    nodes = 1
    pending, depth = _root_pending()
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
def _summarise(attributes, links, lowest, highest, missing):  # pragma: no cover - compiled
    """Each node's least and greatest known value of each attribute, and its tracks without one."""
    for node in range(links.shape[0] - 1, -1, -1):  # children come after their parent
        left, right = links[node, LEFT], links[node, RIGHT]
        for a in range(attributes.shape[0]):
            if left >= 0:
                lowest[node, a] = min(lowest[left, a], lowest[right, a])
                highest[node, a] = max(highest[left, a], highest[right, a])
                missing[node, a] = missing[left, a] + missing[right, a]
                continue
            least, greatest, lacking = np.inf, -np.inf, 0
            for t in range(links[node, START], links[node, END]):
                value = attributes[a, t]
                if np.isnan(value):
                    lacking += 1
                else:
                    least = min(least, value)
                    greatest = max(greatest, value)
            lowest[node, a], highest[node, a], missing[node, a] = least, greatest, lacking


NONE_PASS, SOME_PASS, ALL_PASS = 0, 1, 2
_COUNT_BLOCK = 8192  # a count reads a node of at most this many tracks in one sweep rather than leaf by leaf
MISSING_CODE = 65535  # an attribute's code for a missing value; known values take 0 to 65534


@numba.njit(cache=True, nogil=True)
def _state(node, lowest, highest, missing, filtered, low, high):  # pragma: no cover - compiled
    """Whether none, some or all of a node's tracks can pass the ranges."""
    whole = True
    for i in range(filtered.shape[0]):
        a = filtered[i]
        least, greatest = lowest[node, a], highest[node, a]
        if greatest < low[i] or least > high[i] or least > greatest:  # the last: no value known
            return NONE_PASS
        if missing[node, a] > 0 or least < low[i] or greatest > high[i]:
            whole = False
    return ALL_PASS if whole else SOME_PASS


@numba.njit(cache=True, nogil=True)
def _passes(attributes, t, filtered, low, high):  # pragma: no cover - compiled
    for i in range(filtered.shape[0]):
        value = attributes[filtered[i], t]
        if not (value >= low[i] and value <= high[i]):  # NaN: missing, never passes
            return False
    return True


_SOFT_MARGIN = 1.0 - 2.0**-40  # a node's bound is summed in another order than a track's terms


@numba.njit(cache=True, nogil=True)
def _soft_bound(node, lowest, highest, missing, fill, soft, target, scale):  # pragma: no cover - compiled
    """A lower bound of the soft terms of every track of a node."""
    total = 0.0
    for i in range(soft.shape[0]):
        a = soft[i]
        least, greatest = lowest[node, a], highest[node, a]
        if missing[node, a] > 0:
            least, greatest = min(least, fill[a]), max(greatest, fill[a])
        gap = max((least - target[i]) / scale[i], (target[i] - greatest) / scale[i], 0.0)
        total += gap * gap
    return total * _SOFT_MARGIN


@numba.njit(cache=True, nogil=True)
def _soft_terms(attributes, t, fill, soft, target, scale):  # pragma: no cover - compiled
    total = 0.0
    for i in range(soft.shape[0]):
        value = attributes[soft[i], t]
        if np.isnan(value):
            value = fill[soft[i]]
        d = (value - target[i]) / scale[i]
        total += d * d
    return total


@numba.njit(cache=True, nogil=True)
def _encode_attributes(values, low, step, codes):  # pragma: no cover - compiled
    for a in range(values.shape[0]):
        for t in range(values.shape[1]):
            value = values[a, t]
            if np.isnan(value):
                codes[a, t] = MISSING_CODE
            else:
                codes[a, t] = min(max(np.floor((value - low[a]) / step[a]), 0.0), MISSING_CODE - 1.0)


@numba.njit(cache=True, nogil=True)
def _code_of(value, low, step, exact, lower):  # pragma: no cover - compiled
    """The code of a range bound (``lower``: a lowest value), clipped to [-2, MISSING_CODE + 1]
    (beyond those, every code is on one side). An exact attribute's is the first (last) code
    that passes; another's is the step the bound falls in."""
    if value == np.inf:
        return MISSING_CODE + 1
    if value == -np.inf:
        return -2
    code = (np.ceil(value - low) if lower else np.floor(value - low)) if exact else np.floor((value - low) / step)
    return int(min(max(code, -2.0), MISSING_CODE + 1.0))


@numba.njit(cache=True, nogil=True)
def _count_leaf(attributes, codes, start, end, filtered, low, high, code_low, code_high, margin, out, unsure):  # pragma: no cover - compiled
    """The tracks of ``[start, end)`` that pass the ranges: their codes settle most of them (an
    exact attribute's code all of them; another's passes more than one step inside a range and
    fails more than one step outside); the rest are checked by their values. (Flags as bytes
    and codes as int32: the loops vectorise.)"""
    tracks = end - start
    out[:tracks] = 1
    unsure[:tracks] = 0
    for i in range(filtered.shape[0]):
        column = codes[filtered[i], start:end]
        m = margin[i]  # 0 for an exact attribute, else 1
        lowest, highest = np.int32(code_low[i] - m), np.int32(min(code_high[i] + m, MISSING_CODE - 1))
        near_low, near_high = np.int32(code_low[i] - 1 + 2 * m), np.int32(code_high[i] + 1 - 2 * m)
        for t in range(tracks):
            code = np.int32(column[t])
            out[t] &= np.uint8((code >= lowest) & (code <= highest))
            unsure[t] |= np.uint8((code <= near_low) | (code >= near_high))
    total, doubtful = 0, 0
    for t in range(tracks):  # no branch: whether a track passes is unpredictable
        total += out[t] & (unsure[t] ^ np.uint8(1))
        doubtful += out[t] & unsure[t]
    if doubtful:  # rare: a code next to a bound
        for t in range(tracks):
            if out[t] & unsure[t]:
                total += _passes(attributes, start + t, filtered, low, high)
    return total


@numba.njit(cache=True, nogil=True)
def _count(links, attributes, codes, attribute_low, attribute_step, exact, lowest, highest, missing, filtered, low, high):  # pragma: no cover - compiled
    code_low = np.empty(filtered.shape[0], np.int32)
    code_high = np.empty(filtered.shape[0], np.int32)
    margin = np.empty(filtered.shape[0], np.int32)
    for i in range(filtered.shape[0]):
        a = filtered[i]
        code_low[i] = _code_of(low[i], attribute_low[a], attribute_step[a], exact[a], True)
        code_high[i] = _code_of(high[i], attribute_low[a], attribute_step[a], exact[a], False)
        margin[i] = 0 if exact[a] else 1
    largest = 1
    for node in range(links.shape[0]):
        if links[node, LEFT] < 0 or links[node, END] - links[node, START] <= _COUNT_BLOCK:
            largest = max(largest, links[node, END] - links[node, START])
    out = np.empty(largest, np.uint8)
    unsure = np.empty(largest, np.uint8)
    total = 0
    pending, depth = _root_pending()
    while depth > 0:
        depth -= 1
        node = pending[depth]
        state = _state(node, lowest, highest, missing, filtered, low, high)
        if state == NONE_PASS:
            continue
        start, end = links[node, START], links[node, END]
        if state == ALL_PASS:
            total += end - start
        elif links[node, LEFT] < 0 or end - start <= _COUNT_BLOCK:  # a node's tracks are one run in leaf order
            total += _count_leaf(attributes, codes, start, end, filtered, low, high, code_low, code_high, margin, out, unsure)
        else:
            pending[depth], pending[depth + 1] = links[node, LEFT], links[node, RIGHT]
            depth += 2
    return total


@numba.njit(cache=True, nogil=True)
def _search(points, codes, low, step, links, splits, query, found, distances, attributes, fill, lowest, highest, missing,
            filtered, range_low, range_high, soft, target, scale):  # pragma: no cover - compiled  # fmt: skip
    limit = found.shape[0]
    features = points.shape[1]
    filtering, softening = filtered.shape[0] > 0, soft.shape[0] > 0
    count = 0
    worst = np.inf  # squared score a track must beat to enter the answer
    cut = np.float32(np.inf)  # a track whose distance bound reaches this is not read
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
    # pending cells: node, squared distance from the query (and that distance per dimension), and
    # that plus the bound of the node's soft terms
    pending = np.empty(_STACK, np.int64)
    bounds = np.empty(_STACK, np.float64)
    totals = np.empty(_STACK, np.float64)
    gaps = np.empty((_STACK, features), np.float64)
    gap = np.zeros(features, np.float64)
    if filtering and _state(0, lowest, highest, missing, filtered, range_low, range_high) == NONE_PASS:
        return 0
    pending[0], bounds[0], gaps[0] = 0, 0.0, gap
    totals[0] = _soft_bound(0, lowest, highest, missing, fill, soft, target, scale) if softening else 0.0
    depth = 1
    while depth > 0:
        depth -= 1
        node, bound = pending[depth], bounds[depth]
        if totals[depth] >= worst:
            continue
        gap[:] = gaps[depth]
        left = links[node, LEFT]
        reached = True
        while left >= 0:  # down to the leaf holding the query, the farther halves put aside
            dimension = links[node, DIMENSION]
            beyond = query[dimension] - np.float64(splits[node])
            if beyond < 0.0:
                near, far = left, links[node, RIGHT]
            else:
                near, far = links[node, RIGHT], left
            far_bound = bound - gap[dimension] * gap[dimension] + beyond * beyond
            far_total = far_bound
            if softening:
                far_total += _soft_bound(far, lowest, highest, missing, fill, soft, target, scale)
            if far_total < worst and (not filtering or _state(far, lowest, highest, missing, filtered, range_low, range_high) != NONE_PASS):
                pending[depth], bounds[depth], totals[depth] = far, far_bound, far_total
                gaps[depth] = gap
                gaps[depth, dimension] = beyond
                depth += 1
            if filtering and _state(near, lowest, highest, missing, filtered, range_low, range_high) == NONE_PASS:
                reached = False
                break
            if softening and bound + _soft_bound(near, lowest, highest, missing, fill, soft, target, scale) >= worst:
                reached = False
                break
            node = near
            left = links[node, LEFT]
        if not reached:
            continue
        checking = filtering and _state(node, lowest, highest, missing, filtered, range_low, range_high) != ALL_PASS
        start, tracks = links[node, START], links[node, END] - links[node, START]
        for first in range(0, tracks, _CHUNK):
            chunk = min(_CHUNK, tracks - first)
            _bound_leaf(codes, features, start, tracks, first, chunk, base, gain, step32, bounds_of)
            for i in range(chunk):
                if bounds_of[i] >= cut:
                    continue
                t = start + first + i
                if checking and not _passes(attributes, t, filtered, range_low, range_high):
                    continue
                distance = 0.0
                for f in range(features):
                    d = np.float64(points[t, f]) - query[f]
                    distance += d * d
                if softening:
                    distance += _soft_terms(attributes, t, fill, soft, target, scale)
                if distance < worst:
                    count = _offer(distance, t, found, distances, count, limit)
                    if count == limit:
                        worst = distances[limit - 1]
                        cut = np.float32(worst * _CUT_MARGIN)
    return count
