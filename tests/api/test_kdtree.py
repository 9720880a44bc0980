"""The neighbour indexes against brute force: the exact nearest tracks, whatever the data, and
the ranked stream of every track that the recommendation rule reads."""

from __future__ import annotations

import numpy as np
import pytest

from services.api.kdtree import LEAF_SIZE
from services.api.neighbours import build_index, ranked

KINDS = ["kdtree", "scipy"]


def brute_force(points: np.ndarray, query: np.ndarray) -> np.ndarray:
    return np.sqrt(((points.astype(np.float64) - query) ** 2).sum(axis=1))


def check_nearest(index, points: np.ndarray, query: np.ndarray, k: int) -> None:
    rows, distances = index.nearest(query, k)
    exact = brute_force(points, query)
    expected = np.sort(exact)[: min(k, len(points))]
    assert len(rows) == len(expected)
    assert distances.tolist() == pytest.approx(expected.tolist(), rel=1e-12, abs=1e-12)
    assert exact[rows].tolist() == pytest.approx(distances.tolist(), rel=1e-12, abs=1e-12)  # the rows are those tracks
    assert len(set(rows.tolist())) == len(rows)


def clumpy_catalog(rng: np.random.Generator, tracks: int, features: int) -> np.ndarray:
    """Gaussian blobs with values rounded like a catalog's; one in ten tracks a re-release right
    next to (or on) another."""
    centres = rng.normal(0, 2, (5, features))
    points = centres[rng.integers(0, 5, tracks)] + rng.normal(0, 0.5, (tracks, features)) * rng.uniform(0.05, 1, features)
    points = np.round(points, 2)
    originals, copies = rng.integers(0, tracks, (2, tracks // 10))
    points[copies] = points[originals] + rng.normal(0, 0.01, (len(copies), features)) * (rng.random(len(copies)) < 0.5)[:, None]
    return points.astype(np.float32)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("tracks,features", [(1, 9), (7, 3), (LEAF_SIZE + 1, 9), (3000, 9), (5000, 2), (2500, 1)])
def test_the_nearest_tracks_match_brute_force(kind: str, tracks: int, features: int) -> None:
    rng = np.random.default_rng(tracks * 10 + features)
    points = clumpy_catalog(rng, tracks, features)
    index = build_index(points, kind)
    assert index.size == tracks
    for trial in range(40):
        query = points[rng.integers(0, tracks)].astype(np.float64) if trial % 2 == 0 else rng.normal(0, 3, features)
        check_nearest(index, points, query, int(rng.integers(1, 120)))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("offset,spread", [(1e4, 1.0), (-3e5, 50.0), (0.0, 1e-6)])
def test_exact_far_from_zero_and_in_tiny_ranges(kind: str, offset: float, spread: float) -> None:
    """The k-d tree's one-byte bounds never rule out a track that belongs in the answer, whatever the scale."""
    rng = np.random.default_rng(int(abs(offset)) + 7)
    points = (offset + clumpy_catalog(rng, 4000, 6).astype(np.float64) * spread).astype(np.float32)
    index = build_index(points, kind)
    for trial in range(30):
        query = points[rng.integers(0, len(points))].astype(np.float64) + rng.normal(0, spread / 4, 6) * (trial % 3)
        check_nearest(index, points, query, int(rng.integers(1, 51)))


@pytest.mark.parametrize("kind", KINDS)
def test_ranked_yields_every_track_once_in_order_even_among_many_identical_ones(kind: str) -> None:
    rng = np.random.default_rng(5)
    points = np.zeros((5 * LEAF_SIZE, 4), dtype=np.float32)  # hundreds of tracks at the same two places
    points[::7] += 1.0
    points = np.concatenate([points, clumpy_catalog(rng, 700, 4)])
    index = build_index(points, kind)
    for query in (np.full(4, 0.25), np.zeros(4), rng.normal(0, 2, 4)):
        for first in (1, 3, 50):
            batches = list(ranked(index, query, first))
            rows = np.concatenate([r for r, _ in batches])
            distances = np.concatenate([d for _, d in batches])
            assert sorted(rows.tolist()) == list(range(len(points)))  # each once, none left out
            assert np.all(np.diff(distances) >= 0)
            assert distances.tolist() == pytest.approx(np.sort(brute_force(points, query)).tolist(), rel=1e-12, abs=1e-12)
            assert len(batches[0][0]) == min(first, len(points))


@pytest.mark.parametrize("kind", KINDS)
def test_the_nearest_tracks_inside_a_box_match_brute_force(kind: str) -> None:
    rng = np.random.default_rng(21)
    points = clumpy_catalog(rng, 6000, 5)
    index = build_index(points, kind)
    for trial in range(40):
        low = np.full(5, -np.inf)
        high = np.full(5, np.inf)
        for f in rng.choice(5, int(rng.integers(1, 4)), replace=False):
            a, b = np.sort(rng.choice(points[:, f], 2))
            low[f], high[f] = (a, b) if trial % 3 else (float(points[rng.integers(0, 6000), f]),) * 2  # faces included
        query = rng.normal(0, 3, 5)
        k = int(rng.integers(1, 80))
        inside = np.flatnonzero(np.all((points >= low) & (points <= high), axis=1))
        rows, distances = index.nearest(query, k, low, high)
        expected = np.sort(brute_force(points[inside], query))[:k]
        assert set(rows.tolist()) <= set(inside.tolist())
        assert distances.tolist() == pytest.approx(expected.tolist(), rel=1e-12, abs=1e-12)
        streamed = np.concatenate([r for r, _ in ranked(index, query, 3, low, high)] or [np.empty(0, np.int64)])
        assert sorted(streamed.tolist()) == inside.tolist()
