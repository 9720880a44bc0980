"""The ingest container's first start: a generated demo catalog once, nothing after."""

import pytest
import redis
from rq import Queue

from democatalog import bootstrap
from shared.datasets import list_datasets
from shared.storage import ObjectStore

pytestmark = pytest.mark.slow


def test_first_start_ingests_a_demo_catalog_and_a_restart_ingests_nothing(
    store: ObjectStore, redis_client: redis.Redis, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MUSICREC_DEMO_ROWS", "3000")
    assert bootstrap.main([]) == 0
    datasets = list_datasets(store)
    assert len(datasets) == 1
    assert datasets[0]["rows_read"] == 3000 and 0 < datasets[0]["rows_kept"] < 3000  # the generator spoils a few rows
    assert len(Queue("training", connection=redis_client)) == 1  # the first training job

    assert bootstrap.main([]) == 0
    assert "already published; nothing to ingest" in capsys.readouterr().out
    assert len(list_datasets(store)) == 1
    assert len(Queue("training", connection=redis_client)) == 1


def test_with_enqueue_the_first_start_uploads_the_demo_catalog_for_the_serve_worker_once(
    store: ObjectStore, redis_client: redis.Redis, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MUSICREC_DEMO_ROWS", "300")
    assert bootstrap.main(["--enqueue"]) == 0
    [job] = Queue("ingest", connection=redis_client).jobs
    assert job.kwargs["source"] == store.uri(bootstrap.DEMO_UPLOAD) and job.kwargs["upload"] == bootstrap.DEMO_UPLOAD
    assert store.get_bytes(bootstrap.DEMO_UPLOAD).count(b"\n") == 301  # the header and 300 rows

    assert bootstrap.main(["--enqueue"]) == 0  # a restart before the worker has run it
    assert "waits for its ingest job; nothing to enqueue" in capsys.readouterr().out
    assert Queue("ingest", connection=redis_client).count == 1 and list_datasets(store) == []
