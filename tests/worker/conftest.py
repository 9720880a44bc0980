"""Worker fixtures: real ``python -m services.worker`` processes, stopped (or killed) by pid."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import psutil
import pytest

from tests.trainer.conftest import pointer, run_burst  # noqa: F401  (shared fixtures)

ROOT = Path(__file__).resolve().parents[2]

# Short liveness timings so that an abandoned job is found in seconds, not tens of seconds.
FAST_LIVENESS = {
    "MUSICREC_WORKER_JOB_MONITORING_INTERVAL": "1",
    "MUSICREC_WORKER_HEARTBEAT_GRACE": "2",
    "MUSICREC_WORKER_MAINTENANCE_INTERVAL": "1",
    "MUSICREC_WORKER_TTL": "16",
    "MUSICREC_RETRAIN_SCHEDULE": "off",
    "MUSICREC_LOG_FORMAT": "json",
}


@dataclass
class WorkerProcess:
    popen: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def family(self) -> list[psutil.Process]:
        """The worker's processes: itself, its work horse (while a job runs), RQ's scheduler."""
        try:
            return [psutil.Process(self.pid), *psutil.Process(self.pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def kill(self) -> list[psutil.Process]:
        """SIGKILL the worker process (only it); returns what it had forked."""
        children = self.family()[1:]
        os.kill(self.pid, signal.SIGKILL)
        self.popen.wait(10)
        return children

    def lines(self) -> list[str]:
        return self.log.read_text().splitlines()


def wait_until(condition: Callable[[], object], timeout: float, what: str, every: float = 0.02) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"{what} not reached within {timeout:.0f}s")


@pytest.fixture
def start_worker(env: dict[str, str], tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    started: list[WorkerProcess] = []

    def start(*args: str, **variables: str) -> WorkerProcess:
        log = tmp_path / f"worker-{len(started)}.log"
        with open(log, "wb") as out:
            popen = subprocess.Popen(
                [sys.executable, "-m", "services.worker", *args],
                cwd=ROOT,
                env={**os.environ, **FAST_LIVENESS, **variables},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started.append(WorkerProcess(popen, log))
        return started[-1]

    yield start
    for worker in started:
        for process in reversed(worker.family()):
            process.kill()
        worker.popen.wait(10)
