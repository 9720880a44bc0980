"""``POST /v1/recommendations``: tracks like the described audio features.

The hottest route, so it reads and validates its body itself (pydantic-core straight from
the bytes, the same precise 422s); :func:`answer` is also what the middleware's fast path
(:mod:`services.api.hot_routes`) calls.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import Response

from services.api import recommend
from services.api.errors import invalid_body
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
async def recommend_tracks(request: Request) -> Response:
    """The nearest tracks of the cluster the features fall in, under the current model.

    Every feature the model uses is required; other schema features are accepted and ignored.
    Tracks in ``exclude_track_ids`` and other versions of them (same name and artist) are
    never returned.
    """
    return Response(await answer(request.app, await request.body()), media_type="application/json")


async def answer(app: Any, body: bytes) -> bytes:
    """The JSON answer to a request body; raises the errors the route answers with."""
    try:
        wanted = RecommendationRequest.model_validate_json(body or b"null")
    except ValidationError as exc:
        raise invalid_body(exc) from None
    gateway = app.state.gateway
    model = gateway.holder.current()  # taken once: the whole answer uses it
    return orjson.dumps(
        await recommend.for_features(model, wanted.features.__dict__, wanted.limit, wanted.exclude_track_ids, gateway.search)
    )
