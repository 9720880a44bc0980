"""API fixtures: settings for this test's Redis db and bucket, published bundles, a client."""

from __future__ import annotations

import time
from typing import Callable, Iterator

import pytest
import redis
from fastapi.testclient import TestClient

from shared.pointer import ModelPointer
from shared.storage import ObjectStore
from services.api.app import create_app
from services.api.settings import ApiSettings
from tools.synthetic_model import publish_model

OPERATOR_TOKEN = "test-operator-token-0123456789"
AUTH = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}


def api_settings(env: dict[str, str], **overrides) -> ApiSettings:
    values = {
        "operator_token": OPERATOR_TOKEN,
        "reload_poll_seconds": 0.2,
        "reload_retry_seconds": 0.2,
        "reload_retry_max_seconds": 1.0,
        "startup_wait_seconds": 60.0,  # the first load in a fresh checkout compiles the kernels (~10 s)
    }
    return ApiSettings(**(values | overrides))


def wait_until(condition: Callable[[], object], timeout: float = 10.0, what: str = "condition") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what} not reached within {timeout}s")


@pytest.fixture
def settings(env: dict[str, str], redis_client: redis.Redis) -> ApiSettings:
    return api_settings(env)


@pytest.fixture
def pointer(redis_client: redis.Redis) -> ModelPointer:
    return ModelPointer(redis_client)


@pytest.fixture
def version(store: ObjectStore, pointer: ModelPointer) -> str:
    """A published model (2,000 generated tracks, 6 clusters) that the pointer names."""
    version = publish_model(store, 2000, k=6, seed=1)
    pointer.move(version, actor="test", reason="first model")
    return version


@pytest.fixture
def client(settings: ApiSettings, version: str) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client
