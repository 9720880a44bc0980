"""``GET /v1/search``: tracks and artists of the served catalog by name."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import StringConstraints

from shared.errors import InvalidInput
from services.api.dependencies import CurrentModel
from services.api.model import ServingModel
from services.api.recommend import record
from services.api.schemas import NO_MODEL, SearchResults, error_responses
from services.api.tuning import split_ids

router = APIRouter(prefix="/v1/search", tags=["search"])

TYPES = ("track", "artist")
TYPES_VALUE = r"^(track|artist)(,(track|artist))*$"
QUERY_MAX = 200
LIMIT_MAX, OFFSET_MAX = 50, 1000


def search(model: ServingModel, q: str, types: list[str], limit: int, offset: int) -> dict[str, Any]:
    """Pages of matching tracks (full records) and artists (id, name, popularity, tracks), best first."""
    query, catalog, found = model.search.normal(q), model.catalog, {}
    if "track" in types:
        matches = model.search.tracks.find(query, offset + limit)
        rows = matches.ids[offset:].tolist()
        items = [record(model, row, track) for row, track in zip(rows, catalog.records(rows))]
        found["tracks"] = {"items": items, "total": matches.total, "limit": limit, "offset": offset}
    if "artist" in types:
        matches = model.search.artists.find(query, offset + limit)
        codes = matches.ids[offset:].tolist()
        items = [
            {"id": catalog.artist_ids[code], "name": catalog.artist_names[code],
             "popularity": _known(model.search.artists.popularity[code]), "tracks": int(catalog.artists.starts[code + 1] - catalog.artists.starts[code])}
            for code in codes
        ]  # fmt: skip
        found["artists"] = {"items": items, "total": matches.total, "limit": limit, "offset": offset}
    return found


def search_types(kinds: list[str]) -> list[str]:
    """The ``type`` parameter's kinds (comma-separated or repeated), each one of :data:`TYPES`."""
    types = split_ids(kinds)
    unknown = [t for t in types if t not in TYPES]
    if unknown or not types:
        raise InvalidInput(f"type: unknown {unknown}; choose from {list(TYPES)}", details={"field": "type", "allowed": list(TYPES)})
    return types


def _known(popularity: float) -> int | None:
    return int(popularity) if popularity >= 0 else None


@router.get("", response_model=SearchResults, responses=error_responses((422, "an empty or too long q, an unknown type, a limit or offset out of range"), NO_MODEL))
async def search_catalog(
    model: CurrentModel,
    q: Annotated[str, Query(min_length=1, max_length=QUERY_MAX, pattern=r"\S", description="words of a track name or an artist's name; case, accents and punctuation do not matter")],
    kinds: Annotated[list[Annotated[str, StringConstraints(pattern=TYPES_VALUE)]], Query(alias="type", description="track, artist, or both (comma-separated or repeated)")] = ["track", "artist"],  # noqa: B006
    limit: Annotated[int, Query(ge=1, le=LIMIT_MAX)] = 20,
    offset: Annotated[int, Query(ge=0, le=OFFSET_MAX)] = 0,
) -> dict[str, Any]:
    """Exact names first, then names that start with the query, then names (or artists) with every
    word of it; popularity breaks ties."""
    return {"model_version": model.version, **search(model, q, search_types(kinds), limit, offset)}
