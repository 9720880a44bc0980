"""Training jobs: their parameters (one model), and enqueueing them by dotted name, once each.

:class:`TrainingParameters` is what a training job is asked to do: the API's request body, the
enqueued job's keyword arguments and what the job validates again before it starts. Ingest,
the API and the schedule enqueue through :func:`enqueue_training`, so none of them imports the
trainer; the worker runs ``services.trainer.jobs.train``. While a job for the same parameters
is queued or running, enqueueing again returns that job.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any, Mapping

import redis
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from rq import Queue, Retry
from rq.job import Job, JobStatus

from shared.errors import InvalidInput, MusicrecError
from shared.ids import ID_REGEX
from shared.pointer import INGEST_QUEUE, TRAINING_QUEUE, redis_errors
from shared.schema import FEATURE_NAMES, json_integer, validate_feature_names
from shared.stages import StageEvent

TRAIN_JOB = "services.trainer.jobs.train"
INGEST_JOB = "services.ingest.service.ingest_job"
ACTIVE_STATUSES = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}
K_MIN, K_MAX = 2, 200
JOB_ID_REGEX = r"^[A-Za-z0-9_-]{1,128}$"  # what RQ takes as a job id (letters, digits, underscores, dashes)

log = logging.getLogger(__name__)


class TrainingParameters(BaseModel):
    """What one training job is asked to do; every field is optional."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"examples": [{"dataset_id": None, "k": 12, "features": None, "force": False}]},
    )

    dataset_id: str | None = Field(None, pattern=ID_REGEX, description="default: the newest complete dataset")
    k: int | None = Field(None, ge=K_MIN, le=K_MAX, strict=True, description="clusters; default: chosen by the trainer")
    features: tuple[str, ...] | None = Field(
        None, min_length=1, description="default: every schema feature",
        json_schema_extra={"items": {"type": "string", "enum": list(FEATURE_NAMES)}, "uniqueItems": True},
    )  # fmt: skip
    seed: int = Field(0, ge=0, lt=2**32, strict=True, description="random seed of sampling and k-means")
    force: bool = Field(False, strict=True, description="serve the model even where the quality gate would refuse it")

    _whole_numbers = field_validator("k", "seed", mode="before")(json_integer)

    @field_validator("features")
    @classmethod
    def _known_features(cls, names: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if names is None:
            return None
        try:
            return validate_feature_names(names)
        except InvalidInput as exc:
            raise ValueError(exc.message) from None

    @property
    def feature_names(self) -> tuple[str, ...]:
        """The features to train on: those asked for, or every feature of the schema."""
        return self.features if self.features is not None else FEATURE_NAMES

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> "TrainingParameters":
        """Parameters from plain values (a job's keyword arguments), or :class:`InvalidInput` naming each bad one."""
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            errors = [
                {"field": ".".join(str(part) for part in error["loc"]) or "parameters", "message": error["msg"]}
                for error in exc.errors(include_url=False)
            ]
            problems = "; ".join(f"{error['field']}: {error['message']}" for error in errors)
            raise InvalidInput(f"invalid training parameters: {problems}", details={"errors": errors}) from None

    def job_kwargs(self) -> dict[str, Any]:
        """The job's keyword arguments: plain JSON values."""
        return self.model_dump(mode="json")


@dataclass(frozen=True)
class TrainingJobOptions:
    """How long a job may run, how it is retried and how long RQ keeps what it leaves behind.

    The first retry comes at once: it is the one a job abandoned by a dead worker takes, and
    it needs no scheduler. Later ones wait for whatever failed (MinIO, Redis) to come back.
    """

    job_timeout: int = 1800
    retries: int = 3
    retry_intervals: tuple[int, ...] = (0, 30, 120)
    result_ttl: int = 7 * 24 * 3600
    failure_ttl: int = 30 * 24 * 3600
    queue: str = TRAINING_QUEUE


def dedupe_key(params: TrainingParameters, prefix: str = "musicrec:") -> str:
    """One Redis key per set of parameters: it holds the id of the active job, if any."""
    digest = hashlib.sha256(json.dumps(params.job_kwargs(), sort_keys=True).encode()).hexdigest()[:24]
    return f"{prefix}training:active:{digest}"


def enqueue_training(
    connection: redis.Redis,
    params: TrainingParameters = TrainingParameters(),
    *,
    options: TrainingJobOptions = TrainingJobOptions(),
    actor: str = "operator",
) -> tuple[Job, bool]:
    """Enqueue ``services.trainer.jobs.train(**params)``; returns (job, created).

    ``created`` is False when a job with the same parameters is still queued or running:
    that job is returned instead of a second one.
    """
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
            kwargs=params.job_kwargs(),
            job_id=job_id,
            job_timeout=options.job_timeout,
            retry=Retry(max=options.retries, interval=list(options.retry_intervals)),
            result_ttl=options.result_ttl,
            failure_ttl=options.failure_ttl,
            description=f"train {json.dumps(params.job_kwargs(), sort_keys=True)}",
            meta={"stage": "queued", "params": params.job_kwargs(), "actor": actor, "dedupe_key": key},
        )
    return job, True


