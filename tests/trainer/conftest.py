"""Trainer fixtures: training jobs run by a real RQ SimpleWorker in burst mode, with the
worker's job class (a job that failed for good is not retried)."""

from __future__ import annotations

import signal
from typing import Any, Callable, Iterator

import pytest
import redis
from rq import Queue, SimpleWorker

from services.worker.worker import TrainingJob
from shared.bundle import ModelDocument, load_bundle
from shared.jobs import TrainingParameters, enqueue_training
from shared.pointer import TRAINING_QUEUE, ModelPointer
from shared.storage import ObjectStore


@pytest.fixture
def run_burst(redis_client: redis.Redis) -> Iterator[Callable[[], None]]:
    """Run every queued training job in this process, then return (RQ's burst mode)."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}

    def run() -> None:
        queue = Queue(TRAINING_QUEUE, connection=redis_client)
        SimpleWorker([queue], connection=redis_client, job_class=TrainingJob).work(burst=True)

    yield run
    for sig, handler in saved.items():
        signal.signal(sig, handler)


@pytest.fixture
def pointer(redis_client: redis.Redis) -> ModelPointer:
    return ModelPointer(redis_client)


@pytest.fixture
def train_model(store: ObjectStore, redis_client: redis.Redis, run_burst) -> Callable[..., tuple[dict[str, Any], ModelDocument]]:
    """Run one training job with these parameters; returns its result and the published model document."""

    def train(**parameters: Any) -> tuple[dict[str, Any], ModelDocument]:
        job, _ = enqueue_training(redis_client, TrainingParameters(**parameters))
        run_burst()
        result = job.return_value()
        assert result is not None, job.latest_result().exc_string
        return result, load_bundle(store, result["version"]).model

    return train
