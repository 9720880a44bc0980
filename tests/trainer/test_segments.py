"""Segments a person can use: k on a catalog of known structure, distinct labels, top genres
and central example tracks, and genre figures that are absent (with a reason) without genres."""

from __future__ import annotations

import numpy as np

from shared.bundle import SCALED_PREFIX, load_bundle
from shared.storage import ObjectStore
from tests.trainer.generated_dataset import GENRES, publish_generated_dataset


def test_six_genre_profiles_give_six_or_so_segments_with_distinct_labels_genres_and_central_examples(
    store: ObjectStore, train_model
) -> None:
    dataset_id = publish_generated_dataset(store, rows=3_000, seed=11)
    result, model = train_model(dataset_id=dataset_id)
    assert len(GENRES) == 6 and 5 <= model.k <= 8
    labels = [c.label for c in model.clusters]
    assert len(set(labels)) == len(labels) and all(labels)
    catalog = load_bundle(store, result["version"]).catalog
    scaled = np.column_stack([catalog.column(SCALED_PREFIX + f).to_numpy() for f in model.features]).astype(np.float64)
    cluster_of = catalog.column("cluster").to_numpy()
    ids = catalog.column("track_id").to_pylist()
    found = set()
    for cluster in model.clusters:
        info = cluster.model_dump()
        # the label is made of the cluster's most distinctive features, in the order of their distance from the mean
        words = info["words"]
        assert " · ".join(w["word"] for w in words) == cluster.label
        z = [abs(w["z"]) for w in words]
        assert z == sorted(z, reverse=True) and z[0] == max(abs(v) for v in info["standardized"].values())
        assert info["share"] == round(cluster.size / 3_000, 4)
        [top, *_] = info["top_genres"]
        assert top["share"] > 0.9 and top["tracks"] <= cluster.size and 0.1 < top["catalog_share"] < 0.25
        found.add(top["genre"])
        # examples: the tracks nearest the centroid, nearest first, one per artist
        examples = info["examples"]
        assert len(examples) == 5 and len({e["artist_name"] for e in examples}) == 5
        distances = [e["distance"] for e in examples]
        assert distances == sorted(distances)
        members = np.flatnonzero(cluster_of == cluster.id)
        centre = np.array(model.centroids[cluster.id])
        nearest = np.linalg.norm(scaled[members] - centre, axis=1).min()
        assert distances[0] == round(nearest, 4)
        assert all(cluster_of[ids.index(e["track_id"])] == cluster.id for e in examples)
    assert found == set(GENRES)  # every genre leads one segment


def test_a_catalog_without_genres_has_every_genre_figure_absent_with_a_reason(store: ObjectStore, train_model) -> None:
    _, model = train_model(dataset_id=publish_generated_dataset(store, rows=1_500, seed=12, genres=False))
    why = "no track of the dataset has a genre"
    metrics = model.metrics
    assert metrics["genre_precision_at_5"] is None and metrics["genre_nmi"] is None
    assert metrics["unavailable"] == {"genre_precision_at_5": why, "genre_nmi": why}
    for figures in metrics["k_selection"]["candidates"].values():
        assert figures["genre_nmi"] is None and figures["unavailable"] == {"genre_nmi": why}
    for cluster in model.clusters:
        info = cluster.model_dump()
        assert info["top_genres"] is None and info["unavailable"] == {"top_genres": why}
    ablation = model.model_dump()["ablation"]
    assert ablation["unavailable"] == {"genre_precision_at_5": why}
    for variant in ablation["variants"].values():
        assert variant["genre_precision_at_5"] is None and variant["delta"]["genre_precision_at_5"] is None


def test_a_genres_list_column_is_used_where_the_dataset_has_one(store: ObjectStore, train_model) -> None:
    # every track has its genre and "music": with all labels counted, every neighbour shares a genre
    _, model = train_model(dataset_id=publish_generated_dataset(store, rows=1_500, seed=13, genre_lists=True))
    assert model.metrics["evaluation"]["genres_from"] == "genres"
    assert model.metrics["genre_precision_at_5"] == 1.0
    for cluster in model.clusters:
        shares = {g["genre"]: g["share"] for g in cluster.model_dump()["top_genres"]}
        assert shares["music"] == 1.0 and len(shares) == 2
