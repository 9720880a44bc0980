"""The periodic retrain, through RQ's own cron support (:mod:`rq.cron`).

A :class:`rq.cron.CronScheduler` registered in Redis (so ``rq cron``-aware tools and
:meth:`CronScheduler.all` see it) enqueues :func:`retrain_newest_dataset` on the training
queue on the configured cron schedule. That small job enqueues the real training job
through :func:`shared.jobs.enqueue_training`, so the retrain gets the same timeout, Retry
and deduplication as any other: several workers each running the schedule still train
the newest dataset once. Unless ``MUSICREC_RETRAIN_SKIP_WITHOUT_DRIFT`` is off, it first
measures drift (:mod:`shared.drift`) between the served model's dataset and the newest one,
and skips when no feature's PSI exceeds ``MUSICREC_DRIFT_PSI``; its result says why it
skipped or trained.

The scheduler runs as RQ runs it, :meth:`CronScheduler.start` in the main thread of a process
of its own (``python -m services.worker --schedule-only``; the loop installs signal handlers, which only
a main thread may): a child of the worker that dies with it, started again by a supervising
thread if it ends on its own (Redis away, say), and stopped with SIGTERM when the worker stops.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from typing import Any

import redis
from rq.cron import CronJob, CronScheduler

from services.worker.settings import WorkerSettings
from services.worker.worker import die_with
from shared.bundle import read_model_document
from shared.datasets import newest_dataset_id
from shared.drift import dataset_drift
from shared.errors import BundleIntegrityError, DatasetNotFound, ModelNotFound
from shared.jobs import TrainingParameters, enqueue_training
from shared.pointer import ModelPointer, connect
from shared.storage import ObjectStore

log = logging.getLogger(__name__)

CRON_NAME = "musicrec-retrain-newest-dataset"
CRON_JOB_TIMEOUT = 300
STOP_TIMEOUT = 10.0
RESTART_SECONDS = 5.0


def drift_since_served_model(store: ObjectStore, pointer: ModelPointer, newest: str, threshold: float) -> dict[str, Any]:
    """Whether the newest dataset drifted from the served model's: {"retrain", "reason"[, "drift"]}."""
    version = pointer.current()
    if version is None:
        return {"retrain": True, "reason": "no model is served"}
    try:
        model = read_model_document(store, version)
    except (ModelNotFound, BundleIntegrityError) as exc:
        return {"retrain": True, "reason": f"the served model {version} cannot be read: {exc.message}"}
    trained_on = model.lineage.get("dataset_id")
    if not isinstance(trained_on, str):
        return {"retrain": True, "reason": f"the served model {version} names no dataset"}
    try:
        drift = dataset_drift(store, trained_on, newest, threshold, model.features)
    except DatasetNotFound as exc:
        return {"retrain": True, "reason": f"the served model's dataset cannot be read: {exc.message}"}
    since = f"between dataset {trained_on} (the served model {version}'s) and the newest dataset {newest}"
    if drift["drifted"]:
        named = ", ".join(f"{name} {drift['psi'][name]:.3f}" for name in drift["drifted"])
        return {"retrain": True, "reason": f"PSI above {threshold:g} {since}: {named}", "drift": drift}
    largest = drift["largest"]
    most = f" (largest: {largest['feature']} {largest['psi']:.3f})" if largest else ""
    return {"retrain": False, "reason": f"no feature drifts beyond PSI {threshold:g} {since}{most}", "drift": drift}


def retrain_newest_dataset() -> dict[str, Any]:
    """Cron job: enqueue training of the newest complete dataset (once per dataset + params),
    unless it has not drifted from the served model's dataset (see the module docstring)."""
    settings = WorkerSettings()
    store = ObjectStore.from_settings(settings)
    try:
        dataset_id = newest_dataset_id(store)
    except DatasetNotFound as exc:
        log.info("scheduled retrain skipped", extra={"reason": exc.message})
        return {"enqueued": False, "reason": exc.message}
    client = connect(settings.redis_url)
    try:
        if settings.retrain_skip_without_drift:
            decision = drift_since_served_model(store, ModelPointer(client), dataset_id, settings.drift_psi)
        else:
            decision = {"retrain": True, "reason": "retrained on schedule (MUSICREC_RETRAIN_SKIP_WITHOUT_DRIFT is off)"}
        if not decision["retrain"]:
            log.info("scheduled retrain skipped", extra={"dataset_id": dataset_id, "reason": decision["reason"]})
            return {"enqueued": False, "skipped": True, "dataset_id": dataset_id, "reason": decision["reason"],
                    "drift": decision["drift"]}  # fmt: skip
        job, created = enqueue_training(client, TrainingParameters(dataset_id=dataset_id), actor="schedule")
    finally:
        client.close()
    log.info("scheduled retrain", extra={"dataset_id": dataset_id, "job_id": job.id, "enqueued": created})
    return {"enqueued": created, "dataset_id": dataset_id, "job_id": job.id, "reason": decision["reason"]} | (
        {"drift": decision["drift"]} if "drift" in decision else {}
    )


class RetrainSchedule:
    """A CronScheduler with the one retrain entry."""

    def __init__(self, connection: redis.Redis, settings: WorkerSettings) -> None:
        self.cron = CronScheduler(connection=connection)
        self.entry: CronJob = self.cron.register(
            retrain_newest_dataset,
            settings.worker_queue,
            cron=settings.retrain_schedule,
            job_timeout=CRON_JOB_TIMEOUT,
            name=CRON_NAME,
        )


class ScheduleProcess:
    """Runs ``python -m services.worker --schedule-only`` beside the worker, again if it ends on its own."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._process: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._supervisor = threading.Thread(target=self._supervise, name="retrain-schedule", daemon=True)

    def start(self) -> "ScheduleProcess":
        self._supervisor.start()
        return self

    def _supervise(self) -> None:
        argv = [sys.executable, "-m", "services.worker", "--schedule-only", "--parent", str(os.getpid())]
        while not self._stop.is_set():
            with self._lock:
                if self._stop.is_set():
                    return
                self._process = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
            code = self._process.wait()
            if not self._stop.is_set():
                log.warning("retrain schedule ended (exit code %s); starting it again in %gs", code, RESTART_SECONDS)
                self._stop.wait(RESTART_SECONDS)

    def stop(self) -> None:
        with self._lock:
            self._stop.set()
            process = self._process
        if process is not None and process.poll() is None:
            process.terminate()  # SIGTERM: RQ's loop stops and unregisters the scheduler
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
        self._supervisor.join(STOP_TIMEOUT)
        log.info("retrain schedule stopped")


def run_schedule(settings: WorkerSettings, parent: int | None = None) -> None:
    """RQ's cron scheduler with the retrain, in this process's main thread, until SIGTERM or SIGINT.

    With ``parent``, this process dies when that one (the worker) does.
    """
    if parent:
        die_with(parent)
    schedule = RetrainSchedule(connect(settings.redis_url), settings)
    log.info("retrain schedule started", extra={"cron": schedule.entry.cron, "next": str(schedule.entry.next_enqueue_time)})
    schedule.cron.start()  # RQ's loop; it unregisters the scheduler on the way out
