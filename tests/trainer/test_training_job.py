"""A training job run by a real worker: bundle, lineage, metrics, pointer, stages."""

from __future__ import annotations

import redis
from rq.job import JobStatus

from services.trainer.pipeline import STAGES
from shared.bundle import list_versions, load_bundle
from shared.datasets import dataset_manifest_sha256
from shared.jobs import TrainingParameters, enqueue_training
from shared.pointer import ModelPointer
from shared.schema import FEATURE_NAMES
from shared.storage import ObjectStore
from tests.trainer.generated_dataset import publish_generated_dataset


def test_a_run_publishes_a_verifiable_bundle_and_moves_the_pointer(
    store: ObjectStore, redis_client: redis.Redis, pointer: ModelPointer, run_burst
) -> None:
    dataset_id = publish_generated_dataset(store, rows=3_000, seed=1)
    job, created = enqueue_training(redis_client, TrainingParameters(dataset_id=dataset_id), actor="operator")
    assert created
    run_burst()
    job.refresh()
    assert job.get_status() == JobStatus.FINISHED, job.latest_result().exc_string
    result = job.return_value()
    version = result["version"]
    assert result["dataset_id"] == dataset_id
    assert result["published"] and result["activated"], result["reason"]
    assert result["reason"].startswith("passed")
    assert job.meta["stage"] == "done"

    bundle = load_bundle(store, version)  # every sha256 checked
    assert list_versions(store) == [version]
    model = bundle.model
    assert model.features == list(FEATURE_NAMES)
    assert 5 <= model.k <= 8  # automatic k finds the six generated genres
    selection = model.metrics["k_selection"]
    assert selection["rule"] == "automatic" and selection["k"] == model.k and selection["reason"].startswith(f"k={model.k}:")
    assert sorted(selection["candidates"], key=int) == [str(k) for k in range(2, 13)]
    assert selection["candidates"][str(model.k)]["eligible"]
    assert sum(c.size for c in model.clusters) == 3_000 == bundle.catalog.num_rows
    assert len({c.label for c in model.clusters}) == model.k
    assert model.metrics["genre_precision_at_5"] > 0.9
    assert model.metrics["stability_ari"] > 0.9
    assert model.metrics["silhouette"] > 0.4
    for name in ("davies_bouldin", "calinski_harabasz", "inertia", "cluster_sizes", "genre_nmi"):
        assert model.metrics[name] is not None
    # the figures come from rows no fit saw, and say how many
    evaluation = model.metrics["evaluation"]
    assert (evaluation["held_out_rows"], evaluation["fit_rows"], evaluation["silhouette_basis"]) == (600, 2_400, "held_out")
    assert 0 < evaluation["precision_queries"] <= 600 and model.metrics["unavailable"] == {}
    assert model.lineage["dataset_id"] == dataset_id
    assert model.lineage["dataset_manifest_sha256"] == dataset_manifest_sha256(store, dataset_id)
    assert model.lineage["libraries"]["scikit-learn"] == "1.9.1"
    assert "git_commit" in model.lineage["code_version"]
    assert set(model.lineage["timings"]) == set(STAGES) - {"publishing", "done"}
    assert model.params["seed"] == 0 and model.params["k_requested"] is None

    assert pointer.current() == version
    entry = pointer.history()[0]
    assert (entry["version"], entry["actor"], entry["reason"]) == (version, "operator", result["reason"])


def test_explicit_k_features_and_newest_dataset(
    store: ObjectStore, redis_client: redis.Redis, pointer: ModelPointer, run_burst
) -> None:
    publish_generated_dataset(store, rows=500, seed=2)
    newest = publish_generated_dataset(store, rows=1_200, seed=3)
    features = ["instrumentalness", "speechiness", "danceability", "valence", "tempo"]
    job, _ = enqueue_training(redis_client, TrainingParameters(k=3, features=features, seed=7))
    run_burst()
    result = job.return_value()
    assert result is not None, job.latest_result().exc_string
    bundle = load_bundle(store, result["version"])
    assert result["dataset_id"] == newest
    assert (bundle.model.k, bundle.model.features) == (3, features)
    assert bundle.model.params["k_requested"] == 3 and bundle.model.params["seed"] == 7
    selection = bundle.model.metrics["k_selection"]
    assert (selection["rule"], selection["reason"], list(selection["candidates"])) == ("forced", "k=3 forced by the caller", ["3"])
    assert bundle.catalog.column_names[-5:] == [f"scaled_{f}" for f in features]
    for cluster in bundle.model.clusters:
        assert set(cluster.centroid) == set(features)
        assert 30 <= cluster.centroid["tempo"] <= 250  # original units, not scaled
