"""``POST /v1/recommendations``: tracks like the described audio features.

The hottest route, so it reads and validates its body itself (pydantic-core straight from
the bytes, the same precise 422s) and searches the catalog in a worker thread: the KD-tree
search releases the GIL, so the event loop keeps accepting requests meanwhile.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import ValidationError

from services.api import recommend
from services.api.errors import invalid_body
from services.api.responses import OrjsonResponse
from services.api.schemas import RecommendationRequest, Recommendations, request_body

router = APIRouter(prefix="/v1/recommendations", tags=["recommendations"])


@router.post(
    "",
    response_model=Recommendations,
    openapi_extra=request_body(RecommendationRequest),
    responses={400: {"description": "the body is not JSON"},
               422: {"description": "a feature is missing, unknown, null, not a number or out of range"},
               503: {"description": "no model is loaded yet"}},
)  # fmt: skip
async def recommend_tracks(request: Request) -> OrjsonResponse:
    """The nearest tracks of the cluster the features fall in, under the current model.

    Every feature the model uses is required; other schema features are accepted and ignored.
    Tracks in ``exclude_track_ids`` and other versions of them (same name and artist) are
    never returned.
    """
    try:
        body = RecommendationRequest.model_validate_json(await request.body() or b"null")
    except ValidationError as exc:
        raise invalid_body(exc) from None
    gateway = request.app.state.gateway
    model = gateway.holder.current()  # taken once: the whole answer uses it
    return OrjsonResponse(
        await gateway.search(recommend.for_features, model, body.features.__dict__, body.limit, body.exclude_track_ids)
    )
