"""The quality gate: a worse model is published but not served, unless forced."""

from __future__ import annotations

import pytest
import redis

from services.trainer.gate import decide
from services.trainer.pipeline import served_model
from shared.bundle import list_versions, load_bundle
from shared.jobs import TrainingParameters, enqueue_training
from shared.pointer import ModelPointer
from shared.storage import ObjectStore
from tests.trainer.generated_dataset import publish_generated_dataset
from tools.synthetic_model import publish_model


def train(redis_client: redis.Redis, run_burst, **params) -> dict:
    job, _ = enqueue_training(redis_client, TrainingParameters(**params))
    run_burst()
    result = job.return_value()
    assert result is not None, job.latest_result().exc_string
    return result


def test_the_gate_refuses_a_worse_model_until_forced(
    store: ObjectStore, redis_client: redis.Redis, pointer: ModelPointer, run_burst, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MUSICREC_GATE_SILHOUETTE_FLOOR", "0.0")  # only the comparison can refuse here
    structured = publish_generated_dataset(store, rows=1_500, seed=4)
    noise = publish_generated_dataset(store, rows=1_500, seed=5, structure="noise")
    good = train(redis_client, run_burst, dataset_id=structured)
    assert good["activated"] and pointer.current() == good["version"]

    worse = train(redis_client, run_burst, dataset_id=noise)
    assert worse["published"] and not worse["activated"]
    assert f"worse than the served model {good['version']}" in worse["reason"]
    assert worse["metrics"]["silhouette"] < good["metrics"]["silhouette"] - 0.05
    assert pointer.current() == good["version"] and len(pointer.history()) == 1
    load_bundle(store, worse["version"])  # published all the same, and verifiable
    assert list_versions(store) == [good["version"], worse["version"]]

    forced = train(redis_client, run_burst, dataset_id=noise, force=True)
    assert forced["activated"] and forced["reason"].startswith("forced")
    assert pointer.current() == forced["version"]
    assert pointer.history()[0]["reason"] == forced["reason"]


def test_the_gate_compares_only_silhouettes_measured_on_held_out_rows(
    store: ObjectStore, redis_client: redis.Redis, pointer: ModelPointer, run_burst
) -> None:
    older = publish_model(store, 500, k=3)  # a bundle whose silhouette (if any) was not measured on held-out rows
    pointer.move(older, actor="test", reason="served before")
    assert served_model(store, pointer) == {"version": older, "silhouette": None, "why": "has no held-out silhouette to compare with"}
    result = train(redis_client, run_burst, dataset_id=publish_generated_dataset(store, rows=800, seed=7))
    assert result["activated"] and f"the served model {older} has no held-out silhouette to compare with" in result["reason"]
    assert served_model(store, pointer) == {"version": result["version"], "silhouette": result["metrics"]["silhouette"]}


def test_a_model_below_the_floor_is_not_served(
    store: ObjectStore, redis_client: redis.Redis, pointer: ModelPointer, run_burst, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MUSICREC_GATE_SILHOUETTE_FLOOR", "0.95")
    result = train(redis_client, run_burst, dataset_id=publish_generated_dataset(store, rows=800, seed=6))
    assert not result["activated"]
    assert result["reason"] == f"refused: silhouette {result['metrics']['silhouette']:.4f} is below the floor 0.9500"
    assert pointer.current() is None


@pytest.mark.parametrize(
    ("silhouette", "current", "force", "activate", "says"),
    [
        (0.30, None, False, True, "no model was served"),
        (0.05, None, False, False, "below the floor 0.1000"),
        (0.05, None, True, True, "forced by the caller"),
        (None, None, False, False, "undefined"),
        (0.30, {"version": "v1", "silhouette": 0.34}, False, True, "within 0.0500 of the served model v1"),
        (0.30, {"version": "v1", "silhouette": 0.36}, False, False, "worse than the served model v1 (0.3600)"),
        (0.30, {"version": "v1", "silhouette": None}, False, True, "has no silhouette to compare with"),
        (0.30, {"version": "v1", "silhouette": None, "why": "has no held-out silhouette to compare with"}, False, True,
         "the served model v1 has no held-out silhouette to compare with"),
    ],
)
def test_gate_decisions(silhouette, current, force, activate, says) -> None:
    decision = decide(silhouette, current, floor=0.10, max_regression=0.05, force=force)
    assert decision.activate is activate
    assert says in decision.reason


def test_a_job_that_finds_the_pointer_moved_is_superseded_and_leaves_it(
    store: ObjectStore, redis_client: redis.Redis, pointer: ModelPointer
) -> None:
    """Another job activates a model while this one fits: this one publishes, is recorded as
    superseded by that version, and does not move the pointer back to its own older start."""
    from services.trainer.pipeline import run_training
    from services.trainer.settings import TrainerSettings
    from shared.stages import StageEvent

    dataset_id = publish_generated_dataset(store, rows=800, seed=8)
    other = publish_model(store, 500, k=3)

    def another_job_finishes(event: StageEvent) -> None:
        if event.stage == "evaluating" and not event.done:
            pointer.move(other, actor="trainer", reason="the other job")

    result = run_training(TrainerSettings(), store, pointer, TrainingParameters(dataset_id=dataset_id), listener=another_job_finishes)
    assert result["published"] and not result["activated"]
    assert result["superseded"] and result["superseded_by"] == other
    assert result["reason"].startswith(f"superseded: the pointer moved from None to {other}")
    assert pointer.current() == other and [h["version"] for h in pointer.history()] == [other]
    assert [(s["version"], s["superseded_by"]) for s in pointer.superseded()] == [(result["version"], other)]
    assert result["version"] in list_versions(store)  # not lost: published, activatable by an operator
    load_bundle(store, result["version"])
