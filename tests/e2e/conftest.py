"""The whole system as a user runs it: Redis, MinIO, the worker and the API as real
processes started by the local-stack code behind `make up`, on free loopback ports."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from shared.pointer import ModelPointer, connect
from tools import stack
from tools.stack import ROOT

ALL = ["redis", "minio", "worker", "api"]


@dataclass
class System:
    local: stack.LocalStack
    env: dict[str, str]
    base_url: str

    @property
    def token(self) -> str:
        return self.env["MUSICREC_OPERATOR_TOKEN"]

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=kwargs.pop("timeout", 10), **kwargs)

    def operator(self) -> httpx.Client:
        return self.client(headers={"Authorization": f"Bearer {self.token}"})

    def pointer(self) -> ModelPointer:
        return ModelPointer(connect(self.env["MUSICREC_REDIS_URL"]))

    def ingest(self, source: Path, *extra: str) -> str:
        """`python -m services.ingest SOURCE --no-train`, as an operator types it; returns the dataset id."""
        result = subprocess.run(
            [sys.executable, "-m", "services.ingest", str(source), "--no-train", *extra],
            env={**os.environ, **self.env}, cwd=ROOT, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr[-3000:]
        dataset_id = self.pointer().latest_dataset()
        assert dataset_id and dataset_id in result.stdout
        return dataset_id

    def train(self, **body: Any) -> dict[str, Any]:
        """POST /v1/training-jobs with the operator token and wait until the job ends."""
        with self.operator() as api:
            response = api.post("/v1/training-jobs", json=body)
            assert response.status_code == 202, response.text
            return self.wait_job(response.json()["job_id"])

    def wait_job(self, job_id: str, timeout: float = 300, statuses: tuple[str, ...] = ("finished", "failed")) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self.operator() as api:
            while time.monotonic() < deadline:
                job = api.get(f"/v1/training-jobs/{job_id}").json()
                if job["status"] in statuses:
                    return job
                time.sleep(0.5)
        raise AssertionError(f"job {job_id} still {job['status']} (stage {job.get('stage')}) after {timeout}s")

    def wait_serving(self, version: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        with self.client() as api:
            while time.monotonic() < deadline:
                response = api.get("/readyz")
                if response.status_code == 200 and response.json()["model_version"] == version:
                    return
                time.sleep(0.2)
        raise AssertionError(f"the API did not serve {version} within {timeout}s: {response.text}")


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    home = tmp_path_factory.mktemp("system")
    ports = ["REDIS", "MINIO", "MINIO_CONSOLE", "API"]
    (home / "stack.env").write_text("".join(f"MUSICREC_{p}_PORT={stack.free_port()}\n" for p in ports))
    local = stack.LocalStack(home)
    try:
        local.up(ALL)
        env = local.client_env()
        yield System(local, env, f"http://127.0.0.1:{env['MUSICREC_API_PORT']}")
    finally:
        local.down(ALL)


QUERY = {
    "danceability": 0.6, "energy": 0.7, "loudness": -7.0, "speechiness": 0.05, "acousticness": 0.2,
    "instrumentalness": 0.1, "liveness": 0.15, "valence": 0.5, "tempo": 120.0,
}  # fmt: skip


@dataclass
class Load:
    """Requests in a loop from a few threads until stopped; counts statuses and versions."""

    base_url: str
    threads: int = 4
    statuses: Counter = field(default_factory=Counter)
    versions: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _workers: list[threading.Thread] = field(default_factory=list)

    def _run(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=10) as api:
            while not self._stop.is_set():
                try:
                    response = api.post("/v1/recommendations", json={"features": QUERY, "limit": 5})
                    self.statuses[response.status_code] += 1
                    if response.status_code == 200:
                        self.versions[response.json()["model_version"]] += 1
                    else:
                        self.errors.append(response.text[:300])
                except httpx.HTTPError as exc:
                    self.statuses["transport-error"] += 1
                    self.errors.append(repr(exc))

    def __enter__(self) -> "Load":
        self._workers = [threading.Thread(target=self._run, daemon=True) for _ in range(self.threads)]
        for worker in self._workers:
            worker.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=30)
