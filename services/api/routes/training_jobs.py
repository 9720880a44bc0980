"""``/v1/training-jobs`` (operator): enqueue training and read a job's state through RQ."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Response
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.results import Result

from shared.datasets import newest_dataset_id, read_dataset_manifest
from shared.jobs import JOB_ID_REGEX, TrainingParameters, enqueue_training
from shared.pointer import TRAINING_QUEUE, redis_errors
from services.api.dependencies import OPERATOR, OPERATOR_RESPONSES, GatewayDep
from services.api.errors import ApiError
from services.api.schemas import NOT_JSON, SERVICES_AWAY, TrainingJobCreated, TrainingJobState, error_responses

router = APIRouter(prefix="/v1/training-jobs", tags=["training jobs"], dependencies=OPERATOR, responses=OPERATOR_RESPONSES)


def _job_url(job_id: str) -> str:
    return f"{router.prefix}/{job_id}"


@router.post(
    "",
    status_code=202,
    response_model=TrainingJobCreated,
    responses=error_responses(NOT_JSON, (404, "the dataset is not published"), (422, "a parameter is unknown, malformed or out of range"), SERVICES_AWAY),
)
def start_training(
    response: Response, gateway: GatewayDep, body: Annotated[TrainingParameters, Body(default_factory=TrainingParameters)]
) -> dict[str, Any]:
    """Queue a training job for a dataset (default: the newest); an identical active job is reused."""
    if body.dataset_id is not None:
        read_dataset_manifest(gateway.store, body.dataset_id)
        dataset_id = body.dataset_id
    else:
        dataset_id = newest_dataset_id(gateway.store)
    job, created = enqueue_training(gateway.redis, body.model_copy(update={"dataset_id": dataset_id}), actor="operator")
    response.headers["Location"] = _job_url(job.id)
    return {"job_id": job.id, "url": _job_url(job.id), "created": created, "dataset_id": dataset_id}


def _when(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def _error_line(result: Result | None) -> str | None:
    """The exception line of a failed job (its traceback stays in the worker's log)."""
    if result is None or result.type != Result.Type.FAILED or not result.exc_string:
        return None
    lines = [line for line in result.exc_string.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else None


@router.get(
    "/{job_id}",
    response_model=TrainingJobState,
    responses=error_responses((404, "no such job (or it expired)"), (422, "the job id is malformed"), (503, "Redis is unreachable")),
)
def training_job(job_id: Annotated[str, Path(pattern=JOB_ID_REGEX)], gateway: GatewayDep) -> dict[str, Any]:
    """Status (RQ's words), stage, times, result (once finished) and error (once failed)."""
    return job_state(gateway, job_id, "training", TRAINING_QUEUE)


def job_state(gateway, job_id: str, kind: str, queue: str) -> dict[str, Any]:
    """The state of the RQ job ``job_id`` of ``queue``; 404 naming the ``kind`` of job otherwise."""
    with redis_errors(f"rq:job:{job_id}", "read"):
        try:
            job = Job.fetch(job_id, connection=gateway.redis)
        except NoSuchJobError:
            job = None
        if job is None or job.origin != queue:
            raise ApiError(404, "job_not_found", f"{kind} job {job_id!r} does not exist or has expired", {"job_id": job_id})
        latest = job.latest_result()
        status = job.get_status(refresh=False)
    returned = latest.return_value if latest is not None and latest.type == Result.Type.SUCCESSFUL else None
    return {
        "job_id": job.id,
        "status": str(status.value if hasattr(status, "value") else status),
        "stage": job.meta.get("stage"),
        "enqueued_at": _when(job.enqueued_at),
        "started_at": _when(job.started_at),
        "ended_at": _when(job.ended_at),
        "result": returned if isinstance(returned, dict) else None,
        "error": _error_line(latest),
    }
