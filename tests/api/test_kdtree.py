"""The neighbour indexes against brute force: the exact nearest tracks, whatever the data, and
the ranked stream of every track that the recommendation rule reads."""

from __future__ import annotations

import numpy as np
import pytest

from services.api.kdtree import LEAF_SIZE, Conditions
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
    index = build_index(points, kind=kind)
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
    index = build_index(points, kind=kind)
    for trial in range(30):
        query = points[rng.integers(0, len(points))].astype(np.float64) + rng.normal(0, spread / 4, 6) * (trial % 3)
        check_nearest(index, points, query, int(rng.integers(1, 51)))


@pytest.mark.parametrize("kind", KINDS)
def test_ranked_yields_every_track_once_in_order_even_among_many_identical_ones(kind: str) -> None:
    rng = np.random.default_rng(5)
    points = np.zeros((5 * LEAF_SIZE, 4), dtype=np.float32)  # hundreds of tracks at the same two places
    points[::7] += 1.0
    points = np.concatenate([points, clumpy_catalog(rng, 700, 4)])
    index = build_index(points, kind=kind)
    for query in (np.full(4, 0.25), np.zeros(4), rng.normal(0, 2, 4)):
        for first in (1, 3, 50):
            batches = list(ranked(index, query, first))
            rows = np.concatenate([r for r, _ in batches])
            distances = np.concatenate([d for _, d in batches])
            assert sorted(rows.tolist()) == list(range(len(points)))  # each once, none left out
            assert np.all(np.diff(distances) >= 0)
            assert distances.tolist() == pytest.approx(np.sort(brute_force(points, query)).tolist(), rel=1e-12, abs=1e-12)
            assert len(batches[0][0]) == min(first, len(points))


def catalog_attributes(rng: np.random.Generator, points: np.ndarray) -> list[np.ndarray]:
    """Attributes as a catalog has them: one follows a feature, one is whole numbers, one a few
    values with ties; a tenth of each missing (NaN)."""
    tracks = len(points)
    columns = [points[:, 0].astype(np.float64) * 10 + rng.normal(0, 1, tracks), rng.integers(0, 100, tracks).astype(np.float64),
               rng.choice([1.0, 3.0, 4.0, 5.0], tracks)]  # fmt: skip
    for column in columns:
        column[rng.random(tracks) < 0.1] = np.nan
    return columns


def random_conditions(rng: np.random.Generator, attributes: np.ndarray, trial: int) -> Conditions:
    """1 to 3 ranges (some a single value, some open on one side) and 0 to 2 soft targets."""
    count = attributes.shape[1]
    filtered = rng.choice(count, int(rng.integers(0 if trial % 4 == 0 else 1, count + 1)), replace=False)
    low, high = [], []
    for at in filtered.tolist():
        known = attributes[:, at][~np.isnan(attributes[:, at])]
        a, b = np.sort(rng.choice(known, 2))
        a, b = (a, b) if trial % 3 else (a, a)  # faces included
        low.append(-np.inf if trial % 5 == 1 else a)
        high.append(np.inf if trial % 5 == 2 else b)
    soft = rng.choice(count, int(rng.integers(0, 3)), replace=False)
    target = [float(np.nanquantile(attributes[:, at], rng.random())) for at in soft.tolist()]
    return Conditions(filtered.astype(np.int64), np.array(low), np.array(high), soft.astype(np.int64), np.array(target),
                      rng.uniform(0.5, 20, len(soft)))  # fmt: skip


def brute_force_with(points: np.ndarray, attributes: np.ndarray, fill: np.ndarray, query: np.ndarray, conditions: Conditions):
    """Rows that pass, and every track's score, by the conditions' definition."""
    passing = np.ones(len(points), bool)
    for at, low, high in zip(conditions.filtered.tolist(), conditions.low.tolist(), conditions.high.tolist()):
        passing &= (attributes[:, at] >= low) & (attributes[:, at] <= high)  # NaN never passes
    total = ((points.astype(np.float64) - query) ** 2).sum(axis=1)
    for at, target, scale in zip(conditions.soft.tolist(), conditions.target.tolist(), conditions.scale.tolist()):
        values = np.where(np.isnan(attributes[:, at]), fill[at], attributes[:, at])
        total += ((values - target) / scale) ** 2
    return np.flatnonzero(passing), np.sqrt(total)


@pytest.mark.parametrize("kind", KINDS)
def test_the_best_tracks_under_ranges_and_soft_targets_match_brute_force(kind: str) -> None:
    rng = np.random.default_rng(21)
    points = clumpy_catalog(rng, 6000, 5)
    columns = catalog_attributes(rng, points)
    attributes = np.column_stack(columns)
    fill = np.array([float(np.nanmean(c)) for c in columns])
    index = build_index(points, columns, fill, kind)
    for trial in range(60):
        conditions = random_conditions(rng, attributes, trial)
        query = rng.normal(0, 3, 5) if trial % 2 else points[rng.integers(0, 6000)].astype(np.float64)
        k = int(rng.integers(1, 80))
        passing, scores = brute_force_with(points, attributes, fill, query, conditions)
        rows, found = index.nearest(query, k, conditions)
        assert set(rows.tolist()) <= set(passing.tolist())
        assert found.tolist() == pytest.approx(np.sort(scores[passing])[:k].tolist(), rel=1e-12, abs=1e-12)
        assert scores[rows].tolist() == pytest.approx(found.tolist(), rel=1e-12, abs=1e-12)
        assert index.count(conditions) == len(passing)
        sample = rng.integers(0, 6000, 50)
        assert index.passes(sample, conditions).tolist() == np.isin(sample, passing).tolist()
        streamed = np.concatenate([r for r, _ in ranked(index, query, 3, conditions)] or [np.empty(0, np.int64)])
        assert sorted(streamed.tolist()) == passing.tolist()


@pytest.mark.parametrize("kind", KINDS)
def test_counts_when_every_value_of_a_filtered_attribute_is_missing_or_none_passes(kind: str) -> None:
    rng = np.random.default_rng(3)
    points = clumpy_catalog(rng, 3 * LEAF_SIZE, 3)
    index = build_index(points, [np.full(len(points), np.nan), np.arange(len(points), dtype=np.float64)], np.zeros(2), kind)
    nothing = Conditions(np.array([0]), np.array([-np.inf]), np.array([np.inf]))
    assert index.count(nothing) == 0 and len(index.nearest(np.zeros(3), 5, nothing)[0]) == 0
    beyond = Conditions(np.array([1]), np.array([1e9]), np.array([np.inf]))
    assert index.count(beyond) == 0 and len(index.nearest(np.zeros(3), 5, beyond)[0]) == 0
    one = Conditions(np.array([1]), np.array([7.0]), np.array([7.0]))
    assert index.count(one) == 1 and index.nearest(np.zeros(3), 5, one)[0].tolist() == [7]
    everything = Conditions(np.array([1]), np.array([0.0]), np.array([np.inf]))
    assert index.count(everything) == len(points)
