"""``/v1/recommendations``: tracks for seeds, feature values, targets and ranges (GET and POST),
and the genres that may seed them."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends
from starlette.responses import Response

from services.api import recommend
from services.api.dependencies import CurrentModel, query_model, query_parameters
from services.api.schemas import NO_MODEL, NOT_JSON, TOO_LARGE, GenreSeeds, Recommendations, error_responses
from services.api.tuning import RecommendationParams, RecommendationRequest

router = APIRouter(prefix="/v1/recommendations", tags=["recommendations"])

REFUSALS = (
    (422, "no seed or more than five, an unknown seed, attribute or field, a value out of its range, or a minimum above "
          "its maximum"),
    NO_MODEL,
)  # fmt: skip


def answer(content: Any) -> Response:
    return Response(orjson.dumps(content), media_type="application/json")


@router.get("", response_model=Recommendations, responses=error_responses(*REFUSALS), openapi_extra=query_parameters(RecommendationParams))
async def recommendations(model: CurrentModel, wanted: Annotated[RecommendationParams, Depends(query_model(RecommendationParams))]) -> Response:
    """Tracks like 1 to 5 seeds (tracks, artists, genres), tuned by ``target_``, ``min_`` and ``max_``
    values of the audio features and of popularity, year, duration_ms, key, mode and time_signature.

    The query point is the mean of the seeds in the model's scaled space; a target replaces its
    coordinate (or, on an attribute the model does not use, adds a soft preference); ranges are
    hard filters. The answer is exact: the best-scoring tracks that pass every filter, never a
    seed or another version of one, one version per song, at most ``max_per_artist`` per artist.
    """
    return answer(recommend.recommend(model, wanted))


@router.post("", response_model=Recommendations, responses=error_responses(NOT_JSON, TOO_LARGE, *REFUSALS))
async def recommend_tracks(wanted: RecommendationRequest, model: CurrentModel) -> Response:
    """The same as ``GET``, with the fields in a JSON body, and ``features`` as a query point of its own.

    With ``features``, every feature the model uses is required (others are accepted and
    ignored) and seeds are optional; tracks in ``exclude_track_ids`` and other versions of them
    (same name and artist) are never returned.
    """
    features = wanted.features.model_dump() if wanted.features is not None else None
    return answer(recommend.recommend(model, wanted, features))


@router.get("/available-genre-seeds", response_model=GenreSeeds, responses=error_responses(NO_MODEL))
async def available_genre_seeds(model: CurrentModel) -> dict[str, Any]:
    """The genres of the served catalog, each a valid ``seed_genres`` value."""
    return {"model_version": model.version, "genres": model.catalog.genre_names}
