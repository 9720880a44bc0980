"""Bad arguments fail at once with a clear error, are not retried, and leave the pointer alone."""

from __future__ import annotations

from typing import Callable

import pytest
import redis
from rq.job import JobStatus
from rq.registry import ScheduledJobRegistry

from shared.bundle import list_versions
from shared.jobs import enqueue_training
from shared.pointer import TRAINING_QUEUE, ModelPointer
from shared.storage import ObjectStore
from tests.trainer.generated_dataset import publish_generated_dataset

Case = Callable[[ObjectStore], dict]


def unknown_dataset(store: ObjectStore) -> dict:
    return {"dataset_id": "no-such-dataset"}


def without_manifest(store: ObjectStore) -> dict:
    return {"dataset_id": publish_generated_dataset(store, rows=50, manifest=False)}


def empty_dataset(store: ObjectStore) -> dict:
    return {"dataset_id": publish_generated_dataset(store, rows=0, parts=1)}


def unknown_feature(store: ObjectStore) -> dict:
    return {"dataset_id": publish_generated_dataset(store, rows=50), "features": ["tempo", "loudnes"]}


def k_below_two(store: ObjectStore) -> dict:
    return {"dataset_id": publish_generated_dataset(store, rows=50), "k": 1}


def k_above_rows(store: ObjectStore) -> dict:
    return {"dataset_id": publish_generated_dataset(store, rows=50), "k": 51}


def malformed_id(store: ObjectStore) -> dict:
    return {"dataset_id": "../datasets"}


def no_dataset_at_all(store: ObjectStore) -> dict:
    return {}


@pytest.mark.parametrize(
    ("case", "code", "message"),
    [
        (unknown_dataset, "dataset_not_found", "dataset 'no-such-dataset' does not exist"),
        (without_manifest, "dataset_not_found", "has no manifest (unfinished or failed ingest)"),
        (empty_dataset, "invalid_input", "is empty: it has no rows to train on"),
        (unknown_feature, "invalid_input", "unknown feature(s) ['loudnes']"),
        (k_below_two, "invalid_input", "k must be an integer of at least 2, got 1"),
        (k_above_rows, "invalid_input", "k=51 is more than the dataset's 50 rows"),
        (malformed_id, "invalid_input", "dataset_id '../datasets' is not a valid id"),
        (no_dataset_at_all, "dataset_not_found", "no complete dataset is published yet"),
    ],
)
def test_bad_arguments_fail_at_once_without_retry(
    case: Case, code: str, message: str, store: ObjectStore, redis_client: redis.Redis, pointer: ModelPointer, run_burst
) -> None:
    pointer.move("served-before", actor="test", reason="setup")
    job, _ = enqueue_training(redis_client, **case(store))  # the default Retry: 3 tries
    run_burst()
    job.refresh()
    assert job.get_status() == JobStatus.FAILED
    assert job.retries_left == 0
    assert ScheduledJobRegistry(TRAINING_QUEUE, connection=redis_client).count == 0
    assert message in job.latest_result().exc_string
    assert job.meta["error"] == {"code": code, "message": job.meta["error"]["message"], "retry": False}
    assert message in job.meta["error"]["message"]
    assert pointer.current() == "served-before" and len(pointer.history()) == 1
    assert list_versions(store) == []


def test_invalid_trainer_settings_fail_at_once_without_retry(
    store: ObjectStore, redis_client: redis.Redis, run_burst, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MUSICREC_K_MAX", "1")
    job, _ = enqueue_training(redis_client, dataset_id=publish_generated_dataset(store, rows=50))
    run_burst()
    job.refresh()
    assert job.get_status() == JobStatus.FAILED and job.retries_left == 0
    assert job.meta["error"]["code"] == "config_error"
    assert "the worker's trainer settings are invalid" in job.meta["error"]["message"]
