"""The gateway as it runs: ``python -m services.api`` under uvicorn, swapping under load."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from shared.ids import derived_id
from shared.pointer import ModelPointer
from shared.storage import ObjectStore
from tests.api.conftest import OPERATOR_TOKEN, wait_until
from tests.api.test_recommendations import QUERY
from services.api.kdtree import compile_kernels
from tools import stack
from tools.synthetic_model import publish_model

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def api_process(env: dict, log: Path, **variables: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """A real API process on a free port; yields its base URL and the process. The index's
    kernels are compiled here first (numba's cache on disk, as an image build would leave it),
    so that the process's readiness measures loading a model, not the first compilation."""
    compile_kernels()
    port = stack.free_port()
    environment = {**os.environ, **env, "MUSICREC_OPERATOR_TOKEN": OPERATOR_TOKEN, "MUSICREC_RELOAD_POLL_SECONDS": "0.5",
                   "MUSICREC_LOG_LEVEL": "WARNING", "MUSICREC_LOG_FORMAT": "json", **variables}  # fmt: skip
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "services.api", "--port", str(port)], cwd=ROOT, env=environment,
                                   stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        wait_until(lambda: stack.http_ok(f"http://127.0.0.1:{port}/healthz") or process.poll() is not None, 30, "the API")
        assert process.poll() is None, log.read_text()
        yield f"http://127.0.0.1:{port}", process
    finally:
        process.terminate()
        process.wait(15)


@pytest.fixture
def served(env: dict, redis_client, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real API process on a free port; yields its base URL and log file."""
    log = tmp_path / "api.log"
    with api_process(env, log) as (url, _):
        yield url, log


def test_zero_failed_requests_while_the_pointer_flips_under_load(
    store: ObjectStore, pointer: ModelPointer, served: tuple[str, Path]
) -> None:
    url, log = served
    versions = {publish_model(store, 1500, k=5, seed=1, id_prefix="a"): "a", publish_model(store, 1500, k=4, seed=2, id_prefix="b"): "b"}
    first, second = versions
    pointer.move(first, actor="test", reason="start")
    wait_until(lambda: httpx.get(f"{url}/readyz").status_code == 200, 30, "readiness")

    answers: list[tuple[int, str | None, bool]] = []
    stop = threading.Event()

    # a multi-seed query whose seeds both models have (genres, an artist by its derived id)
    seeds = {"seed_genres": "pop,jazz", "seed_artists": derived_id("artist", "artist 3"), "target_energy": 0.6, "limit": 10}

    def load(number: int) -> None:
        with httpx.Client(base_url=url, timeout=10) as http:
            while not stop.is_set():
                if number % 2:
                    response = http.post("/v1/recommendations", json={"features": QUERY, "limit": 10})
                else:
                    response = http.get("/v1/recommendations", params=seeds)
                body = response.json()
                version = body.get("model_version")
                consistent = version in versions and all(t["track_id"].startswith(versions[version]) for t in body["tracks"])
                answers.append((response.status_code, version, consistent))

    workers = [threading.Thread(target=load, args=(number,)) for number in range(12)]
    for worker in workers:
        worker.start()
    try:
        for flip in range(10):
            time.sleep(0.8)  # a reload of these small models takes well under this, even on a loaded machine
            pointer.move(second if flip % 2 == 0 else first, actor="test", reason=f"flip {flip}")
        time.sleep(0.8)
    finally:
        stop.set()
        for worker in workers:
            worker.join(30)

    statuses = Counter(status for status, _, _ in answers)
    assert statuses == {200: len(answers)}, (statuses, log.read_text()[-3000:])
    assert all(consistent for _, _, consistent in answers)  # each answered wholly by one version, seeds included
    sequence = [version for _, version, _ in answers]
    switches = sum(1 for a, b in zip(sequence, sequence[1:]) if a != b)
    assert set(sequence) == set(versions) and switches >= 5 and len(answers) > 200
    reloads = next(line for line in httpx.get(f"{url}/metrics").text.splitlines() if line.startswith("musicrec_model_reloads_total"))
    assert float(reloads.split()[-1]) >= 6


def test_the_entry_point_refuses_incomplete_settings_with_one_clear_message(env: dict) -> None:
    environment = {k: v for k, v in os.environ.items() if k != "MUSICREC_S3_ACCESS_KEY"}
    result = subprocess.run([sys.executable, "-m", "services.api"], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "musicrec api: invalid settings: MUSICREC_S3_ACCESS_KEY is not set; set it in the environment (.env.example lists "
        'every variable; for the local stack: make up, then eval "$(.venv/bin/python -m tools.stack env)")'
    ]


def test_the_api_imports_neither_spark_nor_scikit_learn_nor_the_trainer() -> None:
    code = (
        "import json, sys\n"
        "from services.api.app import create_app\n"
        "from services.api.settings import ApiSettings\n"
        "import services.api.__main__\n"
        "create_app(ApiSettings(s3_access_key='k', s3_secret_key='s'))\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    modules = json.loads(result.stdout)
    assert "services.api.model" in modules and "services.api.neighbours" in modules  # the probe saw the app
    forbidden = [m for m in modules if m.split(".")[0] in ("pyspark", "sklearn", "py4j") or m.startswith("services.trainer")]
    assert forbidden == []


def test_responses_arrive_whole_on_kept_alive_pipelined_and_closed_connections(served: tuple[str, Path]) -> None:
    """Kept-alive, pipelined and closed connections each get every response whole."""
    url, _ = served
    host, port = url.removeprefix("http://").split(":")
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        reader = connection.makefile("rb")
        for _ in range(20):  # one at a time on a kept-alive connection
            connection.sendall(request)
            assert read_response(reader) == (200, {"status": "ok"})
        connection.sendall(request * 3 + b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert [read_response(reader) for _ in range(4)] == [(200, {"status": "ok"})] * 4
        assert reader.read() == b""  # closed by the server after the last response


def read_response(reader) -> tuple[int, dict]:
    status = int(reader.readline().split()[1])
    headers = {}
    while (line := reader.readline()) != b"\r\n":
        name, _, value = line.decode().partition(":")
        headers[name.lower()] = value.strip()
    return status, json.loads(reader.read(int(headers["content-length"])))


def test_every_access_line_is_written_in_order_before_a_normal_shutdown_ends(env: dict, redis_client, tmp_path: Path) -> None:
    log = tmp_path / "api.log"
    with api_process(env, log, MUSICREC_LOG_LEVEL="INFO") as (url, process):
        with httpx.Client(base_url=url, timeout=10) as http:
            sent = [f"order-{number:04d}" for number in range(300)]
            for request_id in sent:
                assert http.get("/healthz", headers={"X-Request-ID": request_id}).status_code == 200
        process.send_signal(signal.SIGTERM)  # a normal shutdown, right after the last answer
        assert process.wait(15) == -signal.SIGTERM  # uvicorn shuts down, then ends by the signal it got
    records = [json.loads(line) for line in log.read_text().splitlines()]  # every line is one JSON object
    access = [r for r in records if r["logger"] == "services.api.access"]
    assert [r["request_id"] for r in access if r["request_id"].startswith("order-")] == sent
    assert {"time", "level", "message", "method", "path", "status", "duration_ms"} <= set(access[-1])
    assert access[-1]["message"] == "GET /healthz 200" and access[-1]["status"] == 200
    after = [r["message"] for r in records[records.index(access[-1]) + 1 :]]
    assert any("Finished server process" in message for message in after)  # the shutdown came after them all
