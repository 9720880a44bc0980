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

from services.trainer.pipeline import run_training
from services.trainer.settings import TrainerSettings
from shared.errors import ConfigError, DatasetNotFound, InvalidInput
from shared.jobs import JobProgress, TrainingParameters
from shared.pointer import ModelPointer, connect
from shared.storage import ObjectStore

log = logging.getLogger(__name__)

# Errors that no retry can cure: the arguments, the dataset or the worker's settings are wrong.
PERMANENT_ERRORS = (InvalidInput, DatasetNotFound, ConfigError)


def trainer_settings() -> TrainerSettings:
    try:
        return TrainerSettings()
    except ValidationError as exc:
        raise ConfigError(f"the worker's trainer settings are invalid: {exc}") from exc


def train(**parameters: Any) -> dict[str, Any]:
    """Train on a dataset (None: the newest) and publish the model; ``parameters`` are
    :class:`shared.jobs.TrainingParameters`. See the module docstring."""
    job = get_current_job()
    progress = JobProgress(job, "training")
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
