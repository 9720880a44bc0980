"""``python -m services.ingest serve`` end to end: catalogs posted to the API are ingested by the
long-running worker, one after another in one Spark session; a worker killed mid-job has its job
retried by the next one, which publishes that dataset exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from rq.job import Job

from services.api.app import create_app
from shared.datasets import list_datasets
from shared.ids import derived_track_id
from shared.pointer import ModelPointer
from shared.storage import ObjectStore
from tests.api.conftest import AUTH, api_settings
from tests.ingest.catalogs import tracks
from tests.ingest.test_any_catalog import FEATURES, GOOD
from tools.stack import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]

SMALL = "\n".join([f"artist_name,track_name,{FEATURES}", f"A,One,{GOOD}", f"A,Two,{GOOD}", f"A,One,{GOOD}", f"B,,{GOOD}"]) + "\n"
# Big enough that its job is still running when the test kills the worker.
BIG = "\n".join([f"artist_name,track_name,{FEATURES}"] + [f"Artist {n % 997},Song {n},{GOOD}" for n in range(60_000)]) + "\n"
FINAL = {"finished", "failed"}


@pytest.fixture
def api(env: dict[str, str], redis_client) -> Iterator[TestClient]:
    with TestClient(create_app(api_settings(env, startup_wait_seconds=0)), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def start_serve(env: dict[str, str], tmp_path: Path) -> Iterator[Callable[[], subprocess.Popen]]:
    """Start ``serve`` processes (each in a process group of its own, killed at the end)."""
    started: list[subprocess.Popen] = []
    timings = {"MUSICREC_INGEST_HEARTBEAT_SECONDS": "1", "MUSICREC_INGEST_HEARTBEAT_GRACE": "2",
               "MUSICREC_INGEST_MAINTENANCE_INTERVAL": "1", "MUSICREC_INGEST_WORKER_TTL": "16"}  # fmt: skip

    def start() -> subprocess.Popen:
        log = open(tmp_path / f"serve-{len(started)}.log", "wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "services.ingest", "serve"], cwd=ROOT, env={**os.environ, **env, **timings},
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(30)


def wait_for(api: TestClient, url: str, done: Callable[[dict], bool], timeout: float = 600) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = api.get(url, headers=AUTH).json()
        if done(state):
            return state
        time.sleep(0.05)
    raise AssertionError(f"{url} still {state} after {timeout}s")


def test_serve_ingests_posted_catalogs_and_a_killed_workers_job_is_published_once(
    api: TestClient, store: ObjectStore, redis_client, start_serve
) -> None:
    worker = start_serve()

    first = api.post("/v1/datasets", files={"file": ("small.csv", SMALL.encode())}, data={"train": "false"}, headers=AUTH).json()
    done = wait_for(api, first["url"], lambda s: s["status"] in FINAL)
    assert done["status"] == "finished" and done["stage"] == "done", done
    result = done["result"]
    assert result["dataset_id"] == first["dataset_id"] and result["track_id_source"] == "derived"
    assert {k: result[k] for k in ("rows_read", "rows_kept", "rows_rejected", "duplicates")} == {
        "rows_read": 4, "rows_kept": 2, "rows_rejected": 1, "duplicates": 1
    }  # fmt: skip
    assert result["rejected_by_reason"] == {"missing_track_id": 1} and result["training_job_id"] is None
    assert sorted(r["track_id"] for r in tracks(store, first["dataset_id"]).to_pylist()) == sorted(
        [derived_track_id("A", "One"), derived_track_id("A", "Two")]
    )

    again = api.post("/v1/datasets", data={"source": first["source"], "train": "false"}, headers=AUTH).json()
    assert wait_for(api, again["url"], lambda s: s["status"] in FINAL)["result"]["rows_kept"] == 2  # the same worker, warm

    store.put_bytes("incoming/big.csv", BIG.encode())
    big = api.post("/v1/datasets", data={"source": f"s3://{store.bucket}/incoming/big.csv"}, headers=AUTH).json()
    wait_for(api, big["url"], lambda s: s["stage"] in ("read_validate", "dedupe", "write", "verify"))
    os.killpg(worker.pid, signal.SIGKILL)  # the worker, its JVM and all: as a container dies
    worker.wait(30)
    assert api.get(big["url"], headers=AUTH).json()["status"] == "started"  # nobody has noticed yet

    start_serve()
    retried = wait_for(api, big["url"], lambda s: s["status"] in FINAL)
    assert retried["status"] == "finished", retried
    assert retried["result"]["rows_read"] == 60_000 and retried["result"]["rows_kept"] == 60_000
    assert Job.fetch(big["job_id"], connection=redis_client).retries_left == 1  # one retry taken
    assert [d["dataset_id"] for d in list_datasets(store)] == [first["dataset_id"], again["dataset_id"], big["dataset_id"]]
    assert sum(1 for key in store.list(f"datasets/{big['dataset_id']}/") if key.endswith("manifest.json")) == 1
    assert tracks(store, big["dataset_id"]).num_rows == 60_000
    assert ModelPointer(redis_client).latest_dataset() == big["dataset_id"]
    assert retried["result"]["training_job_id"]  # the dataset's training job, enqueued once it was published
