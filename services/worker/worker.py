"""The RQ worker for training jobs: everything that customises RQ lives here.

RQ is used through its documented extension points, and each one has a test that fails if
RQ's behaviour under it changes (``tests/worker/test_rq_hooks.py``):

- :class:`TrainingJob` (the worker's ``job_class``): a job that recorded a permanent failure
  (``meta["error"]["retry"]`` is false: bad arguments, bad settings) is not retried, whatever
  Retry it was enqueued with. Everything else follows the job's Retry.
- :class:`TrainingWorker` (a ``Worker`` subclass): a running job's execution entry expires
  ``job_monitoring_interval + heartbeat_grace`` after its last heartbeat, where RQ would wait
  a fixed 60 s more; a job whose worker died is found that much sooner by the next
  maintenance pass, and its first retry (interval 0, see :class:`shared.jobs.TrainingJobOptions`)
  goes straight back on the queue.

Not RQ: :func:`die_with_the_worker` has every process the worker forks (the work horse, RQ's
scheduler, the retrain schedule) killed by the kernel when the worker goes, so that "the
worker died" means its job died too instead of living on as an orphan.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys

import redis
from rq import Worker
from rq.job import Job

from services.worker.settings import WorkerSettings

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with(parent_pid: int) -> None:
    """Linux: this process gets SIGKILL when its parent ``parent_pid`` dies (even by SIGKILL)."""
    if not sys.platform.startswith("linux"):
        return
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


def die_with_the_worker() -> None:
    """Children forked from now on die with this process (see :func:`die_with`)."""
    worker_pid = os.getpid()
    os.register_at_fork(after_in_child=lambda: die_with(worker_pid))


class TrainingJob(Job):
    """A job that is not retried once it has recorded a failure no retry can cure."""

    @property
    def should_retry(self) -> bool:
        error = self.meta.get("error")
        permanent = isinstance(error, dict) and error.get("retry") is False
        return super().should_retry and not permanent


class TrainingWorker(Worker):
    """A forking RQ worker whose jobs' heartbeats expire after a configurable grace."""

    job_class = TrainingJob
    heartbeat_grace = 15

    def get_heartbeat_ttl(self, job: Job) -> int:
        interval = self.job_monitoring_interval
        if job.timeout and job.timeout > 0:
            interval = min(job.timeout - self.current_job_working_time, interval)
        return int(interval) + self.heartbeat_grace


def build_worker(settings: WorkerSettings, connection: redis.Redis) -> TrainingWorker:
    worker = TrainingWorker(
        [settings.worker_queue],
        name=settings.worker_name,
        connection=connection,
        job_monitoring_interval=settings.worker_job_monitoring_interval,
        maintenance_interval=settings.worker_maintenance_interval,
        worker_ttl=settings.worker_ttl,
        job_class=TrainingJob,
    )
    worker.heartbeat_grace = settings.worker_heartbeat_grace
    return worker
