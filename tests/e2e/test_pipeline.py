"""End to end, with the commands and HTTP calls a user makes: ingest → train → serve →
retrain with a hot swap under load → rollback; a worker killed mid-job; Redis stopped
while requests flow."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.conftest import shared_file
from tests.e2e.conftest import QUERY, Load, System
from tools import stack

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def test_ingest_train_serve_swap_and_roll_back(system: System) -> None:
    dataset_id = system.ingest(shared_file("datasets", "tidytuesday_spotify_songs_sample_2098_with_ids.csv"))

    first = system.train(dataset_id=dataset_id, k=6)
    assert first["status"] == "finished", first
    assert first["result"]["published"] and first["result"]["activated"], first["result"]
    v1 = first["result"]["version"]
    system.wait_serving(v1)

    with system.client() as api:
        assert api.get("/v1/models/current").json()["version"] == v1
        answer = api.post("/v1/recommendations", json={"features": QUERY, "limit": 5}).json()
        assert answer["model_version"] == v1 and len(answer["tracks"]) == 5
        datasets = api.get("/v1/datasets").json()["datasets"]
        assert datasets[-1]["dataset_id"] == dataset_id and datasets[-1]["rows_kept"] > 2000

    # a second model with other parameters; the API swaps to it under load, with no failure
    with Load(system.base_url) as load:
        time.sleep(1)
        second = system.train(dataset_id=dataset_id, k=8, features=["danceability", "energy", "valence", "tempo",
                                                                      "acousticness", "instrumentalness"], force=True)  # fmt: skip
        assert second["status"] == "finished" and second["result"]["activated"], second
        v2 = second["result"]["version"]
        system.wait_serving(v2)
        time.sleep(1)
    assert v2 != v1
    assert set(load.statuses) == {200}, (load.statuses, load.errors[:3])
    assert load.versions[v1] > 0 and load.versions[v2] > 0, load.versions

    # rollback through the operator route; the API serves the first version again
    with system.operator() as api:
        response = api.post(f"/v1/models/{v1}/activate", json={"reason": "rollback after review"})
        assert response.status_code == 200, response.text
    system.wait_serving(v1)
    history = system.pointer().history()
    assert history[0]["version"] == v1 and history[0]["reason"] == "rollback after review"
    with system.client() as api:
        assert api.get("/v1/models/current").json()["version"] == v1
        assert {m["version"] for m in api.get("/v1/models").json()["models"]} >= {v1, v2}


def test_a_job_whose_worker_is_killed_finishes_on_a_restarted_worker(system: System, tmp_path) -> None:
    from democatalog.generate import write_catalog

    catalog = tmp_path / "catalog.csv"
    write_catalog(catalog, rows=300_000, seed=11)
    dataset_id = system.ingest(catalog)
    with system.operator() as api:
        job_id = api.post("/v1/training-jobs", json={"dataset_id": dataset_id, "force": True}).json()["job_id"]
    system.wait_job(job_id, timeout=120, statuses=("started",))
    time.sleep(1.0)
    worker_pid = system.local.running_pid("worker")
    assert worker_pid
    os.kill(worker_pid, signal.SIGKILL)
    killed_at = time.monotonic()
    while stack.pid_alive(worker_pid):  # SIGKILL takes effect asynchronously
        time.sleep(0.05)
    system.local.up(["worker"])
    job = system.wait_job(job_id, timeout=240)
    assert job["status"] == "finished", job
    assert job["result"]["published"], job["result"]
    recovered_in = time.monotonic() - killed_at
    print(f"job recovered and finished {recovered_in:.1f}s after the worker was killed")


def test_recommendations_keep_flowing_while_redis_is_stopped(system: System) -> None:
    current = system.pointer().current()
    assert current, "the tests before this one publish and activate a model"
    system.wait_serving(current)
    with Load(system.base_url, threads=2) as load:
        time.sleep(1)
        system.local.down(["redis"])
        time.sleep(4)
        system.local.up(["redis"])
        time.sleep(3)
    assert set(load.statuses) == {200}, (load.statuses, load.errors[:3])
    assert sum(load.statuses.values()) > 50
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with system.client() as api:
            if api.get("/readyz").json()["redis"]["reachable"]:
                break
        time.sleep(0.5)
    else:
        pytest.fail("the API did not see Redis again after it came back")
