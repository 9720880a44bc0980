"""``GET /v1/datasets``: complete datasets, oldest first."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from shared.datasets import list_datasets
from services.api.dependencies import GatewayDep
from services.api.schemas import STORE_AWAY, DatasetList, error_responses

router = APIRouter(prefix="/v1/datasets", tags=["datasets"])

SHOWN = ("dataset_id", "created_at", "rows_read", "rows_kept", "rows_rejected", "rejected_by_reason", "duplicates", "source")


@router.get("", response_model=DatasetList, responses=error_responses(STORE_AWAY))
def list_complete_datasets(gateway: GatewayDep) -> dict[str, Any]:
    """Datasets whose manifest exists (a failed or running ingest is not listed)."""
    return {"datasets": [{key: manifest.get(key) for key in SHOWN} for manifest in list_datasets(gateway.store)]}
