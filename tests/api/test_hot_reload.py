"""Hot reload: new pointer -> new model without a restart; a bad bundle is never served."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from fastapi.testclient import TestClient

from shared.bundle import write_bundle
from shared.pointer import KEYS, ModelPointer, connect
from shared.storage import ObjectStore
from services.api.app import create_app
from services.api.settings import ApiSettings
from tests.api.conftest import wait_until
from tests.api.test_recommendations import QUERY
from tests.conftest import Services
from tools import stack
from tools.synthetic_model import build_model, generate_tracks, publish_model


def wait_for(condition, what: str, *args, timeout: float = 15.0):
    return wait_until(lambda: condition(*args), timeout, what)


def serving(client: TestClient) -> str | None:
    response = client.post("/v1/recommendations", json={"features": QUERY})
    assert response.status_code in (200, 503), response.text
    return response.json().get("model_version")


def reload_error(client: TestClient) -> dict | None:
    body = client.get("/readyz").json()
    return (body["error"]["details"] if "error" in body else body)["last_reload_error"]


def corrupt(store: ObjectStore, version: str, name: str = "catalog.parquet") -> None:
    data = bytearray(store.get_bytes(f"models/{version}/{name}"))
    data[len(data) // 2] ^= 0xFF
    store.put_bytes(f"models/{version}/{name}", bytes(data))


def test_a_pointer_move_is_followed_through_pub_sub_without_restart(
    settings: ApiSettings, store: ObjectStore, pointer: ModelPointer, version: str
) -> None:
    slow_poll = settings.model_copy(update={"reload_poll_seconds": 60.0})  # only the announcement can wake it
    with TestClient(create_app(slow_poll)) as client:
        assert serving(client) == version
        newer = publish_model(store, 600, k=4, seed=3, id_prefix="n")
        pointer.move(newer, actor="test", reason="newer model")
        wait_for(lambda: serving(client) == newer, "the announced model")
        assert all(t["track_id"].startswith("n") for t in client.post("/v1/recommendations", json={"features": QUERY}).json()["tracks"])
        assert "musicrec_model_reloads_total 2.0" in client.get("/metrics").text
        assert f'musicrec_model_info{{version="{version}"}}' not in client.get("/metrics").text


def test_a_lost_announcement_is_caught_by_the_pointer_poll(
    settings: ApiSettings, store: ObjectStore, redis_client, version: str
) -> None:
    with TestClient(create_app(settings)) as client:
        newer = publish_model(store, 400, k=3, seed=7)
        redis_client.set(KEYS.model_current, newer)  # moved without publishing
        wait_for(lambda: serving(client) == newer, "the polled model")


def test_a_corrupted_bundle_is_refused_shown_retried_with_backoff_and_the_old_model_serves(
    client: TestClient, store: ObjectStore, pointer: ModelPointer, version: str
) -> None:
    broken = publish_model(store, 400, k=3, seed=8)
    corrupt(store, broken)
    pointer.move(broken, actor="test", reason="corrupted on purpose")
    error = wait_for(lambda: (e := reload_error(client)) and e["attempts"] >= 3 and e, "three refused attempts")
    assert error["version"] == broken and error["code"] == "bundle_integrity_error"
    assert "catalog.parquet: sha256" in error["message"]
    assert 0.2 < error["retry_in_seconds"] <= 1.0  # 0.2s, doubling, capped at 1s in these settings
    assert serving(client) == version
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["model_version"] == version and ready.json()["pointer"] == broken
    metrics = client.get("/metrics").text
    assert 'musicrec_model_reload_failures_total{code="bundle_integrity_error"}' in metrics
    assert "musicrec_model_reload_failing 1.0" in metrics and f'musicrec_model_info{{version="{version}"}} 1.0' in metrics
    pointer.move(version, actor="test", reason="roll back")
    wait_for(lambda: reload_error(client) is None, "the failure cleared")
    assert "musicrec_model_reload_failing 0.0" in client.get("/metrics").text


def test_a_pointer_to_a_missing_version_keeps_the_old_model_until_it_is_published(
    client: TestClient, store: ObjectStore, pointer: ModelPointer, version: str
) -> None:
    model, catalog = build_model("20990101T000000000000Z-future", generate_tracks(300, seed=2, id_prefix="f"), k=3)
    pointer.move(model["version"], actor="test", reason="published later")
    error = wait_for(reload_error, "the refusal", client)
    assert error["code"] == "model_not_found" and model["version"] in error["message"]
    assert serving(client) == version
    write_bundle(store, model, catalog)
    wait_for(lambda: serving(client) == model["version"], "the model once published")
    assert reload_error(client) is None


def test_no_model_at_start_then_the_first_one_is_loaded_without_restart(
    settings: ApiSettings, store: ObjectStore, pointer: ModelPointer
) -> None:
    with TestClient(create_app(settings)) as client:
        assert client.get("/readyz").status_code == 503 and serving(client) is None
        first = publish_model(store, 300, k=3, seed=1)
        pointer.move(first, actor="test", reason="first")
        wait_for(lambda: client.get("/readyz").status_code == 200, "readiness")
        assert serving(client) == first


def test_start_on_a_pointer_to_a_missing_version_is_503_naming_it(settings: ApiSettings, store: ObjectStore, pointer: ModelPointer) -> None:
    pointer.move("20990101T000000000000Z-nowhere", actor="test", reason="typo")
    with TestClient(create_app(settings)) as client:
        response = client.post("/v1/recommendations", json={"features": QUERY})
        assert response.status_code == 503
        assert "20990101T000000000000Z-nowhere" in response.json()["error"]["message"]
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["error"]["details"]["last_reload_error"]["code"] == "model_not_found"


def test_a_bundle_whose_catalog_names_unknown_clusters_is_refused(
    client: TestClient, store: ObjectStore, pointer: ModelPointer, version: str
) -> None:
    model, catalog = build_model("20990101T000000000001Z-badclu", generate_tracks(300, seed=3), k=3)
    catalog = catalog.set_column(catalog.schema.get_field_index("cluster"), "cluster", [[7] * catalog.num_rows])
    write_bundle(store, model, catalog)  # passes sha256 checks: the content is what is wrong
    pointer.move(model["version"], actor="test", reason="bad clusters")
    error = wait_for(reload_error, "the refusal", client)
    assert error["code"] == "bundle_integrity_error" and "clusters outside 0..2" in error["message"]
    assert serving(client) == version


def test_recommendations_survive_a_redis_restart_and_the_watcher_reconnects(
    services: Services, store: ObjectStore, env: dict, tmp_path: Path
) -> None:
    port = stack.free_port()
    redis_server = stack.redis_process(tmp_path / "redis", port, tmp_path / "redis.log").start()
    try:
        url = f"redis://127.0.0.1:{port}/0"
        first = publish_model(store, 400, k=3, seed=1)
        ModelPointer(connect(url)).move(first, actor="test", reason="first")
        settings = ApiSettings(redis_url=url, operator_token="t" * 20, reload_poll_seconds=0.2)
        with TestClient(create_app(settings)) as client:
            assert serving(client) == first
            redis_server.stop()
            for _ in range(20):
                assert serving(client) == first
            wait_for(lambda: client.get("/readyz").json()["redis"] == {"reachable": False}, "Redis seen as away")
            assert client.get("/readyz").status_code == 200
            redis_server = stack.redis_process(tmp_path / "redis", port, tmp_path / "redis.log").start()
            assert ModelPointer(connect(url)).current() == first  # the pointer survived (AOF)
            second = publish_model(store, 400, k=3, seed=2)
            ModelPointer(connect(url)).move(second, actor="test", reason="after the restart")
            wait_for(lambda: serving(client) == second, "the model moved to after Redis came back")
            assert client.get("/readyz").json()["redis"] == {"reachable": True}
    finally:
        redis_server.stop()


def test_recommendations_survive_minio_going_away_and_a_reload_waits_for_it(
    services: Services, redis_client, env: dict, tmp_path: Path
) -> None:
    port, console = stack.free_port(), stack.free_port()
    user, password = "musicrec-private", "private-secret-123"

    def start_minio() -> stack.Process:
        return stack.minio_process(tmp_path / "minio", port, console, user, password, tmp_path / "minio.log").start()

    minio = start_minio()
    try:
        store = ObjectStore(f"http://127.0.0.1:{port}", user, password, "private", retries=0)
        store.ensure_bucket()
        first = publish_model(store, 300, k=3, seed=1)
        second = publish_model(store, 300, k=3, seed=2)
        pointer = ModelPointer(redis_client)
        pointer.move(first, actor="test", reason="first")
        settings = ApiSettings(s3_endpoint=store.endpoint, s3_access_key=user, s3_secret_key=password, s3_bucket="private",
                               operator_token="t" * 20, reload_poll_seconds=0.2, reload_retry_seconds=0.2,
                               reload_retry_max_seconds=0.5)  # fmt: skip
        with TestClient(create_app(settings)) as client:
            assert serving(client) == first
            minio.stop()
            pointer.move(second, actor="test", reason="while MinIO is away")
            error = wait_for(reload_error, "the refused reload", client)
            assert error["version"] == second and error["code"] == "storage_unavailable"
            assert serving(client) == first and client.get("/readyz").json()["object_store"] == {"reachable": False}
            minio = start_minio()
            wait_for(lambda: serving(client) == second, "the reload once MinIO is back", timeout=30)
    finally:
        minio.stop()
        shutil.rmtree(tmp_path / "minio", ignore_errors=True)



def test_an_overdue_retry_does_not_spin_while_redis_is_away(
    store: ObjectStore, env: dict, tmp_path: Path, monkeypatch
) -> None:
    port = stack.free_port()
    redis_server = stack.redis_process(tmp_path / "redis", port, tmp_path / "redis.log").start()
    reads = []
    original = ModelPointer.current
    monkeypatch.setattr(ModelPointer, "current", lambda self: reads.append(1) or original(self))  # counts reads only
    try:
        url = f"redis://127.0.0.1:{port}/0"
        ModelPointer(connect(url)).move("20990101T000000000000Z-absent", actor="test", reason="never published")
        settings = ApiSettings(redis_url=url, operator_token="t" * 20, reload_poll_seconds=0.2, reload_retry_seconds=0.1)
        with TestClient(create_app(settings)) as client:
            wait_for(reload_error, "the refusal", client)
            redis_server.stop()
            reads.clear()
            time.sleep(1.5)  # the retry falls due while the pointer cannot be read
            assert len(reads) <= 12  # one read per poll interval, not a busy loop
    finally:
        redis_server.stop()
