"""The worker as operators run it: ``python -m services.worker`` in its own process."""

from __future__ import annotations

import json
import signal
import time

import psutil
import redis
from rq.job import Job, JobStatus

from shared.bundle import list_versions
from shared.jobs import TrainingParameters, enqueue_training
from shared.pointer import ModelPointer
from shared.storage import ObjectStore
from tests.trainer.generated_dataset import publish_generated_dataset
from tests.worker.conftest import wait_until

ROWS = 40_000  # a job of a few seconds: long enough to be caught running


def status(job: Job) -> str:
    return job.get_status(refresh=True)


def test_sigterm_lets_the_running_job_finish(
    store: ObjectStore, redis_client: redis.Redis, pointer: ModelPointer, start_worker
) -> None:
    dataset_id = publish_generated_dataset(store, rows=ROWS, seed=11)
    worker = start_worker()
    job, _ = enqueue_training(redis_client, TrainingParameters(dataset_id=dataset_id))
    wait_until(lambda: status(job) == JobStatus.STARTED, 60, "job started")
    worker.popen.send_signal(signal.SIGTERM)
    assert worker.popen.wait(120) == 0
    assert status(job) == JobStatus.FINISHED
    assert pointer.current() == job.return_value()["version"]
    records = [json.loads(line) for line in worker.lines()]  # every line is one JSON object
    messages = [r["message"] for r in records]
    assert any("warm shut down requested" in m for m in messages)
    assert any(r["message"] == "libraries loaded" for r in records)
    assert {"time", "level", "logger"} <= set(records[0])


def test_a_job_whose_worker_is_killed_runs_again_on_the_next_worker(
    store: ObjectStore, redis_client: redis.Redis, pointer: ModelPointer, start_worker
) -> None:
    dataset_id = publish_generated_dataset(store, rows=ROWS, seed=12)
    first = start_worker()
    job, _ = enqueue_training(redis_client, TrainingParameters(dataset_id=dataset_id))  # the default Retry: 0, 30, 120 s
    wait_until(lambda: status(job) == JobStatus.STARTED, 60, "job started")
    again, created = enqueue_training(redis_client, TrainingParameters(dataset_id=dataset_id))
    assert (again.id, created) == (job.id, False)  # a duplicate enqueue returns the running job
    job.refresh()
    first_worker = job.worker_name
    assert first_worker is not None

    children = first.kill()  # the worker process only, as `kill -9 <pid>` or the OOM killer would
    killed_at = time.monotonic()
    assert children  # the work horse running the job (and RQ's scheduler)
    gone, alive = psutil.wait_procs(children, timeout=10)
    assert not alive  # they died with the worker: no orphan goes on running the job
    second = start_worker()

    def rerun_by_other_worker() -> bool:
        job.refresh()
        return job.worker_name not in (None, first_worker) or job.get_status() == JobStatus.FINISHED

    wait_until(rerun_by_other_worker, 90, "job picked up again", every=0.1)
    detected_after = time.monotonic() - killed_at
    wait_until(lambda: status(job) in (JobStatus.FINISHED, JobStatus.FAILED), 120, "job ended", every=0.2)
    assert status(job) == JobStatus.FINISHED, job.latest_result().exc_string
    job.refresh()
    assert job.retries_left == 2
    version = job.return_value()["version"]
    assert pointer.current() == version
    assert list_versions(store) == [version]  # the killed attempt left nothing visible
    print(f"abandoned job re-run {detected_after:.1f}s after SIGKILL (fast liveness settings)")
    second.popen.send_signal(signal.SIGTERM)
    assert second.popen.wait(30) == 0
