"""``/v1/audio-features``: the shape of Spotify's closed audio-features endpoint, from the catalog."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import StringConstraints

from services.api import recommend
from services.api.dependencies import CurrentModel
from services.api.model import ServingModel
from services.api.schemas import AUDIO_FEATURE_FIELDS, NO_MODEL, AudioFeatures, AudioFeaturesList, error_responses
from services.api.tuning import IDS_VALUE, split_ids

router = APIRouter(prefix="/v1/audio-features", tags=["tracks"])

IDS_MAX = 100


def audio_features(model: ServingModel, track_ids: list[str]) -> list[dict[str, Any] | None]:
    """Each track's audio-features object, in the order asked; None where the catalog lacks the track."""
    found, _ = recommend.track_records(model, track_ids)
    by_id = {track["track_id"]: track for track in found}
    objects = []
    for track_id in track_ids:
        track = by_id.get(track_id)
        objects.append(None if track is None else {"id": track_id} | {name: track[name] for name in AUDIO_FEATURE_FIELDS[1:]})
    return objects


@router.get("", response_model=AudioFeaturesList, responses=error_responses((422, f"no ids, or more than {IDS_MAX}"), NO_MODEL))
async def several_audio_features(
    model: CurrentModel, ids: Annotated[list[Annotated[str, StringConstraints(pattern=IDS_VALUE)]], Query(min_length=1, description=f"1 to {IDS_MAX} track ids, comma-separated or repeated")]
) -> dict[str, Any]:
    """Audio features of up to 100 tracks: one object per id, null for an id the catalog lacks."""
    return {"audio_features": audio_features(model, split_ids(ids, IDS_MAX))}


@router.get(
    "/{track_id}", response_model=AudioFeatures, responses=error_responses((404, "the current model's catalog lacks the track"), NO_MODEL)
)
async def one_audio_features(track_id: Annotated[str, Path(max_length=512)], model: CurrentModel) -> dict[str, Any]:
    """One track's audio features."""
    recommend.track_record(model, track_id)  # 404 for a track the catalog lacks
    [found] = audio_features(model, [track_id])
    return found
