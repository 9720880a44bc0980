"""``GET /v1/clusters``: the current model's clusters, as its report describes them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from shared.bundle import ClusterInfo
from services.api.dependencies import CurrentModel
from services.api.schemas import NO_MODEL, Cluster, Clusters, error_responses

router = APIRouter(prefix="/v1/clusters", tags=["clusters"])

# What an older model's report may lack; its absence is said, never shown as zero.
DESCRIBED = ("share", "standardized", "words", "top_genres", "examples")
NOT_REPORTED = "not in this model's report (it was trained before the trainer reported it)"


def public_cluster(cluster: ClusterInfo) -> dict[str, Any]:
    """A cluster of a model document as the API shows it (:class:`services.api.schemas.Cluster`)."""
    shown = cluster.model_dump(include=set(Cluster.model_fields))
    unavailable = dict(shown.get("unavailable") or {})
    for name in DESCRIBED:
        if name not in shown:
            unavailable[name] = NOT_REPORTED
    return shown | {"unavailable": unavailable}


@router.get("", response_model=Clusters, responses=error_responses(NO_MODEL))
async def list_clusters(model: CurrentModel) -> dict[str, Any]:
    """Every cluster: id, label and the words it is made of, size and share, centroid (original units
    and standard deviations from the catalog mean), top genres with their shares, the most central tracks."""
    clusters = sorted(model.document.clusters, key=lambda c: c.id)
    return {"model_version": model.version, "clusters": [public_cluster(c) for c in clusters]}
