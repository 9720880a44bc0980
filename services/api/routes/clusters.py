"""``GET /v1/clusters``: the current model's clusters."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from services.api.dependencies import CurrentModel
from services.api.schemas import NO_MODEL, Clusters, error_responses

router = APIRouter(prefix="/v1/clusters", tags=["clusters"])


@router.get("", response_model=Clusters, responses=error_responses(NO_MODEL))
async def list_clusters(model: CurrentModel) -> dict[str, Any]:
    """Id, label, size and centroid (in the features' original units) of every cluster."""
    clusters = sorted(model.document.clusters, key=lambda c: c.id)
    return {
        "model_version": model.version,
        "clusters": [c.model_dump(include={"id", "label", "size", "centroid"}) for c in clusters],
    }
