"""Recommendations as the API answers them: model version, cluster and the nearest tracks.

``search`` (the gateway's) runs the k-d tree search (:meth:`ServingModel.nearest`): on the
event loop itself, or on the search threads, where the compiled search runs without the GIL
while the loop answers other requests.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Iterable, Mapping

import numpy as np
import orjson

from shared.errors import InvalidInput, TrackNotFound
from services.api.model import ServingModel

Search = Callable[..., Awaitable[tuple[np.ndarray, np.ndarray]]]  # -> catalog rows, distances


def _answer(model: ServingModel, cluster: int, found: tuple[np.ndarray, np.ndarray]) -> dict[str, Any]:
    """The answer (for orjson: the tracks are rendered JSON already)."""
    rows, distances = found
    return {
        "model_version": model.version,
        "cluster": {"id": cluster, "label": model.labels[cluster]},
        "tracks": orjson.Fragment(model.catalog.tracks_json(rows, distances.tolist())),
    }


def excluded_songs(model: ServingModel, track_ids: Iterable[str]) -> set[int]:
    """Song numbers of the given tracks (ids the catalog lacks exclude nothing)."""
    rows = (model.catalog.row_of(track_id) for track_id in track_ids)
    return {int(model.catalog.songs[row]) for row in rows if row is not None}


async def for_features(
    model: ServingModel,
    features: Mapping[str, float | None],
    limit: int,
    exclude_track_ids: Iterable[str],
    search: Search,
) -> dict[str, Any]:
    """Tracks like the described one; every feature the model uses must be given."""
    missing = [f for f in model.features if features.get(f) is None]
    if missing:
        raise InvalidInput(
            f"features {missing} are required by model {model.version}, which uses {model.features}",
            details={"field": "features", "missing": missing, "required": model.features},
        )
    cluster, point = model.locate(features)
    found = await search(model.nearest, cluster, point, limit, excluded_songs(model, exclude_track_ids))
    return _answer(model, cluster, found)


async def for_track(model: ServingModel, track_id: str, limit: int, search: Search) -> dict[str, Any]:
    """More like a catalog track: never the track itself nor another version of its song."""
    row = model.catalog.row_of(track_id)
    if row is None:
        raise TrackNotFound(
            f"track {track_id!r} is not in the catalog of model {model.version}",
            details={"track_id": track_id, "model_version": model.version},
        )
    cluster, point = model.track_point(row)
    answer = _answer(model, cluster, await search(model.nearest, cluster, point, limit, {int(model.catalog.songs[row])}))
    return {"track": model.catalog.track(row), **answer}
