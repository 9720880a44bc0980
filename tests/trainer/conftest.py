"""Trainer fixtures: training jobs run by a real RQ SimpleWorker in burst mode, with the
worker's job class (a job that failed for good is not retried)."""

from __future__ import annotations

import signal
from typing import Callable, Iterator

import pytest
import redis
from rq import Queue, SimpleWorker

from services.worker.worker import TrainingJob
from shared.pointer import TRAINING_QUEUE, ModelPointer


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
