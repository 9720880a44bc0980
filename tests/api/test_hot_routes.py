"""The middleware's fast path answers exactly as the FastAPI routes it stands in for."""

from __future__ import annotations

from typing import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.api.app import create_app
from tests.api.test_recommendations import QUERY


def routed_by_fastapi(app: FastAPI) -> FastAPI:
    """The same app with the fast path's table emptied: every request goes through FastAPI."""
    app.request_context["hot_routes"] = {}
    return app


@pytest.fixture
def clients(settings, version: str) -> Iterator[tuple[TestClient, TestClient]]:
    with TestClient(create_app(settings)) as fast, TestClient(routed_by_fastapi(create_app(settings))) as routed:
        yield fast, routed


REQUESTS = [
    ("GET", "/healthz", None),
    ("POST", "/v1/recommendations", {"features": QUERY, "limit": 12, "exclude_track_ids": ["t0000001"]}),
    ("POST", "/v1/recommendations", {"features": QUERY | {"tempo": 0, "mood": 1}, "limit": "abc"}),
    ("POST", "/v1/recommendations", {"features": {"energy": 0.5}}),
    ("POST", "/v1/recommendations", '{"features": {"energy": 0.5,'),
    ("POST", "/v1/recommendations", ""),
    ("POST", "/v1/recommendations", "x" * 70_000),
]


@pytest.mark.parametrize(("method", "path", "body"), REQUESTS)
def test_the_fast_path_answers_like_the_route(clients: tuple[TestClient, TestClient], method: str, path: str, body) -> None:
    fast, routed = clients
    answers = []
    for client in (fast, routed):
        sent = {"json": body} if isinstance(body, dict) else {"content": body, "headers": {"content-type": "application/json"}}
        response = client.request(method, path, **(sent if body is not None else {}))
        assert response.headers["x-request-id"]
        answers.append((response.status_code, response.headers["content-type"], response.json()))
    assert answers[0] == answers[1]


def test_fast_answers_are_counted_under_their_route(clients: tuple[TestClient, TestClient]) -> None:
    fast, _ = clients
    fast.post("/v1/recommendations", json={"features": QUERY})
    fast.get("/healthz")
    text = fast.get("/metrics").text
    assert 'musicrec_http_requests_total{method="POST",route="/v1/recommendations",status="200"} 1.0' in text
    assert 'musicrec_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in text


def test_searches_on_threads_answer_like_searches_on_the_event_loop(settings, version: str) -> None:
    body = {"features": QUERY, "limit": 20}
    answers = []
    for threads in (0, 2):
        with TestClient(create_app(settings.model_copy(update={"search_threads": threads}))) as client:
            answers.append(client.post("/v1/recommendations", json=body).json())
            answers.append(client.get("/v1/tracks/t0000007/recommendations", params={"limit": 9}).json())
    assert answers[:2] == answers[2:] and len(answers[0]["tracks"]) == 20 and len(answers[1]["tracks"]) == 9
