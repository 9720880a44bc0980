"""The periodic retrain through RQ's cron support: registered, switchable off, and it trains."""

from __future__ import annotations

from datetime import timezone

import numpy as np
import pyarrow as pa
import pytest
import redis
from pydantic import ValidationError
from rq.cron import CronScheduler

from services.worker.schedule import CRON_NAME, RetrainSchedule, ScheduleProcess, retrain_newest_dataset
from services.worker.settings import WorkerSettings
from shared.bundle import list_versions, load_bundle
from shared.pointer import ModelPointer
from shared.schema import FEATURE_NAMES
from shared.storage import ObjectStore
from tests.trainer.generated_dataset import generated_table, publish_generated_dataset
from tests.worker.conftest import wait_until


def registered(connection: redis.Redis) -> dict[str, CronScheduler]:
    return {s.name: s for s in CronScheduler.all(connection)}


def test_the_schedule_registers_with_rq_cron_and_unregisters_on_stop(redis_client: redis.Redis, env) -> None:
    schedule = ScheduleProcess().start()
    try:
        [seen] = wait_until(lambda: list(registered(redis_client).values()), 30, "the scheduler registered")
        [entry] = seen.get_jobs()
        assert (entry.name, entry.cron, entry.queue_name) == (CRON_NAME, "0 4 * * 1", "training")
        assert entry.func_name == "services.worker.schedule.retrain_newest_dataset"
        due = RetrainSchedule(redis_client, WorkerSettings()).entry.next_enqueue_time.astimezone(timezone.utc)
        assert (due.weekday(), due.hour, due.minute) == (0, 4, 0)  # weekly: Mondays 04:00 UTC
    finally:
        schedule.stop()
    assert registered(redis_client) == {}


def test_the_schedule_is_configurable_and_can_be_switched_off(env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUSICREC_RETRAIN_SCHEDULE", "30 2 * * *")
    assert WorkerSettings().retrain_enabled
    for off in ("off", "", "none"):
        monkeypatch.setenv("MUSICREC_RETRAIN_SCHEDULE", off)
        assert not WorkerSettings().retrain_enabled
    monkeypatch.setenv("MUSICREC_RETRAIN_SCHEDULE", "every monday")
    with pytest.raises(ValidationError, match="is not a cron expression"):
        WorkerSettings()


def test_a_scheduled_run_trains_the_newest_dataset_once(
    store: ObjectStore, redis_client: redis.Redis, pointer: ModelPointer, run_burst
) -> None:
    publish_generated_dataset(store, rows=400, seed=20)
    newest = publish_generated_dataset(store, rows=600, seed=21)
    schedule = RetrainSchedule(redis_client, WorkerSettings())
    first = schedule.entry.enqueue(redis_client)  # what the cron scheduler does when it is due
    second = schedule.entry.enqueue(redis_client)  # e.g. a second worker's schedule
    run_burst()
    assert first.return_value()["enqueued"] and first.return_value()["dataset_id"] == newest
    assert first.return_value()["reason"] == "no model is served"
    assert second.return_value() == {
        "enqueued": False, "dataset_id": newest, "job_id": first.return_value()["job_id"], "reason": "no model is served"
    }  # fmt: skip
    [version] = list_versions(store)
    assert load_bundle(store, version).model.lineage["dataset_id"] == newest
    assert pointer.current() == version and pointer.history()[0]["actor"] == "schedule"


def test_a_scheduled_run_without_any_dataset_does_nothing(store: ObjectStore, redis_client: redis.Redis) -> None:
    result = retrain_newest_dataset()
    assert result == {"enqueued": False, "reason": "no complete dataset is published yet: ingest a catalog first"}


def shifted(table: pa.Table, name: str, by: float) -> pa.Table:
    index = table.schema.get_field_index(name)
    return table.set_column(index, name, pa.array(np.clip(table.column(name).to_numpy() + by, 30, 250)))


def test_a_scheduled_run_skips_when_nothing_drifted_and_trains_when_something_did(
    store: ObjectStore, redis_client: redis.Redis, pointer: ModelPointer, run_burst, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = generated_table(1_000, seed=22)
    first = publish_generated_dataset(store, table=table)
    schedule = RetrainSchedule(redis_client, WorkerSettings())
    schedule.entry.enqueue(redis_client)
    run_burst()  # no model yet: it trains
    [served] = list_versions(store)
    assert pointer.current() == served

    again = publish_generated_dataset(store, table=table)  # a new dataset with the same tracks
    skipped = schedule.entry.enqueue(redis_client)
    run_burst()
    result = skipped.return_value()
    assert (result["enqueued"], result["skipped"], result["dataset_id"]) == (False, True, again)
    assert result["reason"].startswith(
        f"no feature drifts beyond PSI 0.2 between dataset {first} (the served model {served}'s) "
        f"and the newest dataset {again}"
    )
    assert result["drift"]["psi"] == dict.fromkeys(FEATURE_NAMES, 0.0) and result["drift"]["drifted"] == []
    assert list_versions(store) == [served] and pointer.current() == served

    monkeypatch.setenv("MUSICREC_RETRAIN_SKIP_WITHOUT_DRIFT", "false")  # switched off: it retrains all the same
    forced = schedule.entry.enqueue(redis_client)
    run_burst()
    assert forced.return_value()["enqueued"] and "MUSICREC_RETRAIN_SKIP_WITHOUT_DRIFT is off" in forced.return_value()["reason"]
    assert len(list_versions(store)) == 2
    monkeypatch.delenv("MUSICREC_RETRAIN_SKIP_WITHOUT_DRIFT")

    faster = publish_generated_dataset(store, table=shifted(table, "tempo", 30.0))
    drifted = schedule.entry.enqueue(redis_client)
    run_burst()
    result = drifted.return_value()
    assert result["enqueued"] and result["dataset_id"] == faster and result["drift"]["drifted"] == ["tempo"]
    assert result["reason"].startswith("PSI above 0.2 between dataset") and ": tempo " in result["reason"]
    assert len(list_versions(store)) == 3
    assert load_bundle(store, pointer.current()).model.lineage["dataset_id"] == faster
