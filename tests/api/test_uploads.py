"""``POST /v1/datasets`` (operator): a catalog upload or an s3:// URI becomes an ingest job; a
refused one gets a 4xx naming the problem and leaves nothing under uploads/."""

from __future__ import annotations

from typing import Iterator

import pytest
import redis
from fastapi.testclient import TestClient
from rq import Queue

from services.api.app import create_app
from shared.jobs import INGEST_JOB
from shared.pointer import INGEST_QUEUE
from shared.schema import FEATURE_NAMES
from shared.storage import ObjectStore
from tests.api.conftest import AUTH, api_settings

HEADER = "artist_name,track_name," + ",".join(FEATURE_NAMES)
CATALOG = (HEADER + "\nA,Song," + ",".join(["0.5"] * 8) + ",120\n").encode()


@pytest.fixture
def uploads(env: dict[str, str], redis_client: redis.Redis, store: ObjectStore) -> Iterator[TestClient]:
    """An API without a model (none is needed to take uploads), whose uploads may be 4 KiB."""
    settings = api_settings(env, startup_wait_seconds=0, upload_max_bytes=4096)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def upload(client: TestClient, content: bytes, name: str = "catalog.csv", **form: str):
    return client.post("/v1/datasets", files={"file": (name, content, "text/csv")}, data=form, headers=AUTH)


@pytest.mark.parametrize(
    "content, status, message",
    [
        (b"", 422, "the uploaded file catalog.csv is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 422, "is not a CSV text file (it holds binary data"),
        (b'{"tracks": []}', 422, "is not a CSV file: it starts like JSON"),
        (b"artist_name,track_name,danceability\nA,B,0.5\n", 422, "lacks required column(s) ['energy', 'loudness'"),
        (CATALOG * 100, 413, "larger than the limit of 4096 bytes"),
    ],
    ids=["empty", "binary", "json", "missing-columns", "oversize"],
)
def test_a_refused_upload_names_the_problem_and_leaves_nothing(
    uploads: TestClient, store: ObjectStore, redis_client: redis.Redis, content: bytes, status: int, message: str
) -> None:
    response = upload(uploads, content)
    assert response.status_code == status, response.text
    assert message in response.json()["error"]["message"]
    assert store.list("uploads/") == []
    assert Queue(INGEST_QUEUE, connection=redis_client).count == 0


def test_an_upload_is_stored_under_uploads_and_enqueued(uploads: TestClient, store: ObjectStore, redis_client: redis.Redis) -> None:
    response = upload(uploads, CATALOG, name="../my catalog.csv", train="false")

    assert response.status_code == 202, response.text
    body = response.json()
    key = f"uploads/{body['dataset_id']}/my_catalog.csv"
    assert body["source"] == f"s3://{store.bucket}/{key}" and store.get_bytes(key) == CATALOG
    assert body["url"] == f"/v1/ingest-jobs/{body['job_id']}" == response.headers["location"]
    [job] = Queue(INGEST_QUEUE, connection=redis_client).jobs
    assert job.id == body["job_id"] and job.func_name == INGEST_JOB
    assert job.kwargs == {"source": body["source"], "dataset_id": body["dataset_id"], "train": False, "upload": key}
    state = uploads.get(body["url"], headers=AUTH).json()
    assert state["status"] == "queued" and state["stage"] == "queued" and state["result"] is None
    assert uploads.get(f"/v1/training-jobs/{job.id}", headers=AUTH).status_code == 404  # not a training job


def test_an_s3_source_must_be_in_the_bucket_and_exist(uploads: TestClient, store: ObjectStore, redis_client: redis.Redis) -> None:
    store.put_bytes("incoming/catalog.csv", CATALOG)
    store.put_bytes("incoming/parts/part-1.csv", CATALOG)
    store.put_bytes("incoming/bad.csv", b"tracks\nt1\n")

    for source in (f"s3://{store.bucket}/incoming/catalog.csv", f"s3://{store.bucket}/incoming/parts"):
        accepted = uploads.post("/v1/datasets", data={"source": source}, headers=AUTH)
        assert accepted.status_code == 202 and accepted.json()["source"] == source
    missing = uploads.post("/v1/datasets", data={"source": f"s3://{store.bucket}/incoming/absent.csv"}, headers=AUTH)
    assert missing.status_code == 404 and "incoming/absent.csv does not exist" in missing.json()["error"]["message"]
    elsewhere = uploads.post("/v1/datasets", data={"source": "s3://other-bucket/catalog.csv"}, headers=AUTH)
    assert elsewhere.status_code == 422 and "is not in the bucket" in elsewhere.json()["error"]["message"]
    bad = uploads.post("/v1/datasets", data={"source": f"s3://{store.bucket}/incoming/bad.csv"}, headers=AUTH)
    assert bad.status_code == 422 and "no comma-separated columns" in bad.json()["error"]["message"]
    neither = uploads.post("/v1/datasets", data={"train": "true"}, headers=AUTH)
    assert neither.status_code == 422 and "either a file" in neither.json()["error"]["message"]
    both = uploads.post("/v1/datasets", files={"file": ("c.csv", CATALOG)}, data={"source": "s3://x/y"}, headers=AUTH)
    assert both.status_code == 422
    assert uploads.post("/v1/datasets", data={"source": "s3://x/y"}).status_code == 401
    assert Queue(INGEST_QUEUE, connection=redis_client).count == 2 and store.list("uploads/") == []
