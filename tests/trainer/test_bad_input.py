"""Bad arguments fail at once with a clear error, are not retried, and leave the pointer alone.

What the parameters alone show to be wrong is refused before anything is enqueued; what only
the data shows (no such dataset, too few rows) fails the job at once; and a job enqueued with
bad arguments by other means than :func:`enqueue_training` fails at once as well.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pyarrow as pa
import pytest
import redis
from rq.job import JobStatus
from rq.registry import ScheduledJobRegistry

from rq import Queue, Retry

from shared.bundle import list_versions
from shared.errors import InvalidInput
from shared.jobs import TRAIN_JOB, TrainingParameters, enqueue_training
from shared.pointer import TRAINING_QUEUE, ModelPointer
from shared.schema import FEATURE_NAMES
from shared.storage import ObjectStore
from tests.trainer.generated_dataset import generated_table, publish_generated_dataset

Case = Callable[[ObjectStore], dict]


def unknown_dataset(store: ObjectStore) -> dict:
    return {"dataset_id": "no-such-dataset"}


def without_manifest(store: ObjectStore) -> dict:
    return {"dataset_id": publish_generated_dataset(store, rows=50, manifest=False)}


def empty_dataset(store: ObjectStore) -> dict:
    return {"dataset_id": publish_generated_dataset(store, rows=0, parts=1)}


def k_above_rows(store: ObjectStore) -> dict:
    return {"dataset_id": publish_generated_dataset(store, rows=50), "k": 51}


def no_dataset_at_all(store: ObjectStore) -> dict:
    return {}


def k_above_distinct_rows(store: ObjectStore) -> dict:
    table = generated_table(60, seed=3)
    repeated = np.arange(60) % 4  # sixty tracks, four different sounds
    for name in FEATURE_NAMES:
        column = table.column(name).to_numpy()
        table = table.set_column(table.schema.get_field_index(name), name, pa.array(column[repeated]))
    return {"dataset_id": publish_generated_dataset(store, table=table), "k": 5}


@pytest.mark.parametrize(
    ("case", "code", "message"),
    [
        (unknown_dataset, "dataset_not_found", "dataset 'no-such-dataset' does not exist"),
        (without_manifest, "dataset_not_found", "has no manifest (unfinished or failed ingest)"),
        (empty_dataset, "invalid_input", "is empty: it has no rows to train on"),
        (k_above_rows, "invalid_input", "k=51 is more than the dataset's 50 rows"),
        (no_dataset_at_all, "dataset_not_found", "no complete dataset is published yet"),
        (k_above_distinct_rows, "invalid_input", "k=5 is more than the 4 distinct rows the model would be fitted on"),
    ],
)
def test_bad_arguments_fail_at_once_without_retry(
    case: Case, code: str, message: str, store: ObjectStore, redis_client: redis.Redis, pointer: ModelPointer, run_burst
) -> None:
    pointer.move("served-before", actor="test", reason="setup")
    job, _ = enqueue_training(redis_client, TrainingParameters(**case(store)))  # the default Retry: 3 tries
    run_burst()
    assert_failed_at_once(job, code, message, redis_client)
    assert pointer.current() == "served-before" and len(pointer.history()) == 1
    assert list_versions(store) == []


def assert_failed_at_once(job, code: str, message: str, redis_client: redis.Redis) -> None:
    job.refresh()
    assert job.get_status() == JobStatus.FAILED
    assert job.retries_left == 3  # none was used
    assert len(Queue(TRAINING_QUEUE, connection=redis_client)) == 0
    assert ScheduledJobRegistry(TRAINING_QUEUE, connection=redis_client).count == 0
    assert message in job.latest_result().exc_string
    assert job.meta["error"] == {"code": code, "message": job.meta["error"]["message"], "retry": False}
    assert message in job.meta["error"]["message"]


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"features": ["tempo", "loudnes"]}, "features: Value error, unknown feature(s) ['loudnes']"),
        ({"k": 1}, "k: Input should be greater than or equal to 2"),
        ({"dataset_id": "../datasets"}, "dataset_id: String should match pattern"),
        ({"seed": -1}, "seed: Input should be greater than or equal to 0"),
        ({"colour": "red"}, "colour: Extra inputs are not permitted"),
    ],
)
def test_bad_parameters_are_refused_before_enqueueing_and_fail_a_job_enqueued_anyway(
    parameters: dict, message: str, store: ObjectStore, redis_client: redis.Redis, run_burst
) -> None:
    with pytest.raises(InvalidInput, match="invalid training parameters") as refused:
        enqueue_training(redis_client, TrainingParameters.of(parameters))
    assert message in refused.value.message
    assert len(Queue(TRAINING_QUEUE, connection=redis_client)) == 0
    # as another client (rq's own `rq enqueue`, an older version) could enqueue it
    job = Queue(TRAINING_QUEUE, connection=redis_client).enqueue(TRAIN_JOB, kwargs=parameters, retry=Retry(max=3))
    run_burst()
    assert_failed_at_once(job, "invalid_input", message, redis_client)
    assert list_versions(store) == []


def test_invalid_trainer_settings_fail_at_once_without_retry(
    store: ObjectStore, redis_client: redis.Redis, run_burst, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MUSICREC_K_MAX", "1")
    job, _ = enqueue_training(redis_client, TrainingParameters(dataset_id=publish_generated_dataset(store, rows=50)))
    run_burst()
    job.refresh()
    assert job.get_status() == JobStatus.FAILED and job.retries_left == 3
    assert job.meta["error"]["code"] == "config_error"
    assert "the worker's trainer settings are invalid" in job.meta["error"]["message"]
