"""The RQ worker for training jobs, tuned so that a job whose worker died runs again soon.

RQ finds a job abandoned by a dead worker when the job's execution entry in the queue's
started-job registry expires and a live worker cleans the registries. RQ sets that expiry
to the monitoring interval + 60 s; :class:`TrainingWorker` uses a configurable grace
instead. RQ then retries the job per its Retry, whose first interval needs RQ's scheduler
-- and the dead worker's scheduler lock blocks every other scheduler for 61 s.
:func:`retry_abandoned_at_once` therefore zeroes the interval of that one retry, so the
job goes straight back on the queue. And so that "the worker died" means its job died
too, :func:`die_with_the_worker` has every process the worker forks (the work horse, RQ's
scheduler) killed by the kernel when the worker goes, instead of living on as an orphan.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
from typing import Any

import redis
from rq import Worker
from rq.exceptions import AbandonedJobError
from rq.job import Job

from services.worker.settings import WorkerSettings

log = logging.getLogger(__name__)


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_the_worker() -> None:
    """Linux: children forked from now on get SIGKILL when this process dies (even by SIGKILL)."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    worker_pid = os.getpid()

    def in_child() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != worker_pid:  # the worker died before prctl took effect
            os._exit(1)

    os.register_at_fork(after_in_child=in_child)


def retry_abandoned_at_once(job: Job, exc_type: type, exc_value: BaseException, traceback: Any) -> bool:
    """RQ exception handler: the next retry of an abandoned job waits for nothing."""
    if exc_type is AbandonedJobError and job.retries_left and job.retry_intervals:
        intervals = list(job.retry_intervals)
        intervals[max(len(intervals) - job.retries_left, 0)] = 0  # the slot Job.get_retry_interval reads
        job.retry_intervals = intervals
        log.warning(
            "job abandoned by a dead worker; re-queued at once",
            extra={"job_id": job.id, "retries_left": job.retries_left - 1},
        )
    return True  # let RQ's other handlers run too


class TrainingWorker(Worker):
    """A forking RQ worker whose job heartbeats expire after a configurable grace."""

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
        exception_handlers=[retry_abandoned_at_once],
    )
    worker.heartbeat_grace = settings.worker_heartbeat_grace
    return worker
