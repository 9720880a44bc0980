"""The pieces of a model: the k rule, samples, cluster labels, genres, genre precision."""

from __future__ import annotations

import numpy as np
import pytest
import pyarrow as pa

from services.trainer.fitting import FitOptions, draw_samples
from services.trainer.genres import track_genres
from services.trainer.labels import cluster_labels, cluster_words
from services.trainer.precision import genre_precision
from services.trainer.selection import best_k, choose_k
from shared.schema import FEATURE_NAMES


def test_best_k_prefers_the_smaller_k_on_a_tie() -> None:
    assert best_k({2: 0.41, 3: 0.52, 4: 0.30}) == 3
    assert best_k({2: 0.50001, 3: 0.50004, 4: 0.3}) == 2  # equal to 4 decimals
    assert best_k({5: 0.2, 3: 0.2, 4: 0.1}) == 3


def candidate(silhouette: float | None, stability: float, largest_share: float) -> dict:
    return {"silhouette": silhouette, "stability": stability, "largest_share": largest_share}


def test_the_k_rule_takes_the_best_silhouette_among_usable_stable_candidates() -> None:
    options = FitOptions()
    figures = {
        2: candidate(0.32, 1.00, 0.78),  # the best silhouette, but one cluster holds most tracks
        3: candidate(0.18, 0.99, 0.44),
        5: candidate(0.25, 0.50, 0.30),  # better than 6, but the seeds disagree
        6: candidate(0.19, 0.99, 0.28),
        7: candidate(None, 1.00, 1.00),  # no silhouette (one cluster)
    }
    k, reason = choose_k(figures, options)
    assert k == 6
    assert reason.startswith("k=6: the highest held-out silhouette (0.1900) among the k where no cluster holds more than 50%")
    assert reason.endswith(": 3, 6")
    assert [k for k, f in figures.items() if f["eligible"]] == [3, 6]


def test_the_k_rule_says_which_condition_it_had_to_drop() -> None:
    unstable = {3: candidate(0.10, 0.4, 0.40), 4: candidate(0.12, 0.5, 0.35), 2: candidate(0.3, 0.4, 0.8)}
    k, reason = choose_k(unstable, FitOptions())
    assert k == 4 and "at none of them do two seeds agree" in reason
    lopsided = {2: candidate(0.30, 1.0, 0.8), 3: candidate(0.20, 1.0, 0.7)}
    k, reason = choose_k(lopsided, FitOptions())
    assert k == 2 and "at every k one cluster holds more than 50%" in reason


def test_samples_are_disjoint_and_the_evaluation_rows_are_left_out_of_the_final_fit() -> None:
    options = FitOptions(selection_sample=100, holdout_sample=50, evaluation_sample=80)
    large = draw_samples(1_000, options)
    assert (len(large.fit), len(large.holdout), len(large.evaluation), len(large.train)) == (100, 50, 80, 920)
    assert not set(large.fit) & set(large.holdout) and not set(large.evaluation) & (set(large.fit) | set(large.holdout))
    assert not set(large.evaluation) & set(large.train) and set(large.train) | set(large.evaluation) == set(range(1_000))
    small = draw_samples(120, options)  # one row in five held out, then one in five of the rest
    assert (len(small.evaluation), len(small.holdout), len(small.fit), len(small.train)) == (24, 19, 77, 96)


def centroid(**z: float) -> list[float]:
    return [z.get(name, 0.0) for name in FEATURE_NAMES]


def test_labels_name_the_most_distinctive_features_graded_and_stay_unique() -> None:
    centroids = np.array(
        [
            centroid(instrumentalness=2.0, energy=-1.2, tempo=-0.7, valence=0.2),
            centroid(speechiness=2.5, liveness=0.9),
            centroid(danceability=1.2, valence=0.9, loudness=0.4),
            centroid(tempo=0.1, loudness=-0.05),
            centroid(danceability=1.0, valence=0.8, energy=0.3),
            centroid(danceability=1.0, valence=0.8, energy=-0.2),
            centroid(danceability=1.0, valence=0.8, energy=-0.2),
        ]
    )
    labels = cluster_labels(cluster_words(centroids, FEATURE_NAMES))
    assert labels == [
        "very instrumental · calm · slow",
        "very speech-heavy · live",
        "danceable · upbeat · slightly loud",  # alike at two words: each takes its next
        "slightly fast",  # nothing stands out: the strongest lean, graded
        "danceable · upbeat · slightly energetic",
        "danceable · upbeat · slightly calm (1)",  # identical centroids: numbered
        "danceable · upbeat · slightly calm (2)",
    ]
    assert len(set(labels)) == len(labels)


def genre_bits(*values) -> np.ndarray:
    return track_genres(pa.table({"genre": pa.array(values, pa.string())})).bits


def artist_codes(*values) -> np.ndarray:
    return track_genres(pa.table({"genre": pa.array(values, pa.string())})).first


def test_genres_come_from_the_list_column_when_there_is_one() -> None:
    single = track_genres(pa.table({"genre": ["rock", "", None, "jazz", "rock"]}))
    assert single.column == "genre" and [single.names[c] if c >= 0 else None for c in single.first] == [
        "rock", None, None, "jazz", "rock"]  # fmt: skip
    lists = track_genres(pa.table({
        "genre": ["rock", "jazz", None, "pop"],
        "genres": pa.array([["rock", "blues"], ["jazz"], [], ["", "pop", "rock"]], pa.list_(pa.string())),
    }))  # fmt: skip
    assert lists.column == "genres"
    assert [lists.names[c] if c >= 0 else None for c in lists.first] == ["rock", "jazz", None, "pop"]
    pairs = sorted((int(r), lists.names[c]) for r, c in zip(lists.pair_rows, lists.pair_codes))
    assert pairs == [(0, "blues"), (0, "rock"), (1, "jazz"), (3, "pop"), (3, "rock")]
    # track 0 (rock, blues) and track 3 (pop, rock) share a genre; 1 (jazz) shares none with them
    assert (lists.bits[0] & lists.bits[3]).any() and not (lists.bits[1] & lists.bits[0]).any()
    assert not lists.bits[2].any()
    many = track_genres(pa.table({"genre": [f"g{i}" for i in range(130)]}))  # more genres than one 64-bit word
    assert many.bits.shape == (130, 3) and all(int(np.bitwise_count(row).sum()) == 1 for row in many.bits)


