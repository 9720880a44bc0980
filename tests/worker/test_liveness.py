"""How the worker finds and re-queues a job whose worker died; how it starts and refuses to."""

from __future__ import annotations

import os
import subprocess
import sys

import redis
from rq import Retry
from rq.exceptions import AbandonedJobError
from rq.job import Job

from services.worker.settings import WorkerSettings
from services.worker.worker import build_worker, retry_abandoned_at_once
from tests.worker.conftest import ROOT


def job_with_retry(connection: redis.Redis, retries_left: int) -> Job:
    job = Job.create("services.trainer.jobs.train", connection=connection, retry=Retry(max=3, interval=[5, 30, 120]))
    job.retries_left = retries_left
    return job


def test_only_the_retry_of_an_abandoned_job_skips_its_wait(redis_client: redis.Redis) -> None:
    first = job_with_retry(redis_client, 3)
    retry_abandoned_at_once(first, AbandonedJobError, AbandonedJobError(), None)
    assert first.retry_intervals == [0, 30, 120] and first.get_retry_interval() == 0
    later = job_with_retry(redis_client, 2)
    retry_abandoned_at_once(later, AbandonedJobError, AbandonedJobError(), None)
    assert later.retry_intervals == [5, 0, 120] and later.get_retry_interval() == 0
    failed = job_with_retry(redis_client, 3)
    retry_abandoned_at_once(failed, ValueError, ValueError("boom"), None)
    assert failed.retry_intervals == [5, 30, 120]


def test_a_running_job_expires_after_the_monitoring_interval_plus_the_grace(redis_client: redis.Redis, env) -> None:
    worker = build_worker(WorkerSettings(), redis_client)
    assert (worker.job_monitoring_interval, worker.heartbeat_grace, worker.maintenance_interval) == (10, 15, 10)
    assert worker.dequeue_timeout == 10  # an idle worker's maintenance pass is never later than that
    job = job_with_retry(redis_client, 3)
    job.timeout = 1800
    assert worker.get_heartbeat_ttl(job) == 25
    worker.current_job_working_time = 1795
    assert worker.get_heartbeat_ttl(job) == 20  # never longer than what is left of the job's time


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
