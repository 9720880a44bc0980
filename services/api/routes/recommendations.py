"""``POST /v1/recommendations``: tracks like the described audio features."""

from __future__ import annotations

import orjson
from fastapi import APIRouter
from starlette.responses import Response

from services.api import recommend
from services.api.dependencies import CurrentModel
from services.api.schemas import NO_MODEL, NOT_JSON, TOO_LARGE, RecommendationRequest, Recommendations, error_responses

router = APIRouter(prefix="/v1/recommendations", tags=["recommendations"])


@router.post(
    "",
    response_model=Recommendations,
    responses=error_responses(NOT_JSON, TOO_LARGE, (422, "a feature is missing, unknown, null, not a number or out of range"), NO_MODEL),
)
async def recommend_tracks(wanted: RecommendationRequest, model: CurrentModel) -> Response:
    """The nearest tracks of the cluster the features fall in, under the current model.

    Every feature the model uses is required; other schema features are accepted and ignored.
    Tracks in ``exclude_track_ids`` and other versions of them (same name and artist) are
    never returned.
    """
    answer = recommend.for_features(model, wanted.features.model_dump(), wanted.limit, wanted.exclude_track_ids)
    return Response(orjson.dumps(answer), media_type="application/json")
