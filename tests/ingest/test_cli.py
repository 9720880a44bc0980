"""`python -m services.ingest` as an operator runs it: stages with times, the dataset id and
counts, exit 0 only when the dataset is published."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest
from rq import Queue

from shared.pointer import TRAINING_QUEUE, ModelPointer
from shared.storage import ObjectStore
from tests.ingest.catalogs import HEADER_1M, features_with, row_1m
from tools.stack import ROOT


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "services.ingest", *args],
        env={**os.environ, **env}, cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


@pytest.mark.slow
def test_the_cli_prints_stages_and_counts_and_enqueues_training(
    env: dict[str, str], store: ObjectStore, redis_client, write_csv: Callable[..., Path]
) -> None:
    path = write_csv("catalog.csv", [HEADER_1M, row_1m("t1"), row_1m("t2"), row_1m("t2"), row_1m("t3", features=features_with(energy="x"))])

    done = run_cli(env, str(path), "--dataset-id", "catalog-1")

    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    for stage in ("check", "scan", "start_spark", "read_validate", "dedupe", "write", "verify"):
        assert re.search(rf"^  {stage}\s+\d+\.\d\d s", out, re.M), out
    assert "dataset catalog-1" in out
    assert "rows read 4, kept 2, rejected 1, duplicates 1 (spotify-1m layout, utf-8)" in out
    assert "not_a_number:energy: 1" in out
    assert ModelPointer(redis_client).latest_dataset() == "catalog-1"
    jobs = Queue(TRAINING_QUEUE, connection=redis_client).jobs
    assert [j.kwargs["dataset_id"] for j in jobs] == ["catalog-1"] and f"training job {jobs[0].id}" in out


def test_the_cli_fails_with_one_line_and_publishes_nothing(env: dict[str, str], store: ObjectStore, redis_client, tmp_path: Path) -> None:
    done = run_cli(env, str(tmp_path / "absent.csv"), "--no-train")

    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == f"ingest failed: {tmp_path / 'absent.csv'} does not exist"
    assert "dataset " not in done.stdout
    assert store.list("datasets/") == [] and ModelPointer(redis_client).latest_dataset() is None


def test_a_missing_setting_is_one_line_naming_the_variable_and_how_to_set_it(env: dict[str, str], tmp_path: Path) -> None:
    environment = {k: v for k, v in {**os.environ, **env}.items() if k != "MUSICREC_S3_SECRET_KEY"}
    done = subprocess.run(
        [sys.executable, "-m", "services.ingest", str(tmp_path / "catalog.csv")], env=environment, cwd=ROOT,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "ingest: invalid settings: MUSICREC_S3_SECRET_KEY is not set; set it in the environment (.env.example lists "
        'every variable; for the local stack: make up, then eval "$(.venv/bin/python -m tools.stack env)")'
    ]
