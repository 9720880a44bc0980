"""``/v1/tracks``: full track records, and more like one track (the one-seed shorthand)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import StringConstraints
from starlette.responses import Response

from services.api import recommend
from services.api.dependencies import CurrentModel
from services.api.routes.recommendations import answer
from services.api.schemas import NO_MODEL, TrackList, TrackRecommendations, TrackRecord, error_responses
from services.api.tuning import IDS_VALUE, LIMIT_MAX, LIMIT_MIN, RecommendationParams, split_ids

router = APIRouter(prefix="/v1/tracks", tags=["tracks"])

IDS_MAX = 100
TrackId = Annotated[str, Path(max_length=512, examples=["6rqhFgbbKwnb9MLmUQDhG6"])]
Ids = Annotated[list[Annotated[str, StringConstraints(pattern=IDS_VALUE)]], Query(min_length=1, description=f"1 to {IDS_MAX} track ids, comma-separated or repeated")]
UNKNOWN = (404, "the current model's catalog lacks the track")


@router.get("", response_model=TrackList, responses=error_responses((422, f"no ids, or more than {IDS_MAX}"), NO_MODEL))
async def tracks(model: CurrentModel, ids: Ids) -> dict[str, Any]:
    """Full records of up to 100 tracks; ids the catalog lacks are left out and listed in ``missing``."""
    found, missing = recommend.track_records(model, split_ids(ids, IDS_MAX))
    return {"model_version": model.version, "tracks": found, "missing": missing}


@router.get("/{track_id}", response_model=TrackRecord, responses=error_responses(UNKNOWN, NO_MODEL))
async def track(track_id: TrackId, model: CurrentModel) -> dict[str, Any]:
    """One track's full record."""
    return recommend.track_record(model, track_id)


@router.get(
    "/{track_id}/recommendations",
    response_model=TrackRecommendations,
    responses=error_responses(UNKNOWN, (422, "the limit is out of range"), NO_MODEL),
)
async def more_like_track(
    track_id: TrackId,
    model: CurrentModel,
    limit: Annotated[int, Query(ge=LIMIT_MIN, le=LIMIT_MAX)] = 5,
    same_cluster: bool = False,
) -> Response:
    """More like a catalog track (``GET /v1/recommendations?seed_tracks=<id>``): never the track or another version of it."""
    seed = recommend.track_record(model, track_id)
    found = recommend.recommend(model, RecommendationParams(seed_tracks=[track_id], limit=limit, same_cluster=same_cluster))
    return answer({"track": seed, **found})
