"""The serving k-d tree against brute force: the nearest songs, exactly, whatever the data."""

from __future__ import annotations

import numpy as np
import pytest

from services.api.kdtree import LEAF_SIZE, build_tree


def brute_force(points: np.ndarray, songs: np.ndarray, query: np.ndarray, excluded: set[int]) -> dict[int, float]:
    """Every song's distance (that of its nearest track), excluded songs left out."""
    distances = np.sqrt(((points.astype(np.float64) - query) ** 2).sum(axis=1))
    best: dict[int, float] = {}
    for song, distance in zip(songs.tolist(), distances.tolist()):
        if song not in excluded and distance < best.get(song, np.inf):
            best[song] = distance
    return best


def check_answer(points, songs, query, limit, excluded) -> None:
    tree = build_tree(points)
    excluded_array = np.array(sorted(excluded), dtype=np.int32)
    positions, distances = tree.nearest_songs(query, songs[tree.order], limit, excluded_array)
    expected = brute_force(points, songs, query, excluded)
    ranked = sorted(expected.values())[:limit]
    found_songs = songs[tree.order[positions]].tolist()
    assert len(positions) == len(ranked) == min(limit, len(expected))
    assert distances.tolist() == pytest.approx(ranked, rel=1e-12, abs=1e-12)
    assert len(set(found_songs)) == len(found_songs) and not set(found_songs) & excluded
    for song, distance in zip(found_songs, distances.tolist()):  # each at its nearest version
        assert distance == pytest.approx(expected[song], rel=1e-12, abs=1e-12)


def clumpy_catalog(rng: np.random.Generator, tracks: int, features: int) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs with values rounded like a catalog's, and their song numbers: many songs
    have versions elsewhere, and one in ten tracks is a re-release right next to its original."""
    centres = rng.normal(0, 2, (5, features))
    points = centres[rng.integers(0, 5, tracks)] + rng.normal(0, 0.5, (tracks, features)) * rng.uniform(0.05, 1, features)
    points = np.round(points, 2)
    songs = rng.integers(0, max(1, tracks * 3 // 4), tracks)
    originals, copies = rng.integers(0, tracks, (2, tracks // 10))
    points[copies] = points[originals] + rng.normal(0, 0.01, (len(copies), features)) * (rng.random(len(copies)) < 0.5)[:, None]
    songs[copies] = songs[originals]
    return points.astype(np.float32), songs.astype(np.int32)


@pytest.mark.parametrize("tracks,features", [(1, 9), (7, 3), (LEAF_SIZE + 1, 9), (3000, 9), (5000, 2), (2500, 1)])
def test_nearest_songs_match_brute_force(tracks: int, features: int) -> None:
    rng = np.random.default_rng(tracks * 10 + features)
    points, songs = clumpy_catalog(rng, tracks, features)
    for trial in range(40):
        on_a_track = trial % 2 == 0
        query = points[rng.integers(0, tracks)].astype(np.float64) if on_a_track else rng.normal(0, 3, features)
        excluded = set(rng.choice(songs, min(len(songs), trial % 4), replace=False).tolist())
        check_answer(points, songs, query, int(rng.integers(1, 51)), excluded)


def test_identical_tracks_beyond_a_leaf_and_fewer_songs_than_asked() -> None:
    points = np.zeros((5 * LEAF_SIZE, 9), dtype=np.float32)
    points[::7] += 1.0
    songs = (np.arange(len(points)) % 11).astype(np.int32)
    check_answer(points, songs, np.full(9, 0.25), 50, set())
    check_answer(points, songs, np.full(9, 0.25), 5, {0, 3})


def test_every_song_excluded_leaves_an_empty_answer() -> None:
    points = np.random.default_rng(3).normal(size=(200, 4)).astype(np.float32)
    songs = (np.arange(200) % 4).astype(np.int32)
    tree = build_tree(points)
    positions, distances = tree.nearest_songs(np.zeros(4), songs[tree.order], 5, np.arange(4, dtype=np.int32))
    assert len(positions) == len(distances) == 0


@pytest.mark.parametrize("offset,spread", [(1e4, 1.0), (-3e5, 50.0), (0.0, 1e-6)])
def test_exact_far_from_zero_and_in_tiny_ranges(offset: float, spread: float) -> None:
    """The one-byte bounds never rule out a track that belongs in the answer, whatever the scale."""
    rng = np.random.default_rng(int(abs(offset)) + 7)
    points, songs = clumpy_catalog(rng, 4000, 6)
    points = (offset + points.astype(np.float64) * spread).astype(np.float32)
    for trial in range(30):
        query = points[rng.integers(0, len(points))].astype(np.float64) + rng.normal(0, spread / 4, 6) * (trial % 3)
        check_answer(points, songs, query, int(rng.integers(1, 51)), set())
