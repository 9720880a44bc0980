"""The recommendation rule, in one place.

Scale the query into the model's space, take its cluster's tracks as the candidates, rank them
by distance, skip excluded tracks and other versions of a song already chosen (tracks with
the same name and artist: a song's nearest version stands for it), and stop at ``limit``.
The ranking comes from the neighbour index (:mod:`services.api.neighbours`), which knows
nothing of clusters or songs; the answer is exactly what a scan of every candidate would give.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import numpy as np

from shared.errors import InvalidInput, TrackNotFound
from services.api.model import ServingModel
from services.api.neighbours import ranked

# Candidates asked for first beyond ``limit``, for versions of one song and other clusters' tracks.
FIRST_EXTRA = 2


def nearest_tracks(model: ServingModel, point: np.ndarray, cluster: int, limit: int, skip_songs: Iterable[int]) -> list[tuple[int, float]]:
    """(row, distance) of the ``limit`` nearest tracks of ``cluster``, one per song, none of ``skip_songs``."""
    skipped = set(skip_songs)
    songs = model.catalog.songs
    chosen: list[tuple[int, float]] = []
    for rows, distances in ranked(model.index, point, first=limit + FIRST_EXTRA):
        candidates = model.cluster_of_row[rows] == cluster
        for row, distance in zip(rows[candidates].tolist(), distances[candidates].tolist()):
            song = int(songs[row])
            if song in skipped:
                continue
            skipped.add(song)
            chosen.append((row, distance))
            if len(chosen) == limit:
                return chosen
    return chosen


def _answer(model: ServingModel, cluster: int, chosen: list[tuple[int, float]]) -> dict[str, Any]:
    records = model.catalog.records([row for row, _ in chosen])
    return {
        "model_version": model.version,
        "cluster": {"id": cluster, "label": model.labels[cluster]},
        "tracks": [record | {"distance": distance} for record, (_, distance) in zip(records, chosen)],
    }


def for_features(model: ServingModel, features: Mapping[str, float | None], limit: int, exclude_track_ids: Iterable[str]) -> dict[str, Any]:
    """Tracks like the described one; every feature the model uses must be given."""
    missing = [f for f in model.features if features.get(f) is None]
    if missing:
        raise InvalidInput(
            f"features {missing} are required by model {model.version}, which uses {model.features}",
            details={"field": "features", "missing": missing, "required": model.features},
        )
    point = model.scaled(features)
    cluster = model.nearest_cluster(point)
    return _answer(model, cluster, nearest_tracks(model, point, cluster, limit, model.catalog.songs_of(exclude_track_ids)))


def for_track(model: ServingModel, track_id: str, limit: int) -> dict[str, Any]:
    """More like a catalog track, from its own cluster: never the track itself nor another version of its song."""
    row = model.catalog.row_of(track_id)
    if row is None:
        raise TrackNotFound(
            f"track {track_id!r} is not in the catalog of model {model.version}",
            details={"track_id": track_id, "model_version": model.version},
        )
    cluster = int(model.cluster_of_row[row])
    chosen = nearest_tracks(model, model.track_point(row), cluster, limit, {int(model.catalog.songs[row])})
    return {"track": model.catalog.records([row])[0], **_answer(model, cluster, chosen)}
