"""Each customisation of RQ (``services/worker/worker.py``) against RQ's real behaviour, and how
the worker starts and refuses to."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import redis
from rq import Queue, Retry, SimpleWorker, get_current_job
from rq.job import JobStatus
from rq.registry import StartedJobRegistry

from services.worker.worker import TrainingJob
from tests.worker.conftest import FAST_LIVENESS, ROOT, wait_until


def fails_for_good() -> None:
    """A job that records, as the training job does, that no retry can cure it."""
    job = get_current_job()
    job.meta["error"] = {"code": "invalid_input", "message": "bad arguments", "retry": False}
    job.save_meta()
    raise ValueError("bad arguments")


def fails_for_now() -> None:
    raise ConnectionError("the object store is away")


def runs_a_while(seconds: float) -> str:
    time.sleep(seconds)
    return "done"


def run_one(connection: redis.Redis, function, **kwargs) -> object:
    queue = Queue("hooks", connection=connection)
    job = queue.enqueue(function, retry=Retry(max=2, interval=0), kwargs=kwargs)
    SimpleWorker([queue], connection=connection, job_class=TrainingJob).work(burst=True, max_jobs=1)
    job.refresh()
    return job


def test_a_job_that_failed_for_good_is_not_retried_and_any_other_failure_is(redis_client: redis.Redis) -> None:
    permanent = run_one(redis_client, fails_for_good)
    assert permanent.get_status() == JobStatus.FAILED and permanent.retries_left == 2
    transient = run_one(redis_client, fails_for_now)
    assert transient.get_status() == JobStatus.QUEUED and transient.retries_left == 1  # back on the queue at once


def test_a_running_job_expires_after_the_monitoring_interval_plus_the_grace(redis_client: redis.Redis, env) -> None:
    queue = Queue("training", connection=redis_client)
    job = queue.enqueue(runs_a_while, kwargs={"seconds": 6}, job_timeout=600)
    worker = subprocess.Popen(
        [sys.executable, "-m", "services.worker", "--burst"], cwd=ROOT, env={**os.environ, **FAST_LIVENESS},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        registry = StartedJobRegistry("training", connection=redis_client)
        wait_until(lambda: job.get_status(refresh=True) == JobStatus.STARTED, 30, "job started")
        time.sleep(1.5)  # past the first heartbeat
        expiries = [score for member, score in redis_client.zrange(registry.key, 0, -1, withscores=True)
                    if member.decode().startswith(job.id)]  # fmt: skip
        # monitoring interval 1 s + grace 2 s; RQ alone would give 1 + 60 s
        assert expiries and all(0 < score - time.time() <= 3.5 for score in expiries), expiries
    finally:
        assert worker.wait(60) == 0
    assert job.get_status(refresh=True) == JobStatus.FINISHED


def run_worker(**variables: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "services.worker", "--burst"],
        cwd=ROOT, env={**os.environ, **variables}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_bad_settings_and_an_unreachable_redis_are_reported_clearly(env) -> None:
    bad = run_worker(MUSICREC_RETRAIN_SCHEDULE="every monday")
    assert bad.returncode == 2
    assert "MUSICREC_RETRAIN_SCHEDULE='every monday' is not a cron expression" in bad.stderr
    away = run_worker(MUSICREC_REDIS_URL="redis://127.0.0.1:9/0")
    assert away.returncode == 1
    assert "cannot reach Redis; is MUSICREC_REDIS_URL right?" in away.stderr
