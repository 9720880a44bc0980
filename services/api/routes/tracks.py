"""``GET /v1/tracks/{track_id}/recommendations``: more like a catalog track."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from services.api import recommend
from services.api.dependencies import CurrentModel
from services.api.schemas import NO_MODEL, LIMIT_DEFAULT, LIMIT_MAX, LIMIT_MIN, TrackRecommendations, error_responses

router = APIRouter(prefix="/v1/tracks", tags=["recommendations"])


@router.get(
    "/{track_id}/recommendations",
    response_model=TrackRecommendations,
    responses=error_responses((404, "the current model's catalog lacks the track"), (422, "the limit is out of range"), NO_MODEL),
)
async def more_like_track(
    track_id: Annotated[str, Path(max_length=512, examples=["6rqhFgbbKwnb9MLmUQDhG6"])],
    model: CurrentModel,
    limit: Annotated[int, Query(ge=LIMIT_MIN, le=LIMIT_MAX)] = LIMIT_DEFAULT,
) -> Response:
    """The track's nearest neighbours in its cluster; never the track or another version of it."""
    return Response(orjson.dumps(recommend.for_track(model, track_id, limit)), media_type="application/json")
