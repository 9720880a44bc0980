"""The periodic retrain, through RQ's own cron support (:mod:`rq.cron`).

A :class:`rq.cron.CronScheduler` registered in Redis (so ``rq cron``-aware tools and
:meth:`CronScheduler.all` see it) enqueues :func:`retrain_newest_dataset` on the training
queue on the configured cron schedule. That small job enqueues the real training job
through :func:`shared.jobs.enqueue_training`, so the retrain gets the same timeout, Retry
and deduplication as any other: several workers each running the schedule still train
the newest dataset once. The scheduler loop runs in a thread of the worker's main process.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import redis
from rq.cron import CronJob, CronScheduler

from services.worker.settings import WorkerSettings
from shared.datasets import newest_dataset_id
from shared.errors import DatasetNotFound
from shared.jobs import enqueue_training
from shared.pointer import connect
from shared.storage import ObjectStore

log = logging.getLogger(__name__)

CRON_NAME = "musicrec-retrain-newest-dataset"
CRON_JOB_TIMEOUT = 300
STOP_TIMEOUT = 10.0


def retrain_newest_dataset() -> dict[str, Any]:
    """Cron job: enqueue training of the newest complete dataset (once per dataset + params)."""
    settings = WorkerSettings()
    try:
        dataset_id = newest_dataset_id(ObjectStore.from_settings(settings))
    except DatasetNotFound as exc:
        log.info("scheduled retrain skipped", extra={"reason": exc.message})
        return {"enqueued": False, "reason": exc.message}
    client = connect(settings.redis_url)
    try:
        job, created = enqueue_training(client, dataset_id=dataset_id, actor="schedule")
    finally:
        client.close()
    log.info("scheduled retrain", extra={"dataset_id": dataset_id, "job_id": job.id, "enqueued": created})
    return {"enqueued": created, "dataset_id": dataset_id, "job_id": job.id}


class RetrainSchedule:
    """Runs a CronScheduler with the one retrain entry in a background thread."""

    def __init__(self, connection: redis.Redis, settings: WorkerSettings) -> None:
        self.cron = CronScheduler(connection=connection)
        self.entry: CronJob = self.cron.register(
            retrain_newest_dataset,
            settings.worker_queue,
            cron=settings.retrain_schedule,
            job_timeout=CRON_JOB_TIMEOUT,
            name=CRON_NAME,
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "RetrainSchedule":
        self.cron.register_birth()
        self._thread = threading.Thread(target=self._run, name="retrain-schedule", daemon=True)
        self._thread.start()
        log.info("retrain schedule started", extra={"cron": self.entry.cron, "next": str(self.entry.next_enqueue_time)})
        return self

    def _run(self) -> None:
        # CronScheduler.start() minus its signal handlers, which only the main thread may own.
        while not self._stop.is_set():
            try:
                if self.cron.enqueue_jobs():
                    self.cron.save()
                self.cron.heartbeat()
            except redis.RedisError as exc:
                log.warning("retrain schedule could not reach Redis; trying again", extra={"error": str(exc)})
            self._stop.wait(max(self.cron.calculate_sleep_interval(), 1.0))

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT)
        try:
            self.cron.register_death()
        except redis.RedisError as exc:
            log.warning("could not unregister the retrain schedule", extra={"error": str(exc)})
        log.info("retrain schedule stopped")
