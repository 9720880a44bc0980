"""Operator routes: bearer auth, training jobs through RQ, and model activation."""

from __future__ import annotations

import pytest
import redis
from fastapi.testclient import TestClient
from pydantic import ValidationError
from rq import Queue, SimpleWorker, get_current_job

from shared.datasets import dataset_prefix
from shared.errors import TrainingError
from shared.jobs import TRAIN_JOB
from shared.manifest import write_manifest
from shared.pointer import ModelPointer
from shared.storage import ObjectStore
from services.api.app import create_app
from services.api.settings import ApiSettings
from tests.api.conftest import AUTH, wait_until
from tools.synthetic_model import publish_model

OPERATOR_ROUTES = [
    ("post", "/v1/training-jobs"),
    ("get", "/v1/training-jobs/train-abc"),
    ("post", "/v1/models/20260101T000000000000Z-abcdef/activate"),
]


def finished_training(**params: object) -> dict:
    """A tiny real job standing where the trainer's would: moves through stages, returns its result."""
    job = get_current_job()
    job.meta["stage"] = "done"
    job.save_meta()
    return {"version": "v-new", "dataset_id": params.get("dataset_id"), "published": True, "activated": False,
            "reason": "quality gate: silhouette below the current model's", "metrics": {"silhouette": 0.31}}  # fmt: skip


def failing_training(**params: object) -> dict:
    raise TrainingError(f"dataset {params.get('dataset_id')} has 3 rows, fewer than k=4")


def publish_dataset(store: ObjectStore, dataset_id: str) -> None:
    write_manifest(store, dataset_prefix(dataset_id), {}, kind="dataset", dataset_id=dataset_id, rows_kept=10, rows_rejected=0)


