"""Many gateways and workers on one pointer: two API processes (uvicorn) and two RQ worker
processes sharing one Redis and one MinIO, as `docker compose up --scale api=2 --scale worker=2` runs them."""

from __future__ import annotations

import threading
import time
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Callable

import httpx
import pytest
import redis
from rq.job import Job, JobStatus

from shared.bundle import list_versions
from shared.jobs import TrainingParameters, enqueue_training
from shared.pointer import ModelPointer
from shared.storage import ObjectStore
from tests.api.test_served_process import api_process
from tests.e2e.conftest import Load
from tests.trainer.generated_dataset import publish_generated_dataset
from tests.worker.conftest import WorkerProcess, start_worker, wait_until  # noqa: F401  (start_worker: a fixture)
from tools.synthetic_model import publish_model

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROWS = 30_000  # a job of several seconds on a busy 2-core machine: long enough to be caught running
SWAP_WITHIN = 5.0  # seconds from the pointer move to each gateway serving the new version


def status(job: Job) -> str:
    return job.get_status(refresh=True)


MID_JOB = ("selecting_k", "fitting", "evaluating", "describing")  # after loading, well before publishing


def stage(job: Job) -> str | None:
    job.refresh()
    return job.meta.get("stage")


def epoch(iso_time: str) -> float:
    return datetime.fromisoformat(iso_time.replace("Z", "+00:00")).timestamp()


class SwapWatch:
    """Polls a gateway's /readyz and notes when it first reports each model version."""

    def __init__(self, base_url: str) -> None:
        self.base_url, self.first_seen, self._stop = base_url, {}, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=5) as api:
            while not self._stop.is_set():
                try:
                    version = api.get("/readyz").json().get("model_version")
                except httpx.HTTPError:
                    version = None
                if version is not None:
                    self.first_seen.setdefault(version, time.time())
                time.sleep(0.05)

    def __enter__(self) -> "SwapWatch":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)


def test_both_gateways_swap_within_seconds_of_a_retrain_with_no_failed_request(
    env: dict, store: ObjectStore, redis_client: redis.Redis, tmp_path: Path, start_worker: Callable[..., WorkerProcess]
) -> None:
    pointer = ModelPointer(redis_client)
    first = publish_model(store, 3_000, k=5, seed=1)
    pointer.move(first, actor="test", reason="served before the retrain")
    dataset_id = publish_generated_dataset(store, rows=ROWS, seed=21)
    workers = [start_worker(MUSICREC_WORKER_NAME=f"worker-{n}") for n in (1, 2)]
    with ExitStack() as stack:
        gateways = [stack.enter_context(api_process(env, tmp_path / f"api-{n}.log"))[0] for n in (1, 2)]
        for url in gateways:
            wait_until(lambda: httpx.get(f"{url}/readyz").status_code == 200, 60, f"{url} ready")
        watches = [stack.enter_context(SwapWatch(url)) for url in gateways]
        loads = [stack.enter_context(Load(url, threads=3)) for url in gateways]
        job, _ = enqueue_training(redis_client, TrainingParameters(dataset_id=dataset_id, force=True))
        wait_until(lambda: status(job) in (JobStatus.FINISHED, JobStatus.FAILED), 300, "the retrain", every=0.2)
        assert status(job) == JobStatus.FINISHED, job.latest_result().exc_string
        new = job.return_value()["version"]
        assert job.return_value()["activated"] and pointer.current() == new
        for watch in watches:
            wait_until(lambda: new in watch.first_seen, 30, f"{watch.base_url} serving {new}", every=0.1)
        time.sleep(0.5)  # requests after the swap too
    moved_at = epoch(pointer.history()[0]["time"])
    lags = [watch.first_seen[new] - moved_at for watch in watches]
    for load in loads:
        assert set(load.statuses) == {200} and not load.errors, (load.statuses, load.errors[:3])
        assert load.versions[first] > 0 and load.versions[new] > 0, load.versions
    assert all(lag < SWAP_WITHIN for lag in lags), lags
    assert {w.popen.poll() for w in workers} == {None}  # both workers still running
    print(f"gateways swapped {', '.join(f'{lag:.2f}' for lag in lags)} s after the pointer move; "
          f"{sum(load.statuses[200] for load in loads)} requests, all 200")  # fmt: skip


def test_a_job_whose_worker_is_killed_is_finished_by_the_other_worker(
    store: ObjectStore, redis_client: redis.Redis, start_worker: Callable[..., WorkerProcess]
) -> None:
    pointer = ModelPointer(redis_client)
    dataset_id = publish_generated_dataset(store, rows=ROWS, seed=22)
    workers = {name: start_worker(MUSICREC_WORKER_NAME=name) for name in ("worker-1", "worker-2")}
    job, _ = enqueue_training(redis_client, TrainingParameters(dataset_id=dataset_id))
    wait_until(lambda: stage(job) in MID_JOB, 120, "the job past loading", every=0.05)
    victim = job.worker_name
    workers[victim].kill()  # SIGKILL, as the OOM killer would
    survivor = next(name for name in workers if name != victim)
    wait_until(lambda: status(job) in (JobStatus.FINISHED, JobStatus.FAILED), 240, "the job finished elsewhere", every=0.2)
    assert status(job) == JobStatus.FINISHED, job.latest_result().exc_string
    job.refresh()
    assert job.worker_name == survivor
    version = job.return_value()["version"]
    assert list_versions(store) == [version]  # exactly one bundle: the killed attempt published nothing
    assert pointer.current() == version and [h["version"] for h in pointer.history()] == [version]


def test_two_jobs_finishing_together_move_the_pointer_once_and_the_loser_is_superseded(
    store: ObjectStore, redis_client: redis.Redis, start_worker: Callable[..., WorkerProcess]
) -> None:
    pointer = ModelPointer(redis_client)
    served = publish_model(store, 1_000, k=3, seed=3)
    pointer.move(served, actor="test", reason="served before")
    datasets = [publish_generated_dataset(store, rows=ROWS, seed=seed) for seed in (23, 24)]
    for name in ("worker-1", "worker-2"):
        start_worker(MUSICREC_WORKER_NAME=name)
    jobs = [enqueue_training(redis_client, TrainingParameters(dataset_id=d, force=True))[0] for d in datasets]
    for job in jobs:
        wait_until(lambda: status(job) in (JobStatus.FINISHED, JobStatus.FAILED), 300, "both jobs", every=0.2)
    for job in jobs:
        assert status(job) == JobStatus.FINISHED, job.latest_result().exc_string
        job.refresh()
    results = [job.return_value() for job in jobs]
    assert {job.worker_name for job in jobs} == {"worker-1", "worker-2"}  # they ran side by side
    assert [r["pointer_at_start"] for r in results] == [served, served]  # both started from the same pointer
    winner, loser = sorted(results, key=lambda r: not r["activated"])
    assert winner["activated"] and not winner["superseded"]
    assert not loser["activated"] and loser["superseded"] and loser["superseded_by"] == winner["version"]
    assert pointer.current() == winner["version"]
    assert [h["version"] for h in pointer.history()] == [winner["version"], served]  # one move, from `served`
    assert sorted(list_versions(store)) == sorted([served, winner["version"], loser["version"]])  # the loser is not lost
    [record] = pointer.superseded()  # and its refusal is kept with the pointer, beyond the job's result
    assert (record["version"], record["pointer_at_start"], record["superseded_by"]) == (loser["version"], served, winner["version"])
