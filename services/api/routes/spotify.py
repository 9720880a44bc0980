"""``/spotify/v1/``: the closed Spotify endpoints, in Spotify's own shapes, from the served catalog.

An app built on a Spotify client library keeps working by changing its base URL (spotipy:
``client.prefix = "http://<musicrec>/spotify/v1/"``). Each route answers through the same code
as its ``/v1`` counterpart and only renders the answer the way Spotify did: ``seeds`` with
``initialPoolSize`` and ``afterFilteringSize``, tracks with ``artists: [{id, name}]``,
``audio_features: [...]``, paging objects for search. What the catalog lacks (albums, URIs,
images, markets) is null, never invented. Ids may be raw ids or ``spotify:track:``/
``spotify:artist:`` URIs; ``market`` is accepted and ignored (the catalog has no markets), and
so is an ``Authorization`` header, as on every read route.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import ConfigDict, Field, StringConstraints

from services.api import recommend
from services.api.dependencies import CurrentModel, query_model, query_parameters
from services.api.model import ServingModel
from services.api.routes.audio_features import audio_features
from services.api.routes.search import LIMIT_MAX as SEARCH_LIMIT_MAX, OFFSET_MAX, QUERY_MAX, TYPES_VALUE, search, search_types
from services.api.routes.tracks import IDS_MAX
from services.api.schemas import NO_MODEL, error_responses
from services.api.tuning import IDS_VALUE, RecommendationParams, split_ids
from shared.errors import InvalidInput

router = APIRouter(prefix="/spotify/v1", tags=["spotify-compatible"])

MARKET = r"^([A-Z]{2}|from_token)$"  # an ISO 3166-1 alpha-2 code, as Spotify takes it
Market = Annotated[str | None, Query(pattern=MARKET, description="accepted and ignored: the catalog has no markets")]
Ids = Annotated[list[Annotated[str, StringConstraints(pattern=IDS_VALUE)]], Query(min_length=1, description=f"1 to {IDS_MAX} ids or URIs, comma-separated")]


class SpotifyRecommendationParams(RecommendationParams):
    """Spotify's parameters: seeds, limit and the min_/max_/target_ attributes (musicrec's options too)."""

    model_config = ConfigDict(extra="forbid")

    market: str | None = Field(None, pattern=MARKET, description="accepted and ignored: the catalog has no markets")


def spotify_track(track: dict[str, Any]) -> dict[str, Any]:
    """A musicrec track record as Spotify's track object."""
    artists = [] if track["artist_name"] is None else [spotify_artist_ref(track["artist_id"], track["artist_name"])]
    return {
        "id": track["track_id"], "name": track["track_name"], "type": "track", "artists": artists,
        "duration_ms": track["duration_ms"], "explicit": track["explicit"], "popularity": track["popularity"],
        "album": None, "uri": None, "href": None, "external_urls": None, "external_ids": None, "preview_url": None,
        "available_markets": None, "disc_number": None, "track_number": None, "is_local": None,
    }  # fmt: skip


def spotify_artist_ref(artist_id: str | None, name: str | None) -> dict[str, Any]:
    return {"id": artist_id, "name": name, "type": "artist", "uri": None, "href": None, "external_urls": None}


def spotify_audio_features(features: dict[str, Any] | None) -> dict[str, Any] | None:
    if features is None:
        return None
    return features | {"type": "audio_features", "uri": None, "track_href": None, "analysis_url": None}


@router.get(
    "/recommendations",
    responses=error_responses((422, "as GET /v1/recommendations"), NO_MODEL),
    openapi_extra=query_parameters(SpotifyRecommendationParams),
)
async def recommendations(
    model: CurrentModel, wanted: Annotated[SpotifyRecommendationParams, Depends(query_model(SpotifyRecommendationParams))]
) -> dict[str, Any]:
    """``GET /v1/recommendations`` in the shape of Spotify's recommendations object."""
    found = recommend.recommend(model, wanted)
    seeds = [
        {"id": seed["id"], "type": seed["type"].upper(), "href": None, "initialPoolSize": seed["initial_pool_size"],
         "afterFilteringSize": seed["after_filtering_size"], "afterRelinkingSize": seed["after_filtering_size"]}
        for seed in found["seeds"]
    ]  # fmt: skip
    return {"seeds": seeds, "tracks": [spotify_track(track) for track in found["tracks"]]}


@router.get("/recommendations/available-genre-seeds", responses=error_responses(NO_MODEL))
async def available_genre_seeds(model: CurrentModel) -> dict[str, Any]:
    return {"genres": model.catalog.genre_names}


