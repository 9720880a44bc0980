"""Training on what ingest really publishes: a real catalog file cleaned by Spark."""

from __future__ import annotations

import pytest
import redis
from rq.job import Job, JobStatus

from services.ingest.job import ingest
from services.ingest.settings import IngestSettings
from shared.bundle import load_bundle
from shared.datasets import dataset_manifest_sha256, load_table
from shared.pointer import ModelPointer
from shared.storage import ObjectStore
from tests.conftest import shared_file

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", ["spotify_1m_sample_2000.csv", "tidytuesday_spotify_songs_sample_2098_with_ids.csv"])
def test_a_training_run_on_an_ingested_real_file_publishes_a_verifiable_bundle_and_moves_the_pointer(
    name: str, env, store: ObjectStore, redis_client: redis.Redis, pointer: ModelPointer, run_burst
) -> None:
    ingested = ingest(IngestSettings(), str(shared_file("datasets", name)))  # enqueues the training job
    job = Job.fetch(ingested.training_job_id, connection=redis_client)
    assert job.meta["actor"] == "ingest"
    run_burst()
    assert job.get_status(refresh=True) == JobStatus.FINISHED, job.latest_result().exc_string
    result = job.return_value()
    assert result["dataset_id"] == ingested.dataset_id
    assert result["activated"], result["reason"]

    bundle = load_bundle(store, result["version"])  # every file checked against the manifest
    model = bundle.model
    assert bundle.catalog.num_rows == ingested.counts["rows_kept"] == sum(c.size for c in model.clusters)
    dataset_ids = load_table(store, ingested.dataset_id, ["track_id"]).column("track_id").to_pylist()
    assert sorted(bundle.catalog.column("track_id").to_pylist()) == sorted(dataset_ids)
    assert model.lineage["dataset_manifest_sha256"] == dataset_manifest_sha256(store, ingested.dataset_id)
    assert model.lineage["dataset_source"]["name"] == name
    assert model.metrics["silhouette"] >= 0.10 and 0 <= model.metrics["genre_precision_at_5"] <= 1
    assert all(c.label for c in model.clusters)
    assert pointer.current() == result["version"]
    assert pointer.history()[0]["actor"] == "ingest"
