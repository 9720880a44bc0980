"""The RQ job ``services.trainer.jobs.train``, enqueued only through :func:`shared.jobs.enqueue_training`.

The job reports its stage in ``job.meta["stage"]``. Bad arguments (an unknown or
unpublished dataset, an empty dataset, an unknown feature, k < 2 or k > rows) fail at once:
the job sets its ``retries_left`` to 0 before raising, which is what RQ's worker reads to
decide on a retry, so the Retry it was enqueued with does not run it again. Every other
failure (the object store or Redis briefly away) is left to that Retry.
"""

from __future__ import annotations

import logging
from typing import Any, Sequence

from pydantic import ValidationError
from rq import get_current_job
from rq.job import Job

from services.trainer.pipeline import TrainingRequest, run_training
from services.trainer.settings import TrainerSettings
from shared.errors import ConfigError, DatasetNotFound, InvalidInput, MusicrecError
from shared.pointer import ModelPointer, connect
from shared.storage import ObjectStore

log = logging.getLogger(__name__)

# Errors that no retry can cure: the arguments, the dataset or the worker's settings are wrong.
PERMANENT_ERRORS = (InvalidInput, DatasetNotFound, ConfigError)


class JobProgress:
    """Writes each stage to the running job's meta (a no-op outside a worker)."""

    def __init__(self, job: Job | None) -> None:
        self.job = job

    def __call__(self, stage: str) -> None:
        log.info("training stage", extra={"stage": stage, "job_id": self.job.id if self.job else None})
        if self.job is not None:
            self.job.meta["stage"] = stage
            self.job.meta.pop("error", None)
            self.job.save_meta()

    def failed(self, exc: BaseException, permanent: bool) -> None:
        if self.job is None:
            return
        if permanent:
            self.job.retries_left = 0  # RQ's worker checks this before scheduling a retry
        code = exc.code if isinstance(exc, MusicrecError) else type(exc).__name__
        message = exc.message if isinstance(exc, MusicrecError) else str(exc)
        self.job.meta["error"] = {"code": code, "message": message, "retry": bool(self.job.retries_left)}
        try:
            self.job.save_meta()
        except Exception as save_error:  # Redis may be the thing that failed
            log.warning("could not record the error on the job", extra={"error": str(save_error)})


def trainer_settings() -> TrainerSettings:
    try:
        return TrainerSettings()
    except ValidationError as exc:
        raise ConfigError(f"the worker's trainer settings are invalid: {exc}") from exc


def train(
    dataset_id: str | None = None,
    k: int | None = None,
    features: Sequence[str] | None = None,
    seed: int = 0,
    force: bool = False,
) -> dict[str, Any]:
    """Train on a dataset (None: the newest) and publish the model; see the module docstring."""
    job = get_current_job()
    progress = JobProgress(job)
    actor = str(job.meta.get("actor", "trainer")) if job is not None else "trainer"
    try:
        request = TrainingRequest.checked(dataset_id, k, features, seed, force, actor)
        settings = trainer_settings()
        store = ObjectStore.from_settings(settings)
        client = connect(settings.redis_url)
        try:
            return run_training(settings, store, ModelPointer(client), request, progress)
        finally:
            client.close()
    except PERMANENT_ERRORS as exc:
        log.error("training refused", extra={"error": exc.message, "code": exc.code})
        progress.failed(exc, permanent=True)
        raise
    except Exception as exc:
        progress.failed(exc, permanent=False)
        raise
