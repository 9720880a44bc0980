"""``/v1/datasets``: complete datasets, oldest first, and the drift between two of them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from shared.datasets import list_datasets, newest_dataset_id, read_dataset_manifest
from shared.drift import dataset_drift
from shared.ids import ID_REGEX
from services.api.dependencies import GatewayDep
from services.api.schemas import STORE_AWAY, DatasetDrift, DatasetList, error_responses

router = APIRouter(prefix="/v1/datasets", tags=["datasets"])

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