@router.get("/audio-features", responses=error_responses((422, f"no ids, or more than {IDS_MAX}"), NO_MODEL))
@router.get("/audio-features/", include_in_schema=False)
async def several_audio_features(model: CurrentModel, ids: Ids) -> dict[str, Any]:
    """One audio-features object per id, null for an id the catalog lacks."""
    return {"audio_features": [spotify_audio_features(f) for f in audio_features(model, split_ids(ids, IDS_MAX))]}


ONE_ID = r"^[^,]*[^,\s][^,]*$"  # a path's one id: not blank, no comma


def one_id(track_id: str) -> str:
    """The one track id of a path (a raw id or a ``spotify:track:`` URI); :class:`InvalidInput` naming
    ``track_id`` when it is blank or a list."""
    ids = split_ids([track_id])
    if len(ids) != 1:
        raise InvalidInput(f"track_id: one track id, not blank and without commas; {len(ids)} were given",
                           details={"field": "track_id"})  # fmt: skip
    return ids[0]


@router.get("/audio-features/{track_id}", responses=error_responses((404, "the catalog lacks the track"), NO_MODEL))
async def one_audio_features(model: CurrentModel, track_id: Annotated[str, Path(max_length=512, pattern=ONE_ID)]) -> dict[str, Any]:
    wanted = one_id(track_id)
    recommend.track_record(model, wanted)  # 404 for a track the catalog lacks
    [found] = audio_features(model, [wanted])
    return spotify_audio_features(found)


@router.get("/tracks", responses=error_responses((422, f"no ids, or more than {IDS_MAX}"), NO_MODEL))
@router.get("/tracks/", include_in_schema=False)
async def several_tracks(model: CurrentModel, ids: Ids, market: Market = None) -> dict[str, Any]:
    """One track object per id, null for an id the catalog lacks."""
    wanted = split_ids(ids, IDS_MAX)
    found, _ = recommend.track_records(model, wanted)
    by_id = {track["track_id"]: spotify_track(track) for track in found}
    return {"tracks": [by_id.get(track_id) for track_id in wanted]}


@router.get("/tracks/{track_id}", responses=error_responses((404, "the catalog lacks the track"), NO_MODEL))
async def one_track(model: CurrentModel, track_id: Annotated[str, Path(max_length=512, pattern=ONE_ID)], market: Market = None) -> dict[str, Any]:
    return spotify_track(recommend.track_record(model, one_id(track_id)))


def _page(request: Request, items: list[Any], total: int, limit: int, offset: int) -> dict[str, Any]:
    def at(where: int) -> str:
        return str(request.url.include_query_params(offset=where, limit=limit))

    return {
        "href": str(request.url), "items": items, "limit": limit, "offset": offset, "total": total,
        "next": at(offset + limit) if offset + limit < min(total, OFFSET_MAX + limit) else None,
        "previous": at(max(0, offset - limit)) if offset > 0 else None,
    }  # fmt: skip


def _artist_genres(model: ServingModel, code: int) -> list[str]:
    rows = model.catalog.artists.members(code).tolist()
    genres = model.catalog.columns["genres"].values(rows)
    return sorted({genre for labels in genres if labels for genre in labels})


@router.get("/search", responses=error_responses((422, "an empty or too long q, an unknown type, a limit or offset out of range"), NO_MODEL))
async def search_catalog(
    request: Request,
    model: CurrentModel,
    q: Annotated[str, Query(min_length=1, max_length=QUERY_MAX, pattern=r"\S")],
    kinds: Annotated[list[Annotated[str, StringConstraints(pattern=TYPES_VALUE)]], Query(alias="type", description="track and/or artist, comma-separated")],
    limit: Annotated[int, Query(ge=1, le=SEARCH_LIMIT_MAX)] = 20,
    offset: Annotated[int, Query(ge=0, le=OFFSET_MAX)] = 0,
    market: Market = None,
) -> dict[str, Any]:
    """Spotify's search for tracks and artists: paging objects of track and artist objects."""
    found = search(model, q, search_types(kinds), limit, offset)
    answer: dict[str, Any] = {}
    if "tracks" in found:
        page = found["tracks"]
        answer["tracks"] = _page(request, [spotify_track(t) for t in page["items"]], page["total"], limit, offset)
    if "artists" in found:
        page = found["artists"]
        items = [
            spotify_artist_ref(a["id"], a["name"]) | {"popularity": a["popularity"], "followers": None, "images": None,
                                                     "genres": _artist_genres(model, model.catalog.artist_code[a["id"]])}
            for a in page["items"]
        ]  # fmt: skip
        answer["artists"] = _page(request, items, page["total"], limit, offset)
    return answer
