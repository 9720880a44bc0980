"""Every bad request gets the one error shape, a precise message and a request id."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient

from services.api import recommend
from services.api.app import create_app
from tests.api.conftest import AUTH
from tests.api.test_recommendations import QUERY


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-request-id"]
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert "Traceback" not in response.text
    return body["error"]


def post(client: TestClient, body: object) -> object:
    return client.post("/v1/recommendations", json=body)


def test_a_missing_feature_is_named(client: TestClient) -> None:
    features = {k: v for k, v in QUERY.items() if k != "tempo"}
    error = error_of(post(client, {"features": features}), 422, "invalid_input")
    assert error["details"]["missing"] == ["tempo"] and "tempo" in error["message"]


def test_an_unknown_feature_or_field_is_refused(client: TestClient) -> None:
    error = error_of(post(client, {"features": QUERY | {"mood": 0.3}}), 422, "invalid_input")
    assert error["details"]["errors"][0]["field"] == "features.mood" and "unknown feature 'mood'" in error["message"]
    error = error_of(post(client, {"features": QUERY, "colour": "red"}), 422, "invalid_input")
    assert error["details"]["errors"][0]["field"] == "colour"


@pytest.mark.parametrize(
    ("feature", "value", "allowed"),
    [("tempo", 251, "30 to 250 BPM"), ("tempo", 0, "30 to 250 BPM"), ("loudness", -61, "-60 to 5 dB"), ("energy", 1.01, "0 to 1")],
)
def test_an_out_of_range_feature_names_field_and_range(client: TestClient, feature: str, value: float, allowed: str) -> None:
    error = error_of(post(client, {"features": QUERY | {feature: value}}), 422, "invalid_input")
    [detail] = error["details"]["errors"]
    assert detail["field"] == f"features.{feature}" and detail["allowed"] == allowed
    assert f"features.{feature}" in error["message"] and allowed in error["message"]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_nan_and_infinity_are_refused(client: TestClient, literal: str) -> None:
    raw = json.dumps({"features": QUERY}).replace("0.62", literal)  # danceability
    response = client.post("/v1/recommendations", content=raw, headers={"content-type": "application/json"})
    error = error_of(response, 422, "invalid_input")
    assert error["details"]["errors"][0]["field"] == "features.danceability"


@pytest.mark.parametrize("value", ["0.5", None, True, [0.5], {"v": 0.5}])
def test_a_feature_that_is_not_a_number_is_refused(client: TestClient, value: object) -> None:
    error = error_of(post(client, {"features": QUERY | {"energy": value}}), 422, "invalid_input")
    assert error["details"]["errors"][0]["field"] == "features.energy"
    assert error["details"]["errors"][0]["allowed"] == "0 to 1"


@pytest.mark.parametrize("limit", [0, 101, "abc", "5", 2.5, None])
def test_a_bad_limit_names_the_range(client: TestClient, limit: object) -> None:
    error = error_of(post(client, {"features": QUERY, "limit": limit}), 422, "invalid_input")
    assert error["details"]["errors"][0]["field"] == "limit" and "1 to 100" in error["message"]


@pytest.mark.parametrize("limit", ["0", "101", "abc"])
def test_a_bad_limit_on_a_get_route_names_the_range(client: TestClient, limit: str) -> None:
    for path, params in (("/v1/tracks/t0000001/recommendations", {}), ("/v1/recommendations", {"seed_tracks": "t0000001"})):
        error = error_of(client.get(path, params=params | {"limit": limit}), 422, "invalid_input")
        assert error["details"]["errors"][0]["field"] == "limit" and "1 to 100" in error["message"]


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({}, "query", "at least one seed is required"),
        ({"seed_tracks": "t0000001,t0000002,t0000003", "seed_genres": "pop,rock,jazz"}, "query", "at most 5 seeds"),
        ({"seed_tracks": ",".join(f"t{i:07d}" for i in range(6))}, "seed_tracks", "at most 5 items"),
        ({"seed_tracks": "t0000001", "min_tempo": 150, "max_tempo": 100}, "query", "min_tempo=150 is above max_tempo=100"),
        ({"seed_tracks": "t0000001", "target_energy": 1.5}, "target_energy", "less than or equal to 1"),
        ({"seed_tracks": "t0000001", "target_popularity": -1}, "target_popularity", "greater than or equal to 0"),
        ({"seed_tracks": "t0000001", "target_foo": 1}, "target_foo", "unknown field 'target_foo'"),
        ({"seed_tracks": "t0000001", "min_bogus": 1}, "min_bogus", "unknown field 'min_bogus'"),
        ({"seed_tracks": "t0000001", "max_per_artist": 0}, "max_per_artist", "greater than or equal to 1"),
    ],
)
def test_bad_seeds_targets_and_ranges_are_422_naming_the_field(client: TestClient, params: dict, field: str, words: str) -> None:
    for response in (client.get("/v1/recommendations", params=params), post(client, as_body(params))):
        error = error_of(response, 422, "invalid_input")
        fields = [e["field"] for e in error["details"]["errors"]]
        assert field in fields or (field == "query" and fields == ["body"]), fields
        assert words in error["message"], error["message"]


def as_body(params: dict) -> dict:
    body = dict(params)
    for seeds in ("seed_tracks", "seed_genres"):
        if seeds in body:
            body[seeds] = body[seeds].split(",")
    return body


def test_unknown_seeds_are_422_naming_each(client: TestClient) -> None:
    response = client.get("/v1/recommendations", params={"seed_tracks": "t0000001,nope1", "seed_artists": "nope2", "seed_genres": "polka"})
    error = error_of(response, 422, "invalid_input")
    assert error["details"]["unknown"] == [{"type": "track", "id": "nope1"}, {"type": "artist", "id": "nope2"}, {"type": "genre", "id": "polka"}]
    assert "nope1" in error["message"] and "nope2" in error["message"] and "polka" in error["message"]


@pytest.mark.parametrize("q", ["", "   ", "x" * 201])
def test_an_empty_or_too_long_search_is_422(client: TestClient, q: str) -> None:
    error = error_of(client.get("/v1/search", params={"q": q}), 422, "invalid_input")
    assert error["details"]["errors"][0]["field"] == "q"
    error = error_of(client.get("/v1/search", params={"q": "song", "type": "album"}), 422, "invalid_input")
    assert error["details"]["errors"][0]["field"] == "type.0" and "track|artist" in error["message"]


def test_too_many_ids_are_422(client: TestClient) -> None:
    ids = ",".join(f"t{i:07d}" for i in range(101))
    for path in ("/v1/tracks", "/v1/audio-features"):
        assert "1 to 100 ids" in error_of(client.get(path, params={"ids": ids}), 422, "invalid_input")["message"]


@pytest.mark.parametrize("raw", ['{"features": {"tempo": 120,}', "not json", '{"features": '])
def test_malformed_json_is_400_saying_where(client: TestClient, raw: str) -> None:
    response = client.post("/v1/recommendations", content=raw, headers={"content-type": "application/json"})
    error = error_of(response, 400, "malformed_json")
    assert "not valid JSON" in error["message"] and "line 1 column" in error["details"]["reason"]
    other_route = client.post("/v1/training-jobs", content=raw, headers={"content-type": "application/json", **AUTH})
    assert isinstance(error_of(other_route, 400, "malformed_json")["details"]["position"], int)


def test_a_missing_or_non_object_body_is_422(client: TestClient) -> None:
    error_of(client.post("/v1/recommendations"), 422, "invalid_input")
    error_of(post(client, [1, 2]), 422, "invalid_input")
    error_of(post(client, {"features": [0.5]}), 422, "invalid_input")


def test_a_huge_body_is_refused_with_413(client: TestClient) -> None:
    huge = {"features": QUERY, "exclude_track_ids": ["x" * 100] * 1000}
    error = error_of(post(client, huge), 413, "payload_too_large")
    assert "limit of 65536 bytes" in error["message"]

    def chunks():  # no content-length: the limit is enforced while reading
        yield b'{"features": {}, "exclude_track_ids": ["'
        for _ in range(100):
            yield b"y" * 1024
        yield b'"]}'

    response = client.post("/v1/recommendations", content=chunks(), headers={"content-type": "application/json"})
    error_of(response, 413, "payload_too_large")


def test_unknown_routes_and_methods_use_the_error_shape(client: TestClient) -> None:
    assert "GET /v2/nothing" in error_of(client.get("/v2/nothing"), 404, "not_found")["message"]
    error_of(client.delete("/v1/recommendations"), 405, "method_not_allowed")


def test_request_ids_are_returned_and_logged(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="services.api.access"):
        mine = client.post("/v1/recommendations", json={"features": QUERY}, headers={"X-Request-ID": "client-chosen-42"})
        fresh = client.get("/healthz")
        bad = client.get("/healthz", headers={"X-Request-ID": "has spaces and\ttabs"})
    assert mine.headers["x-request-id"] == "client-chosen-42"
    assert len(fresh.headers["x-request-id"]) == 32 and bad.headers["x-request-id"] != "has spaces and\ttabs"
    logged = {getattr(r, "request_id", None): r for r in caplog.records}
    for response in (mine, fresh, bad):
        record = logged[response.headers["x-request-id"]]
        assert record.status == response.status_code and record.path in ("/v1/recommendations", "/healthz")


@pytest.mark.parametrize("route", ["post", "get"])
def test_an_unexpected_error_is_a_500_without_a_trace(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, route: str
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(recommend, "recommend", broken)  # failure injection
    with caplog.at_level(logging.ERROR):
        response = post(client, {"features": QUERY}) if route == "post" else client.get("/v1/tracks/t0000001/recommendations")
    error = error_of(response, 500, "internal_error")
    request_id = response.headers["x-request-id"]
    assert request_id in error["message"] and "secret" not in response.text
    assert any(getattr(r, "request_id", None) == request_id and r.exc_info for r in caplog.records)


def test_the_access_log_can_be_turned_off(settings, version: str, caplog: pytest.LogCaptureFixture) -> None:
    with TestClient(create_app(settings.model_copy(update={"access_log": False}))) as quiet:
        with caplog.at_level(logging.INFO, logger="services.api.access"):
            response = quiet.get("/healthz")
    assert response.headers["x-request-id"]
    assert not [r for r in caplog.records if r.name == "services.api.access"]


@pytest.mark.parametrize("track_id", ["%0D", "%20", "a,b"])
def test_a_blank_or_listed_id_in_a_spotify_path_is_422_naming_it(client: TestClient, track_id: str) -> None:
    for path in (f"/spotify/v1/tracks/{track_id}", f"/spotify/v1/audio-features/{track_id}"):
        error = error_of(client.get(path), 422, "invalid_input")
        assert error["details"]["errors"][0]["field"] == "track_id", (path, error)
