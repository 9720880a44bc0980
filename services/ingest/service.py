"""Ingest as a service: ``python -m services.ingest serve``, an RQ worker on the ``ingest`` queue.

The worker runs each job in its own process (RQ's ``SimpleWorker``), so the Spark session it
starts once stays warm from one job to the next: a job pays for reading and writing its
catalog, not for starting a JVM. While a job runs, a thread heartbeats it every
``MUSICREC_INGEST_HEARTBEAT_SECONDS``; a worker that dies stops heartbeating, and once
``MUSICREC_INGEST_HEARTBEAT_GRACE`` more seconds have passed the next worker's maintenance
pass puts the job back on the queue (``shared.jobs.IngestJobOptions``: retried at once).

A job is ``ingest_job(source, dataset_id, train, upload)``: the dataset id is chosen when the
job is enqueued, so a retried job publishes that one dataset at most once. Finding the
dataset already published (its manifest written before the worker died), it only points
``latest`` at it and enqueues its training; finding files without a manifest (an attempt cut
short), it removes them and starts again. A bad file fails for good (no retry) and its upload is
removed; other failures (MinIO or Redis away) are retried.
"""

from __future__ import annotations

import logging
from typing import Any

from rq import get_current_job

from services.ingest.settings import IngestSettings
from services.worker.worker import IngestWorker, die_with_the_worker, rq_worker
from shared.datasets import dataset_prefix, read_dataset_manifest
from shared.errors import ConfigError, DatasetNotFound, IngestError, InvalidInput
from shared.jobs import JobProgress
from shared.manifest import manifest_key
from shared.pointer import INGEST_QUEUE, connect
from shared.storage import ObjectStore

log = logging.getLogger(__name__)

# The session `serve` started: every job of this process runs in it.
_session: dict[str, Any] = {}

# Failures no retry can cure: the file, the arguments or the settings are wrong.
PERMANENT_ERRORS = (IngestError, InvalidInput, ConfigError)
COUNTS = ("rows_read", "rows_kept", "rows_rejected", "duplicates")


def summary(manifest: dict[str, Any], training_job_id: str | None, resumed: bool = False) -> dict[str, Any]:
    """A job's result: the dataset, its counts and reasons (the manifest has the rest)."""
    return {
        "dataset_id": manifest["dataset_id"],
        **{key: manifest[key] for key in COUNTS},
        "rejected_by_reason": manifest["rejected_by_reason"],
        "nulled_by_reason": manifest.get("nulled_by_reason", {}),
        "track_id_source": manifest.get("track_id_source", "column"),
        "source": manifest["source"]["uri"],
        "seconds": manifest["timings"]["total"],
        "training_job_id": training_job_id,
        "resumed": resumed,
    }


def _published(store: ObjectStore, dataset_id: str) -> dict[str, Any] | None:
    try:
        return read_dataset_manifest(store, dataset_id)
    except DatasetNotFound:
        return None


def ingest_job(source: str, dataset_id: str, train: bool = True, upload: str | None = None) -> dict[str, Any]:
    """Ingest ``source`` into ``dataset_id`` (see the module docstring)."""
    from services.ingest.job import announce, ingest

    job = get_current_job()
    stages = JobProgress(job, "ingest")
    store = None
    try:
        try:
            settings = IngestSettings()
        except ValueError as exc:
            raise ConfigError(f"the ingest worker's settings are invalid: {exc}") from exc
        store = ObjectStore.from_settings(settings)
        published = _published(store, dataset_id)
        if published is not None:  # an earlier attempt published it, then its worker died
            stages.stage("announce")
            training = announce(connect(settings.redis_url), dataset_id, train)
            stages.stage("done")
            return summary(published, training, resumed=True)
        leftover = store.list(dataset_prefix(dataset_id) + "/")
        if leftover and manifest_key(dataset_prefix(dataset_id)) not in leftover:
            log.warning("removing what an interrupted attempt wrote", extra={"dataset_id": dataset_id, "objects": len(leftover)})
            store.delete_prefix(dataset_prefix(dataset_id) + "/")
        result = ingest(settings, source, dataset_id, train=train, progress=stages, spark=_session.get("spark"))
    except PERMANENT_ERRORS as exc:
        log.error("ingest refused", extra={"error": exc.message, "code": exc.code, "source": source})
        stages.failed(exc, permanent=True)
        if upload and store is not None:
            store.delete_prefix(upload)
        raise
    except Exception as exc:
        stages.failed(exc, permanent=False)
        raise
    stages.stage("done")
    return summary(result.manifest, result.training_job_id)


def serve(settings: IngestSettings, burst: bool = False) -> int:
    """Start Spark, then work the ``ingest`` queue until stopped (or, ``burst``, until it is empty)."""
    from services.ingest.spark import spark_session

    connection = connect(settings.redis_url)
    try:
        connection.ping()
    except Exception as exc:
        log.error("cannot reach Redis; is MUSICREC_REDIS_URL right?", extra={"error": str(exc)})
        return 1
    die_with_the_worker()  # what RQ forks dies with the worker; the JVM ends when its stdin closes
    _session["spark"] = spark_session(settings)
    log.info("spark session warm; waiting for ingest jobs", extra={"queue": INGEST_QUEUE})
    worker = rq_worker(IngestWorker, [INGEST_QUEUE], connection, monitoring=settings.ingest_heartbeat_seconds,
                       maintenance=settings.ingest_maintenance_interval, ttl=settings.ingest_worker_ttl,
                       grace=settings.ingest_heartbeat_grace)  # fmt: skip
    worker.work(burst=burst, with_scheduler=False, logging_level=settings.log_level.upper())
    return 0
