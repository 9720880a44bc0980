"""The RQ workers of training and ingest jobs: everything that customises RQ lives here.

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
- :class:`IngestWorker` (a ``SimpleWorker`` subclass, for ``python -m services.ingest serve``):
  runs each job in its own process, so the Spark session stays warm between jobs, and
  heartbeats the running job from a thread (``tests/ingest/test_service.py``).
- :func:`rq_worker` builds either with its settings.

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
import threading

import redis
from rq import SimpleWorker, Worker
from rq.job import Job
from rq.worker import WorkerStatus

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


def rq_worker(cls: type[Worker], queues: list[str], connection: redis.Redis, *, monitoring: float, maintenance: int,
              ttl: int, grace: int, name: str | None = None) -> Worker:  # fmt: skip
    """A worker of ``cls`` (:class:`TrainingWorker`, :class:`IngestWorker`) on ``queues``, heartbeating its
    jobs every ``monitoring`` seconds with ``grace`` seconds to spare."""
    worker = cls(queues, name=name, connection=connection, job_monitoring_interval=monitoring,
                 maintenance_interval=maintenance, worker_ttl=ttl, job_class=TrainingJob)  # fmt: skip
    worker.heartbeat_grace = grace
    return worker


def build_worker(settings: WorkerSettings, connection: redis.Redis) -> TrainingWorker:
    return rq_worker(TrainingWorker, [settings.worker_queue], connection, monitoring=settings.worker_job_monitoring_interval,
                     maintenance=settings.worker_maintenance_interval, ttl=settings.worker_ttl,
                     grace=settings.worker_heartbeat_grace, name=settings.worker_name)  # fmt: skip


class IngestWorker(SimpleWorker):
    """RQ's worker that runs jobs in its own process (the Spark session stays), heartbeating them."""

    job_class = TrainingJob  # a job that recorded a permanent failure is not retried
    heartbeat_grace = 15

    def get_heartbeat_ttl(self, job: Job) -> int:
        return int(self.job_monitoring_interval) + self.heartbeat_grace

    def execute_job(self, job: Job, queue) -> None:
        self.beat_lock = threading.Lock()
        self.beating = threading.Event()
        self.prepare_execution(job)
        beat = threading.Thread(target=self.heartbeats, args=(job,), name="ingest-heartbeat", daemon=True)
        beat.start()
        try:
            self.perform_job(job, queue)
        finally:
            self.stop_heartbeats()
            beat.join()
        self.set_state(WorkerStatus.IDLE)

    def heartbeats(self, job: Job) -> None:
        while not self.beating.wait(self.job_monitoring_interval):
            with self.beat_lock:
                if self.beating.is_set():
                    return
                try:
                    self.maintain_heartbeats(job)
                except Exception as exc:  # Redis away for a moment: the next beat tries again
                    log.warning("could not heartbeat the ingest job", extra={"job_id": job.id, "error": str(exc)})

    def stop_heartbeats(self) -> None:
        """No heartbeat after this returns (one would put a finished job back in the started registry)."""
        with self.beat_lock:
            self.beating.set()

    def handle_job_success(self, job, queue, started_job_registry) -> None:
        self.stop_heartbeats()
        super().handle_job_success(job, queue, started_job_registry)

    def handle_job_failure(self, job, queue, *args, **kwargs) -> None:
        self.stop_heartbeats()
        super().handle_job_failure(job, queue, *args, **kwargs)
