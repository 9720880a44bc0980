"""The RQ job ``services.trainer.jobs.train``, enqueued through :func:`shared.jobs.enqueue_training`.

The job reports its stage in ``job.meta["stage"]``. Bad arguments (an unknown or
unpublished dataset, an empty dataset, an unknown feature, k < 2 or k > rows) and invalid
worker settings fail at once: the job records ``meta["error"]["retry"] = False``, which the
worker's job class reads (:mod:`services.worker.rq_hooks`), so the Retry it was enqueued
with does not run it again. Every other failure (the object store or Redis briefly away)
is left to that Retry.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError
from rq import get_current_job
from rq.job import Job

from services.trainer.pipeline import run_training
from services.trainer.settings import TrainerSettings
from shared.errors import ConfigError, DatasetNotFound, InvalidInput, MusicrecError
from shared.jobs import TrainingParameters
from shared.pointer import ModelPointer, connect
from shared.stages import StageEvent
from shared.storage import ObjectStore

log = logging.getLogger(__name__)

# Errors that no retry can cure: the arguments, the dataset or the worker's settings are wrong.
PERMANENT_ERRORS = (InvalidInput, DatasetNotFound, ConfigError)


class JobProgress:
    """Writes each stage to the running job's meta as it starts (a no-op outside a worker)."""

    def __init__(self, job: Job | None) -> None:
        self.job = job

    def __call__(self, event: StageEvent) -> None:
        if not event.done:
            self.stage(event.stage)

    def stage(self, stage: str) -> None:
        log.info("training stage", extra={"stage": stage, "job_id": self.job.id if self.job else None})
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


def trainer_settings() -> TrainerSettings:
    try:
        return TrainerSettings()
    except ValidationError as exc:
        raise ConfigError(f"the worker's trainer settings are invalid: {exc}") from exc


def train(**parameters: Any) -> dict[str, Any]:
    """Train on a dataset (None: the newest) and publish the model; ``parameters`` are
    :class:`shared.jobs.TrainingParameters`. See the module docstring."""
    job = get_current_job()
    progress = JobProgress(job)
    actor = str(job.meta.get("actor", "trainer")) if job is not None else "trainer"
    try:
        request = TrainingParameters.of(parameters)
        settings = trainer_settings()
        store = ObjectStore.from_settings(settings)
        client = connect(settings.redis_url)
        try:
            result = run_training(settings, store, ModelPointer(client), request, actor=actor, listener=progress)
        finally:
            client.close()
    except PERMANENT_ERRORS as exc:
        log.error("training refused", extra={"error": exc.message, "code": exc.code})
        progress.failed(exc, permanent=True)
        raise
    except Exception as exc:
        progress.failed(exc, permanent=False)
        raise
    progress.stage("done")
    return result
