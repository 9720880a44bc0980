"""Clusters, models, datasets, health, readiness, metrics and the OpenAPI docs."""

from __future__ import annotations

from fastapi.testclient import TestClient

from shared.bundle import load_bundle
from shared.datasets import dataset_prefix
from shared.manifest import write_manifest
from shared.pointer import ModelPointer
from shared.storage import ObjectStore
from services.api.app import create_app
from tools.synthetic_model import publish_model

MODEL_FIELDS = {"version", "created_at", "features", "k", "metrics", "lineage", "clusters"}


def test_clusters_come_from_the_serving_model(client: TestClient, store: ObjectStore, version: str) -> None:
    body = client.get("/v1/clusters").json()
    document = load_bundle(store, version).model
    assert body["model_version"] == version
    assert [c["id"] for c in body["clusters"]] == list(range(document.k))
    for shown, stored in zip(body["clusters"], sorted(document.clusters, key=lambda c: c.id)):
        assert {name: shown[name] for name in ("id", "label", "size", "centroid")} == {
            "id": stored.id, "label": stored.label, "size": stored.size, "centroid": stored.centroid}  # fmt: skip
        assert 30 <= shown["centroid"]["tempo"] <= 250  # original units, not scaled
    assert sum(c["size"] for c in body["clusters"]) == 2000


def test_models_lists_every_published_version_and_the_current_one(
    client: TestClient, store: ObjectStore, pointer: ModelPointer, version: str
) -> None:
    newer = publish_model(store, 300, k=3, seed=9)
    assert pointer.move_if(newer, expected=None, actor="trainer", reason="gate passed") is None  # it started before `version`
    store.put_bytes("models/20990101T000000000000Z-unpubl/model.json", b"{}")  # no manifest: not a model
    body = client.get("/v1/models").json()
    assert [m["version"] for m in body["models"]] == [version, newer]
    assert body["current"] == version and body["serving"] == version
    assert [(h["version"], h["previous"], h["actor"], h["reason"]) for h in body["history"]] == [(version, None, "test", "first model")]
    assert [(s["version"], s["pointer_at_start"], s["superseded_by"], s["reason"]) for s in body["superseded"]] == [
        (newer, None, version, "gate passed")]
    assert set(body["models"][0]) == MODEL_FIELDS and body["models"][1]["k"] == 3
    current = client.get("/v1/models/current").json()
    assert set(current) == MODEL_FIELDS | {"loaded_at"} and current["version"] == version
    assert current["lineage"] == {"dataset_id": "generated-1", "rows": 2000}


def test_a_model_with_a_broken_document_is_listed_with_its_error(client: TestClient, store: ObjectStore, version: str) -> None:
    broken = publish_model(store, 300, k=3, seed=2)
    store.put_bytes(f"models/{broken}/model.json", b'{"version": "tampered"}')
    listed = {m["version"]: m for m in client.get("/v1/models").json()["models"]}
    assert listed[broken]["error"]["code"] == "bundle_integrity_error" and "manifest says" in listed[broken]["error"]["message"]
    assert listed[version]["k"] == 6


def test_datasets_lists_complete_ones_newest_last(client: TestClient, store: ObjectStore) -> None:
    for dataset_id, kept in (("d-older", 90), ("d-newer", 40)):
        write_manifest(
            store, dataset_prefix(dataset_id), {}, kind="dataset", dataset_id=dataset_id, rows_read=100, rows_kept=kept,
            rows_rejected=100 - kept, rejected_by_reason={"out_of_range:tempo": 100 - kept}, duplicates=0,
            source={"name": "catalog.csv", "sha256": "ab" * 32, "bytes": 1234, "uri": "file:///catalog.csv"},
        )  # fmt: skip
    store.put_bytes("datasets/d-unfinished/part-0.parquet", b"PAR1")
    datasets = client.get("/v1/datasets").json()["datasets"]
    assert [d["dataset_id"] for d in datasets] == ["d-older", "d-newer"]
    assert datasets[0]["rows_kept"] == 90 and datasets[0]["rows_rejected"] == 10 and datasets[0]["created_at"]
    assert datasets[1]["source"]["name"] == "catalog.csv" and datasets[1]["rejected_by_reason"] == {"out_of_range:tempo": 60}


def test_health_readiness_and_metrics(client: TestClient, version: str) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["ready"] and body["model_version"] == version and body["pointer"] == version and body["loaded_at"]
    assert body["redis"] == {"reachable": True} and body["object_store"] == {"reachable": True}
    assert body["last_reload_error"] is None
    client.post("/v1/recommendations", json={"features": {"tempo": 500}})
    metrics = client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert f'musicrec_model_info{{version="{version}"}} 1.0' in text
    assert 'musicrec_http_requests_total{method="POST",route="/v1/recommendations",status="422"} 1.0' in text
    assert 'musicrec_http_requests_total{method="GET",route="/readyz",status="200"} 1.0' in text
    assert 'musicrec_http_request_duration_seconds_bucket{le="0.05",method="GET",route="/healthz"}' in text
    assert "musicrec_model_reloads_total 1.0" in text and "musicrec_model_reload_failing 0.0" in text
    assert "musicrec_model_catalog_tracks 2000.0" in text


def test_openapi_documents_every_route_with_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {
        "/v1/recommendations", "/v1/tracks/{track_id}/recommendations", "/v1/clusters", "/v1/models",
        "/v1/models/current", "/v1/models/{version}", "/v1/models/{version}/activate", "/v1/datasets",
        "/v1/datasets/{dataset_id}/drift", "/v1/training-jobs",
        "/v1/training-jobs/{job_id}", "/healthz", "/readyz", "/metrics",
    } <= set(spec["paths"])  # fmt: skip
    request = spec["components"]["schemas"]["RecommendationRequest"]
    assert request["examples"][0]["features"]["tempo"] == 122.0
    tempo = spec["components"]["schemas"]["FeatureValues"]["properties"]["tempo"]
    assert (tempo["minimum"], tempo["maximum"]) == (30.0, 250.0)
    assert client.get("/docs").status_code == 200


def test_read_routes_say_when_no_model_is_published(store: ObjectStore, pointer: ModelPointer, settings) -> None:
    with TestClient(create_app(settings.model_copy(update={"startup_wait_seconds": 5}))) as client:
        for response in (
            client.post("/v1/recommendations", json={"features": {"tempo": 120}}),
            client.get("/v1/clusters"),
            client.get("/v1/models/current"),
            client.get("/v1/tracks/t1/recommendations"),
        ):
            assert response.status_code == 503, response.text
            error = response.json()["error"]
            assert error["code"] == "model_not_loaded" and "no model is published yet" in error["message"]
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["error"]["code"] == "not_ready" and ready.json()["error"]["details"]["model_version"] is None
        assert client.get("/healthz").status_code == 200
        assert client.get("/v1/models").json() == {"models": [], "current": None, "serving": None, "history": [], "superseded": []}
