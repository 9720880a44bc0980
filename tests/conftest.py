"""Session-wide real services: Redis and MinIO on free loopback ports, started once.

When a Docker daemon is reachable the same fixtures use testcontainers instead. Each test
gets a flushed Redis database and a bucket of its own, removed afterwards.
"""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from shared.pointer import connect
from shared.storage import ObjectStore
from tools import stack

SHARED_DIR = Path(__file__).resolve().parents[2] / "shared"
DATASETS_DIR = SHARED_DIR / "datasets"
SCHEMAS_DIR = SHARED_DIR / "schemas"


def shared_file(*parts: str) -> Path:
    """A file of ../shared/, or skip the test cleanly where that folder is absent."""
    path = SHARED_DIR.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available (../shared/ is absent)")
    return path


@dataclass(frozen=True)
class Services:
    redis_url: str
    s3_endpoint: str
    access_key: str
    secret_key: str


def _docker_reachable() -> bool:
    if os.environ.get("MUSICREC_TEST_DOCKER", "auto") == "off":
        return False
    try:
        import docker

        docker.from_env(timeout=2).ping()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    if _docker_reachable():
        yield from _container_services()
        return
    home = tmp_path_factory.mktemp("services")
    user, password = "musicrec-test", secrets.token_urlsafe(16)
    redis_port = stack.free_port()
    minio_port, console_port = stack.free_port(), stack.free_port()
    redis = stack.redis_process(home / "redis", redis_port, home / "redis.log").start()
    try:
        minio = stack.minio_process(home / "minio", minio_port, console_port, user, password, home / "minio.log").start()
    except BaseException:
        redis.stop()
        raise
    try:
        yield Services(f"redis://127.0.0.1:{redis_port}/0", f"http://127.0.0.1:{minio_port}", user, password)
    finally:
        minio.stop()
        redis.stop()
        shutil.rmtree(home, ignore_errors=True)


def _container_services() -> Iterator[Services]:
    from testcontainers.minio import MinioContainer
    from testcontainers.redis import RedisContainer

    with RedisContainer("redis:7.4-alpine") as redis, MinioContainer("minio/minio:RELEASE.2025-09-07T16-13-09Z") as minio:
        config = minio.get_config()
        yield Services(
            f"redis://{redis.get_container_host_ip()}:{redis.get_exposed_port(6379)}/0",
            f"http://{config['endpoint']}",
            config["access_key"],
            config["secret_key"],
        )


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Entry points called in tests configure logging; give the next test the set-up it had."""
    import logging

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def bucket_name() -> str:
    return f"test-{secrets.token_hex(6)}"


@pytest.fixture
def env(services: Services, bucket_name: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """MUSICREC_* variables pointing at the session's servers and this test's own bucket."""
    values = {
        "MUSICREC_ENV": "test",
        "MUSICREC_REDIS_URL": services.redis_url,
        "MUSICREC_S3_ENDPOINT": services.s3_endpoint,
        "MUSICREC_S3_ACCESS_KEY": services.access_key,
        "MUSICREC_S3_SECRET_KEY": services.secret_key,
        "MUSICREC_S3_BUCKET": bucket_name,
        "MUSICREC_LOG_FORMAT": "text",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


@pytest.fixture
def redis_client(services: Services, env: dict[str, str]):
    client = connect(services.redis_url)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def store(services: Services, bucket_name: str, env: dict[str, str]) -> Iterator[ObjectStore]:
    """This test's own bucket, created empty and removed afterwards."""
    store = ObjectStore(services.s3_endpoint, services.access_key, services.secret_key, bucket_name)
    store.ensure_bucket()
    yield store
    store.delete_prefix("")
    store.client.remove_bucket(bucket_name)
