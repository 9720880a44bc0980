"""Transient faults (object store or Redis briefly away) are retried; nothing half-written shows."""

from __future__ import annotations

import pytest
import redis
from rq.job import JobStatus

from shared.bundle import list_versions, load_bundle
from shared.errors import RedisUnavailable, StorageUnavailable
from shared.jobs import TrainingJobOptions, TrainingParameters, enqueue_training
from shared.pointer import ModelPointer
from shared.storage import ObjectStore
from tests.trainer.generated_dataset import publish_generated_dataset

AT_ONCE = TrainingJobOptions(retry_intervals=(0,))  # retries go straight back on the queue


def fail_once(monkeypatch: pytest.MonkeyPatch, owner: type, name: str, error: Exception, when=lambda *a: True) -> list:
    """Make ``owner.name`` raise ``error`` the first time ``when(args)`` holds (failure injection)."""
    real, failures = getattr(owner, name), []

    def flaky(self, *args, **kwargs):
        if not failures and when(*args):
            failures.append(args)
            raise error
        return real(self, *args, **kwargs)

    monkeypatch.setattr(owner, name, flaky)
    return failures


def test_object_store_away_while_publishing_is_retried(
    store: ObjectStore, redis_client: redis.Redis, pointer: ModelPointer, run_burst, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset_id = publish_generated_dataset(store, rows=600, seed=8)
    failures = fail_once(
        monkeypatch, ObjectStore, "put_bytes", StorageUnavailable("s3://bucket: object store unreachable"),
        when=lambda key, *rest: key.endswith("/catalog.parquet"),
    )  # fmt: skip
    job, _ = enqueue_training(redis_client, TrainingParameters(dataset_id=dataset_id), options=AT_ONCE)
    run_burst()
    job.refresh()
    assert len(failures) == 1
    assert job.get_status() == JobStatus.FINISHED
    assert job.retries_left == 2  # one retry used
    version = job.return_value()["version"]
    assert pointer.current() == version
    assert list_versions(store) == [version]
    # the failed attempt's model.json was removed: only the published bundle is under models/
    assert {key.split("/")[1] for key in store.list("models/")} == {version}


def test_redis_away_at_the_pointer_move_is_retried(
    store: ObjectStore, redis_client: redis.Redis, pointer: ModelPointer, run_burst, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset_id = publish_generated_dataset(store, rows=600, seed=9)
    away = RedisUnavailable("could not move Redis key 'musicrec:model:current': Connection refused")
    failures = fail_once(monkeypatch, ModelPointer, "move_if", away)  # the compare-and-set a training job moves it with
    job, _ = enqueue_training(redis_client, TrainingParameters(dataset_id=dataset_id), options=AT_ONCE)
    run_burst()
    job.refresh()
    assert len(failures) == 1 and job.get_status() == JobStatus.FINISHED and job.retries_left == 2
    version = job.return_value()["version"]
    assert pointer.current() == version and [e["version"] for e in pointer.history()] == [version]
    # the first attempt's bundle stays published (immutable) but was never served
    first = [v for v in list_versions(store) if v != version]
    assert len(first) == 1
    load_bundle(store, first[0])
