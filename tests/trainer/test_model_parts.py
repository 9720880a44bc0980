"""The pieces of a model: k selection ties, samples, cluster labels, genre precision."""

from __future__ import annotations

import numpy as np
import pytest
import pyarrow as pa

from services.trainer.fitting import FitOptions, best_k, draw_samples
from services.trainer.labels import NEUTRAL, cluster_labels
from services.trainer.precision import codes, genre_precision
from shared.schema import FEATURE_NAMES


def test_best_k_prefers_the_smaller_k_on_a_tie() -> None:
    assert best_k({2: 0.41, 3: 0.52, 4: 0.30}) == 3
    assert best_k({2: 0.50001, 3: 0.50004, 4: 0.3}) == 2  # equal to 4 decimals
    assert best_k({5: 0.2, 3: 0.2, 4: 0.1}) == 3


def test_samples_are_disjoint_when_the_dataset_is_large_enough() -> None:
    options = FitOptions(selection_sample=100, holdout_sample=50)
    large = draw_samples(1_000, options)
    assert (len(large.fit), len(large.holdout), large.disjoint) == (100, 50, True)
    assert not set(large.fit) & set(large.holdout)
    small = draw_samples(120, options)
    assert (len(small.fit), len(small.holdout), small.disjoint) == (120, 50, False)


def centroid(**z: float) -> list[float]:
    return [z.get(name, 0.0) for name in FEATURE_NAMES]


def test_labels_name_the_most_distinctive_features_and_stay_unique() -> None:
    labels = cluster_labels(
        np.array(
            [
                centroid(instrumentalness=2.0, energy=-1.5, tempo=0.2),
                centroid(speechiness=2.5),
                centroid(danceability=1.2, valence=0.9, loudness=0.4),
                centroid(tempo=0.1),
                centroid(danceability=1.0, valence=0.8, energy=0.6),
                centroid(danceability=1.0, valence=0.8),
            ]
        ),
        FEATURE_NAMES,
    )
    assert labels == [
        "instrumental · calm",
        "speech-heavy",
        "danceable · upbeat",
        NEUTRAL,
        "danceable · upbeat · energetic",
        "danceable · upbeat (2)",
    ]


def test_genre_precision_leaves_out_the_query_and_its_own_artist() -> None:
    # one cluster on a line; track 0's nearest tracks are its own artist's (same genre)
    scaled = np.array([[0.0], [0.1], [0.2], [1.0], [1.1], [5.0]], dtype=np.float32)
    labels = np.zeros(6, dtype=np.int32)
    genres = codes(pa.array(["rock", "rock", "rock", "jazz", "rock", None]))
    artists = codes(pa.array(["a", "a", "a", "b", "c", ""]))
    score, queries = genre_precision(scaled, labels, genres, artists, queries=10, at=2)
    # queries: the five tracks with a genre (the sixth has none)
    # 0,1,2 (artist a): nearest others are 3 (jazz) and 4 (rock) -> 1/2 each
    # 3 (jazz): 4 and 2 -> 0/2; 4 (rock): 3 and 2 -> 1/2
    assert queries == 5
    assert score == np.mean([0.5, 0.5, 0.5, 0.0, 0.5])


def test_genre_precision_needs_genres() -> None:
    none = codes(pa.array([None, ""], pa.string()))
    assert genre_precision(np.zeros((2, 1), np.float32), np.zeros(2, np.int32), none, none, queries=5) == (None, 0)


def test_genre_precision_without_artists_leaves_out_only_the_query() -> None:
    scaled = np.array([[0.0], [0.1], [0.2], [3.0]], dtype=np.float32)
    genres = codes(pa.array(["rock", "rock", "jazz", "jazz"]))
    nobody = codes(pa.array([None, None, None, None], pa.string()))
    score, queries = genre_precision(scaled, np.zeros(4, np.int32), genres, nobody, queries=10, at=1)
    # nearest other track: 0->1 rock (1), 1->0 rock (1), 2->1 rock (0), 3->2 jazz (1)
    assert (score, queries) == (0.75, 4)


def test_genre_precision_matches_a_brute_force_search() -> None:
    rng = np.random.default_rng(3)
    scaled = rng.normal(size=(1_500, 3)).astype(np.float32)
    artists = (scaled[:, 0] * 4).astype(np.int64) + 20  # an artist's tracks lie close together
    artists[rng.random(1_500) < 0.1] = -1
    genres = rng.integers(0, 4, 1_500)
    labels = (scaled[:, 1] > 0).astype(np.int32)
    score, queries = genre_precision(scaled, labels, genres, artists, queries=1_500, at=5)

    expected = []
    for q in range(1_500):
        others = np.flatnonzero((labels == labels[q]) & (np.arange(1_500) != q))
        if artists[q] >= 0:
            others = others[artists[others] != artists[q]]
        nearest = others[np.argsort(((scaled[others] - scaled[q]) ** 2).sum(axis=1), kind="stable")[:5]]
        expected.append(np.mean(genres[nearest] == genres[q]))
    assert queries == 1_500
    assert score == pytest.approx(np.mean(expected), abs=1e-9)
