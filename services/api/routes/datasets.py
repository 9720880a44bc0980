"""``/v1/datasets``: complete datasets, oldest first, the drift between two of them, and (operator)
a new one from an uploaded catalog or an ``s3://`` URI, ingested by the ``serve`` worker."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, Response, UploadFile

from shared.datasets import list_datasets, newest_dataset_id, read_dataset_manifest
from shared.drift import dataset_drift
from shared.errors import IngestError, MusicrecError
from shared.ids import ID_REGEX, new_id
from shared.jobs import enqueue_ingest
from shared.storage import ObjectStore
from services.api.dependencies import OPERATOR, OPERATOR_RESPONSES, GatewayDep
from services.api.errors import ApiError
from services.api.schemas import SERVICES_AWAY, STORE_AWAY, TOO_LARGE, DatasetDrift, DatasetList, IngestJobCreated, error_responses
from services.ingest.layout import map_header
from services.ingest.scan import read_header
from services.ingest.source import parse_s3_uri

router = APIRouter(prefix="/v1/datasets", tags=["datasets"])
UPLOAD_PATH = router.prefix
UPLOADS = "uploads"
HEAD_BYTES = 64 * 1024

SHOWN = ("dataset_id", "created_at", "rows_read", "rows_kept", "rows_rejected", "rejected_by_reason", "duplicates", "source")


@router.get("", response_model=DatasetList, responses=error_responses(STORE_AWAY))
def list_complete_datasets(gateway: GatewayDep) -> dict[str, Any]:
    """Datasets whose manifest exists (a failed or running ingest is not listed)."""
    return {"datasets": [{key: manifest.get(key) for key in SHOWN} for manifest in list_datasets(gateway.store)]}


@router.get(
    "/{dataset_id}/drift",
    response_model=DatasetDrift,
    responses=error_responses((404, "either dataset is not published (the message names it)"),
                              (422, "a dataset id is malformed"), STORE_AWAY),
)  # fmt: skip
def drift(
    dataset_id: Annotated[str, Path(pattern=ID_REGEX)],
    gateway: GatewayDep,
    against: Annotated[str | None, Query(pattern=ID_REGEX, description="the dataset to compare; default: the newest")] = None,
) -> dict[str, Any]:
    """Population stability index of each audio feature of ``against`` with this dataset as the
    reference (its deciles), and the features above ``MUSICREC_DRIFT_PSI``."""
    read_dataset_manifest(gateway.store, dataset_id)  # 404 naming it before anything is read
    against = against if against is not None else newest_dataset_id(gateway.store)
    return dataset_drift(gateway.store, dataset_id, against, gateway.settings.drift_psi)


def _check_head(head: bytes, where: str) -> None:
    """422 unless ``head`` starts a CSV catalog with every required column (the ingest's own checks)."""
    map_header(read_header(head, where), where)


def _safe_name(filename: str | None) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", (filename or "").rsplit("/", 1)[-1]).strip("._") or "catalog.csv"
    return name[:120]


def _uploaded(store: ObjectStore, upload: UploadFile, dataset_id: str) -> tuple[str, str]:
    """Check the upload's head, then stream it to ``uploads/<dataset id>/<name>``; returns (s3 URI, key)."""
    name = _safe_name(upload.filename)
    upload.file.seek(0, 2)
    size = upload.file.tell()
    upload.file.seek(0)
    if size == 0:
        raise IngestError(f"the uploaded file {name} is empty: it has no header row and no tracks")
    _check_head(upload.file.read(HEAD_BYTES), f"the uploaded file {name}")
    upload.file.seek(0)
    key = f"{UPLOADS}/{dataset_id}/{name}"
    store.put_stream(key, upload.file, size, content_type="text/csv")
    return store.uri(key), key


def _in_bucket(store: ObjectStore, source: str) -> str:
    """The ``s3://`` URI of an object or prefix of parts in the bucket, checked; else 422/404."""
    try:
        bucket, key = parse_s3_uri(source)
    except MusicrecError as exc:
        raise ApiError(422, "invalid_source", exc.message, {"field": "source"}) from exc
    if bucket != store.bucket:
        raise ApiError(422, "invalid_source", f"source {source!r} is not in the bucket {store.bucket!r}", {"field": "source"})
    if store.exists(key):
        _check_head(store.get_bytes(key, HEAD_BYTES), source)
    elif not store.list(key.rstrip("/") + "/"):
        raise ApiError(404, "source_not_found", f"{source} does not exist (no such object nor prefix)", {"field": "source"})
    return source


@router.post(
    "",
    status_code=202,
    dependencies=OPERATOR,
    response_model=IngestJobCreated,
    responses={**OPERATOR_RESPONSES, **error_responses(
        (400, "the multipart body is malformed"), (404, "the s3:// source does not exist"), TOO_LARGE,
        (422, "neither or both of file and source; the file is empty, not CSV or lacks required columns; the source is not in the bucket"),
        SERVICES_AWAY,
    )},
)  # fmt: skip
def create_dataset(
    response: Response,
    gateway: GatewayDep,
    # Optional, not nullable: a multipart field is sent or left out, never null.
    file: Annotated[UploadFile, File(description="a catalog CSV (size limit MUSICREC_UPLOAD_MAX_BYTES)")] = None,  # type: ignore[assignment]
    source: Annotated[str, Form(description="or an s3://bucket/key (object or prefix of parts) in the bucket")] = None,  # type: ignore[assignment]
    train: Annotated[bool, Form(description="enqueue a training job for the new dataset")] = True,
) -> dict[str, Any]:
    """Ingest a catalog into a new dataset: enqueue the job on the ``ingest`` queue (``python -m
    services.ingest serve``) and return its id; ``GET /v1/ingest-jobs/{job_id}`` follows it. A
    refused upload leaves nothing under ``uploads/``."""
    if (file is None) == (source is None):
        raise ApiError(422, "invalid_request", "send either a file (a catalog CSV) or a source (an s3:// URI), not both nor neither",
                       {"fields": ["file", "source"]})  # fmt: skip
    store, dataset_id = gateway.store, new_id()
    uploaded = None
    if file is not None:
        source, uploaded = _uploaded(store, file, dataset_id)
    else:
        source = _in_bucket(store, source)
    try:
        job = enqueue_ingest(gateway.redis, source, dataset_id, train=train, upload=uploaded, actor="operator")
    except BaseException:
        if uploaded:
            store.delete_prefix(uploaded)
        raise
    url = f"/v1/ingest-jobs/{job.id}"
    response.headers["Location"] = url
    return {"job_id": job.id, "url": url, "dataset_id": dataset_id, "source": source}