def _job_exists(connection: redis.Redis, job_id: str) -> bool:
    return bool(connection.exists(Job.key_for(job_id)))


@dataclass(frozen=True)
class IngestJobOptions:
    """An ingest job's limits: as a training job's, on the ``ingest`` queue (``python -m services.ingest serve``).

    A job whose worker died goes straight back on the queue (interval 0); it publishes its
    dataset id at most once (:func:`services.ingest.service.ingest_job`).
    """

    job_timeout: int = 3600
    retries: int = 2
    result_ttl: int = 7 * 24 * 3600
    failure_ttl: int = 30 * 24 * 3600
    queue: str = INGEST_QUEUE


def enqueue_ingest(
    connection: redis.Redis,
    source: str,
    dataset_id: str,
    *,
    train: bool = True,
    upload: str | None = None,
    options: IngestJobOptions = IngestJobOptions(),
    actor: str = "operator",
) -> Job:
    """Enqueue ``services.ingest.service.ingest_job``: ``source`` (an ``s3://`` URI) into the
    dataset ``dataset_id``; ``upload`` is the key of an uploaded file the job removes if it fails for good."""
    kwargs = {"source": source, "dataset_id": dataset_id, "train": train, "upload": upload}
    with redis_errors(options.queue, "enqueue an ingest job on"):
        return Queue(options.queue, connection=connection).enqueue(
            INGEST_JOB,
            kwargs=kwargs,
            job_id=f"ingest-{uuid.uuid4().hex}",
            job_timeout=options.job_timeout,
            retry=Retry(max=options.retries, interval=0),
            result_ttl=options.result_ttl,
            failure_ttl=options.failure_ttl,
            description=f"ingest {source} as {dataset_id}",
            meta={"stage": "queued", "params": kwargs, "actor": actor},
        )


class JobProgress:
    """Writes a job's stage to its meta as each stage starts, and its error when it fails (a no-op
    outside a worker); ``what`` names the kind of job in the log ("training", "ingest")."""

    def __init__(self, job: Job | None, what: str) -> None:
        self.job, self.what = job, what

    def __call__(self, event: StageEvent) -> None:
        if not event.done:
            self.stage(event.stage)

    def stage(self, stage: str) -> None:
        log.info(f"{self.what} stage", extra={"stage": stage, "job_id": self.job.id if self.job else None})
        if self.job is not None:
            self.job.meta["stage"] = stage
            self.job.meta.pop("error", None)
            self.job.save_meta()

    def failed(self, exc: BaseException, permanent: bool) -> None:
        if self.job is None:
            return
        code = exc.code if isinstance(exc, MusicrecError) else type(exc).__name__
        message = exc.message if isinstance(exc, MusicrecError) else str(exc)
        retry = not permanent and bool(self.job.retries_left)
        self.job.meta["error"] = {"code": code, "message": message, "retry": retry}
        try:
            self.job.save_meta()
        except Exception as save_error:  # Redis may be the thing that failed
            log.warning("could not record the error on the job", extra={"error": str(save_error)})
