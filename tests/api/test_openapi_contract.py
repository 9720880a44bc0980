"""The OpenAPI document is true: ``schemathesis run --checks all`` over every operation of a real
API process, with and without the operator token, finds nothing (hooks: ``contract_hooks.py``)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from shared.bundle import load_bundle
from shared.pointer import ModelPointer, connect
from shared.storage import ObjectStore
from tests.api.conftest import OPERATOR_TOKEN
from tests.api.reference import Reference
from tests.api.test_served_process import ROOT, api_process
from tools.synthetic_model import publish_model

pytestmark = pytest.mark.slow

@pytest.fixture(scope="module")
def live(services, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    bucket = f"test-{secrets.token_hex(6)}"
    store = ObjectStore(services.s3_endpoint, services.access_key, services.secret_key, bucket)
    store.ensure_bucket()
    redis = connect(services.redis_url)
    redis.flushdb()
    version = publish_model(store, 1500, k=5, seed=3)
    ModelPointer(redis).move(version, actor="test", reason="contract")
    reference = Reference(load_bundle(store, version))
    home = tmp_path_factory.mktemp("contract")
    seeds = home / "seeds.json"
    seeds.write_text(json.dumps({"track": [r["track_id"] for r in reference.rows[:50]], "artist": sorted({a for a in reference.artist if a})[:20],
                                 "genre": sorted({g for r in reference.rows for g in r["genres"] or []})}))  # fmt: skip
    env = {"MUSICREC_ENV": "test", "MUSICREC_REDIS_URL": services.redis_url, "MUSICREC_S3_ENDPOINT": services.s3_endpoint,
           "MUSICREC_S3_ACCESS_KEY": services.access_key, "MUSICREC_S3_SECRET_KEY": services.secret_key,
           "MUSICREC_S3_BUCKET": bucket, "MUSICREC_ACCESS_LOG": "false"}  # fmt: skip
    try:
        with api_process(env, home / "api.log") as (url, _):
            yield url, seeds
    finally:
        redis.flushdb()
        store.delete_prefix("")
        store.client.remove_bucket(bucket)


@pytest.mark.parametrize("token", [False, True], ids=["without the operator token", "with it"])
def test_the_document_is_true(live: tuple[str, Path], token: bool) -> None:
    url, seeds = live
    argv = [str(Path(sys.executable).with_name("schemathesis")), "run", f"{url}/openapi.json", "--checks", "all",
            "--max-examples", "20", "--seed", "1", "--workers", "1", "--no-color"]  # fmt: skip
    if token:
        argv += ["-H", f"Authorization: Bearer {OPERATOR_TOKEN}"]
    run = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=900,
                         env={**os.environ, "SCHEMATHESIS_HOOKS": "tests.api.contract_hooks", "MUSICREC_CONTRACT_SEEDS": str(seeds)})  # fmt: skip
    report = seeds.with_name(f"schemathesis-{'token' if token else 'no-token'}.txt")
    report.write_text(run.stdout + run.stderr)
    assert run.returncode == 0, f"{report}:\n{run.stdout[-6000:]}{run.stderr[-2000:]}"
