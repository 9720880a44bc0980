"""``GET /v1/tracks/{track_id}/recommendations``: more like a catalog track."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query

from services.api import recommend
from services.api.dependencies import Gateway, current_model, gateway
from services.api.model import ServingModel
from services.api.responses import OrjsonResponse
from services.api.schemas import LIMIT_DEFAULT, LIMIT_MAX, LIMIT_MIN, TrackRecommendations

router = APIRouter(prefix="/v1/tracks", tags=["recommendations"])


@router.get(
    "/{track_id}/recommendations",
    response_model=TrackRecommendations,
    responses={404: {"description": "the current model's catalog lacks the track"}},
)
async def more_like_track(
    track_id: str = Path(max_length=512, examples=["6rqhFgbbKwnb9MLmUQDhG6"]),
    limit: int = Query(LIMIT_DEFAULT, ge=LIMIT_MIN, le=LIMIT_MAX),
    model: ServingModel = Depends(current_model),
    gateway: Gateway = Depends(gateway),
) -> OrjsonResponse:
    """The track's nearest neighbours in its cluster; never the track or another version of it."""
    return OrjsonResponse(await recommend.for_track(model, track_id, limit, gateway.search))