def test_genre_precision_leaves_out_the_query_and_its_own_artist() -> None:
    # one cluster on a line; track 0's nearest tracks are its own artist's (same genre)
    scaled = np.array([[0.0], [0.1], [0.2], [1.0], [1.1], [5.0]], dtype=np.float32)
    labels = np.zeros(6, dtype=np.int32)
    genres = genre_bits("rock", "rock", "rock", "jazz", "rock", None)
    artists = artist_codes("a", "a", "a", "b", "c", "")
    score, queries = genre_precision(scaled, labels, genres, artists, np.arange(6), at=2)
    # queries: the five tracks with a genre (the sixth has none)
    # 0,1,2 (artist a): nearest others are 3 (jazz) and 4 (rock) -> 1/2 each
    # 3 (jazz): 4 and 2 -> 0/2; 4 (rock): 3 and 2 -> 1/2
    assert queries == 5
    assert score == np.mean([0.5, 0.5, 0.5, 0.0, 0.5])


def test_genre_precision_needs_genres() -> None:
    none, nobody = genre_bits(None, ""), artist_codes(None, "")
    assert genre_precision(np.zeros((2, 1), np.float32), np.zeros(2, np.int32), none, nobody, np.arange(2)) == (None, 0)


def test_genre_precision_asks_only_the_given_queries() -> None:
    scaled = np.array([[0.0], [0.1], [0.2], [3.0]], dtype=np.float32)
    genres, nobody = genre_bits("rock", "rock", "jazz", "jazz"), artist_codes(None, None, None, None)
    # nearest other track: 2 -> 1 (rock, 0), 3 -> 2 (jazz, 1)
    assert genre_precision(scaled, np.zeros(4, np.int32), genres, nobody, np.array([2, 3]), at=1) == (0.5, 2)


def test_genre_precision_counts_any_shared_genre_of_a_track() -> None:
    scaled = np.array([[0.0], [0.1], [5.0]], dtype=np.float32)
    lists = track_genres(pa.table({"genres": pa.array([["rock", "pop"], ["pop"], ["jazz"]], pa.list_(pa.string()))}))
    nobody = artist_codes(None, None, None)
    assert genre_precision(scaled, np.zeros(3, np.int32), lists.bits, nobody, np.array([0, 1]), at=1) == (1.0, 2)


def test_genre_precision_without_artists_leaves_out_only_the_query() -> None:
    scaled = np.array([[0.0], [0.1], [0.2], [3.0]], dtype=np.float32)
    genres = genre_bits("rock", "rock", "jazz", "jazz")
    nobody = artist_codes(None, None, None, None)
    score, queries = genre_precision(scaled, np.zeros(4, np.int32), genres, nobody, np.arange(4), at=1)
    # nearest other track: 0->1 rock (1), 1->0 rock (1), 2->1 rock (0), 3->2 jazz (1)
    assert (score, queries) == (0.75, 4)


def test_genre_precision_matches_a_brute_force_search() -> None:
    rng = np.random.default_rng(3)
    scaled = rng.normal(size=(1_500, 3)).astype(np.float32)
    artists = (scaled[:, 0] * 4).astype(np.int64) + 20  # an artist's tracks lie close together
    artists[rng.random(1_500) < 0.1] = -1
    genres = rng.integers(0, 4, 1_500)
    labels = (scaled[:, 1] > 0).astype(np.int32)
    bits = genre_bits(*(f"g{g}" for g in genres))
    score, queries = genre_precision(scaled, labels, bits, artists, np.arange(1_500), at=5)

    expected = []
    for q in range(1_500):
        others = np.flatnonzero((labels == labels[q]) & (np.arange(1_500) != q))
        if artists[q] >= 0:
            others = others[artists[others] != artists[q]]
        nearest = others[np.argsort(((scaled[others] - scaled[q]) ** 2).sum(axis=1), kind="stable")[:5]]
        expected.append(np.mean(genres[nearest] == genres[q]))
    assert queries == 1_500
    assert score == pytest.approx(np.mean(expected), abs=1e-9)


def test_the_final_model_is_fitted_without_the_evaluation_rows() -> None:
    from services.trainer.clustering import fit

    rng = np.random.default_rng(5)
    matrix = np.concatenate([rng.normal(m, 0.3, (400, 3)) for m in (0.0, 3.0, 6.0)])
    model = fit(matrix, FitOptions(selection_sample=300, holdout_sample=100, evaluation_sample=150), k=3)
    train, held_out = model.samples.train, model.samples.evaluation
    assert len(held_out) == 150 and len(train) == 1_050
    squared = ((model.scaled - model.kmeans.cluster_centers_[model.labels]) ** 2).sum(axis=1)
    # KMeans' inertia is the objective on the rows it was fitted on: the training rows only
    assert model.kmeans.inertia_ == pytest.approx(squared[train].sum(), rel=1e-4)
    assert squared.sum() - squared[train].sum() == pytest.approx(squared[held_out].sum(), rel=1e-4)
    assert squared[held_out].sum() > 0.05 * squared[train].sum()
    assert len(model.labels) == 1_200  # every row, held out or not, has its cluster
