"""``/v1/ingest-jobs`` (operator): the state of an ingest job that ``POST /v1/datasets`` enqueued."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from shared.jobs import JOB_ID_REGEX
from shared.pointer import INGEST_QUEUE
from services.api.dependencies import OPERATOR, OPERATOR_RESPONSES, GatewayDep
from services.api.routes.training_jobs import job_state
from services.api.schemas import TrainingJobState, error_responses

router = APIRouter(prefix="/v1/ingest-jobs", tags=["datasets"], dependencies=OPERATOR, responses=OPERATOR_RESPONSES)


@router.get(
    "/{job_id}",
    response_model=TrainingJobState,
    responses=error_responses((404, "no such job (or it expired)"), (422, "the job id is malformed"), (503, "Redis is unreachable")),
)
def ingest_job(job_id: Annotated[str, Path(pattern=JOB_ID_REGEX)], gateway: GatewayDep) -> dict[str, Any]:
    """Status (RQ's words), stage, times, result (the dataset and its counts, once finished) and
    error (once failed), as for training jobs."""
    return job_state(gateway, job_id, "ingest", INGEST_QUEUE)