@pytest.mark.parametrize(("method", "path"), OPERATOR_ROUTES)
def test_operator_routes_need_the_bearer_token(client: TestClient, method: str, path: str) -> None:
    missing = getattr(client, method)(path)
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "unauthorized"
    assert missing.headers["www-authenticate"] == "Bearer"
    assert getattr(client, method)(path, headers={"Authorization": "Basic dXNlcjpwYXNz"}).status_code == 401
    wrong = getattr(client, method)(path, headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "forbidden"
    assert getattr(client, method)(path, headers={"Authorization": AUTH["Authorization"] + "x"}).status_code == 403


def test_operator_routes_are_refused_when_no_token_is_configured(settings: ApiSettings, version: str) -> None:
    with TestClient(create_app(settings.model_copy(update={"operator_token": None}))) as client:
        for method, path in OPERATOR_ROUTES:
            for headers in ({}, AUTH, {"Authorization": "Bearer "}):
                response = getattr(client, method)(path, headers=headers)
                assert response.status_code == 403, (path, headers)
                assert response.json()["error"]["code"] == "operator_routes_disabled"
        assert client.get("/v1/clusters").status_code == 200  # read routes stay public


def test_a_placeholder_operator_token_is_refused_in_production(env: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUSICREC_S3_SECRET_KEY", "a-real-secret-for-production")
    with pytest.raises(ValidationError, match="MUSICREC_OPERATOR_TOKEN holds a placeholder"):
        ApiSettings(env="production", operator_token="demo-operator-token")
    assert ApiSettings(env="production", operator_token="k7Qm2-real-token").operator_token is not None
    assert ApiSettings(env="development", operator_token="demo-operator-token").operator_token is not None


def test_start_training_enqueues_the_trainer_job_for_the_newest_dataset(
    client: TestClient, store: ObjectStore, redis_client: redis.Redis
) -> None:
    publish_dataset(store, "d-first")
    publish_dataset(store, "d-second")
    response = client.post("/v1/training-jobs", json={"k": 8, "features": ["energy", "tempo"]}, headers=AUTH)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["url"] == f"/v1/training-jobs/{body['job_id']}" == response.headers["location"]
    assert body["created"] is True and body["dataset_id"] == "d-second"
    [job] = Queue("training", connection=redis_client).jobs
    assert job.id == body["job_id"] and job.func_name == TRAIN_JOB
    assert job.kwargs == {"dataset_id": "d-second", "k": 8, "features": ["energy", "tempo"], "seed": 0, "force": False}
    assert job.meta["actor"] == "operator"
    again = client.post("/v1/training-jobs", json={"features": ["energy", "tempo"], "k": 8}, headers=AUTH).json()
    assert again["job_id"] == body["job_id"] and again["created"] is False
    other = client.post("/v1/training-jobs", json={"dataset_id": "d-first", "force": True}, headers=AUTH)
    assert other.status_code == 202 and other.json()["created"] is True
    status = client.get(body["url"], headers=AUTH).json()
    assert status["status"] == "queued" and status["stage"] == "queued" and status["enqueued_at"].endswith("Z")
    assert status["result"] is None and status["error"] is None


def test_start_training_refuses_what_cannot_be_trained(client: TestClient, store: ObjectStore) -> None:
    nothing = client.post("/v1/training-jobs", headers=AUTH)
    assert nothing.status_code == 404 and "no complete dataset" in nothing.json()["error"]["message"]
    unknown = client.post("/v1/training-jobs", json={"dataset_id": "d-missing"}, headers=AUTH)
    assert unknown.status_code == 404 and "d-missing" in unknown.json()["error"]["message"]
    publish_dataset(store, "d1")
    bad_feature = client.post("/v1/training-jobs", json={"features": ["energy", "mood"]}, headers=AUTH)
    assert bad_feature.status_code == 422 and "mood" in bad_feature.json()["error"]["message"]
    bad_k = client.post("/v1/training-jobs", json={"k": 1}, headers=AUTH)
    assert bad_k.status_code == 422 and "2 to 200" in bad_k.json()["error"]["message"]
    bad_id = client.post("/v1/training-jobs", json={"dataset_id": "../etc"}, headers=AUTH)
    assert bad_id.status_code == 422 and bad_id.json()["error"]["details"]["errors"][0]["field"] == "dataset_id"


def test_a_job_status_shows_result_or_error_as_rq_reports_it(client: TestClient, redis_client: redis.Redis) -> None:
    queue = Queue("training", connection=redis_client)
    done = queue.enqueue(f"{__name__}.finished_training", kwargs={"dataset_id": "d1"}, meta={"stage": "queued"})
    failed = queue.enqueue(f"{__name__}.failing_training", kwargs={"dataset_id": "d2"}, meta={"stage": "queued"})
    SimpleWorker([queue], connection=redis_client).work(burst=True)

    finished = client.get(f"/v1/training-jobs/{done.id}", headers=AUTH).json()
    assert finished["status"] == "finished" and finished["stage"] == "done"
    assert finished["result"]["published"] is True and finished["result"]["dataset_id"] == "d1"
    assert finished["started_at"] <= finished["ended_at"] and finished["error"] is None

    broken = client.get(f"/v1/training-jobs/{failed.id}", headers=AUTH).json()
    assert broken["status"] == "failed" and broken["result"] is None
    assert broken["error"] == "shared.errors.TrainingError: dataset d2 has 3 rows, fewer than k=4"


def test_an_unknown_or_malformed_job_id(client: TestClient) -> None:
    unknown = client.get("/v1/training-jobs/train-0000", headers=AUTH)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "job_not_found"
    malformed = client.get("/v1/training-jobs/bad id!", headers=AUTH)
    assert malformed.status_code == 422 and malformed.json()["error"]["details"]["errors"][0]["field"] == "job_id"


def test_activation_verifies_moves_the_pointer_with_a_reason_and_the_api_follows(
    client: TestClient, store: ObjectStore, pointer: ModelPointer, version: str
) -> None:
    newer = publish_model(store, 500, k=4, seed=5)
    response = client.post(f"/v1/models/{newer}/activate", json={"reason": "promote after review"}, headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.json()["version"] == newer and response.json()["previous"] == version
    assert pointer.current() == newer
    latest = pointer.history(1)[0]
    assert (latest["version"], latest["actor"], latest["reason"]) == (newer, "operator", "promote after review")
    wait_until(lambda: client.get("/v1/models/current").json()["version"] == newer, what="the API serving the newer model")
    back = client.post(f"/v1/models/{version}/activate", headers=AUTH)  # roll back, default reason
    assert back.status_code == 200 and pointer.history(1)[0]["reason"] == "activated by an operator"


def test_activation_refuses_unknown_corrupted_and_malformed_versions(
    client: TestClient, store: ObjectStore, pointer: ModelPointer, version: str
) -> None:
    unknown = client.post("/v1/models/20990101T000000000000Z-abcdef/activate", headers=AUTH)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "model_not_found"
    corrupted = publish_model(store, 300, k=3, seed=6)
    data = bytearray(store.get_bytes(f"models/{corrupted}/catalog.parquet"))
    data[len(data) // 2] ^= 0xFF
    store.put_bytes(f"models/{corrupted}/catalog.parquet", bytes(data))
    refused = client.post(f"/v1/models/{corrupted}/activate", headers=AUTH)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "bundle_integrity_error"
    assert "catalog.parquet" in refused.json()["error"]["message"]
    malformed = client.post("/v1/models/..%2Fsecrets/activate", headers=AUTH)
    assert malformed.status_code in (404, 422)
    assert client.post("/v1/models/bad version/activate", headers=AUTH).status_code == 422
    assert pointer.current() == version and len(pointer.history()) == 1
