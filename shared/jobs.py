"""Enqueueing training jobs by their dotted name, once per (dataset, params).

Ingest and the API enqueue through :func:`enqueue_training`, so neither imports the
trainer; the worker runs ``services.trainer.jobs.train``. While a job for the same dataset
and parameters is queued or running, enqueueing again returns that job.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any, Sequence

import redis
from rq import Queue, Retry
from rq.job import Job, JobStatus

from shared.pointer import TRAINING_QUEUE, redis_errors

TRAIN_JOB = "services.trainer.jobs.train"
ACTIVE_STATUSES = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}


@dataclass(frozen=True)
class TrainingJobOptions:
    """How long a job may run and how long RQ keeps what it leaves behind."""

    job_timeout: int = 1800
    retries: int = 3
    retry_intervals: tuple[int, ...] = (5, 30, 120)
    result_ttl: int = 7 * 24 * 3600
    failure_ttl: int = 30 * 24 * 3600
    queue: str = TRAINING_QUEUE


def training_params(
    dataset_id: str | None = None,
    k: int | None = None,
    features: Sequence[str] | None = None,
    seed: int = 0,
    force: bool = False,
) -> dict[str, Any]:
    return {
        "dataset_id": dataset_id,
        "k": k,
        "features": list(features) if features is not None else None,
        "seed": seed,
        "force": force,
    }


def dedupe_key(params: dict[str, Any], prefix: str = "musicrec:") -> str:
    """One Redis key per (dataset, params): it holds the id of the active job, if any."""
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:24]
    return f"{prefix}training:active:{digest}"


def enqueue_training(
    connection: redis.Redis,
    *,
    options: TrainingJobOptions = TrainingJobOptions(),
    actor: str = "operator",
    **params: Any,
) -> tuple[Job, bool]:
    """Enqueue ``services.trainer.jobs.train(**params)``; returns (job, created).

    ``created`` is False when a job with the same dataset and parameters is still queued or
    running: that job is returned instead of a second one.
    """
    params = training_params(**params)
    key = dedupe_key(params)
    queue = Queue(options.queue, connection=connection)
    lease = options.job_timeout * (options.retries + 1) + sum(options.retry_intervals) + 600
    with redis_errors(key, "enqueue a training job under"):
        while True:
            job_id = f"train-{uuid.uuid4().hex}"
            if connection.set(key, job_id, nx=True, ex=lease):
                break
            existing = connection.get(key)
            if existing is not None:
                job = Job.fetch(existing.decode(), connection=connection) if _job_exists(connection, existing.decode()) else None
                if job is not None and job.get_status(refresh=True) in ACTIVE_STATUSES:
                    return job, False
                # the job it named has ended: take the key over (only if nobody else did meanwhile)
                with connection.pipeline() as pipe:
                    try:
                        pipe.watch(key)
                        if pipe.get(key) == existing:
                            pipe.multi()
                            pipe.set(key, job_id, ex=lease)
                            pipe.execute()
                            break
                    except redis.WatchError:
                        pass
        job = queue.enqueue(
            TRAIN_JOB,
            kwargs=params,
            job_id=job_id,
            job_timeout=options.job_timeout,
            retry=Retry(max=options.retries, interval=list(options.retry_intervals)),
            result_ttl=options.result_ttl,
            failure_ttl=options.failure_ttl,
            description=f"train {json.dumps(params, sort_keys=True)}",
            meta={"stage": "queued", "params": params, "actor": actor, "dedupe_key": key},
        )
    return job, True


def _job_exists(connection: redis.Redis, job_id: str) -> bool:
    return bool(connection.exists(Job.key_for(job_id)))
