"""``GET /v1/clusters``: the current model's clusters."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from services.api.dependencies import current_model
from services.api.model import ServingModel

router = APIRouter(prefix="/v1/clusters", tags=["clusters"])


@router.get("")
async def list_clusters(model: ServingModel = Depends(current_model)) -> dict[str, Any]:
    """Id, label, size and centroid (in the features' original units) of every cluster."""
    clusters = sorted(model.document.clusters, key=lambda c: c.id)
    return {
        "model_version": model.version,
        "clusters": [c.model_dump(include={"id", "label", "size", "centroid"}) for c in clusters],
    }
