"""``POST /v1/recommendations``: tracks like the described audio features."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from services.api import recommend
from services.api.dependencies import current_model
from services.api.model import ServingModel
from services.api.responses import OrjsonResponse
from services.api.schemas import RecommendationRequest, Recommendations

router = APIRouter(prefix="/v1/recommendations", tags=["recommendations"])


@router.post(
    "",
    response_model=Recommendations,
    responses={422: {"description": "a feature is missing, unknown, null, not a number or out of range"},
               503: {"description": "no model is loaded yet"}},
)  # fmt: skip
async def recommend_tracks(body: RecommendationRequest, model: ServingModel = Depends(current_model)) -> OrjsonResponse:
    """The nearest tracks of the cluster the features fall in, under the current model.

    Every feature the model uses is required; other schema features are accepted and ignored.
    Tracks in ``exclude_track_ids`` and other versions of them (same name and artist) are
    never returned.
    """
    answer = recommend.for_features(model, body.features.__dict__, body.limit, body.exclude_track_ids)
    return OrjsonResponse(answer)
