"""The recommendation rule, in one place.

1. **The query point**, in the model's scaled space: the mean of the seeds (a track is its own
   point, an artist the mean of its tracks, a genre the mean of its tracks) and of the feature
   values when given. Each ``target_`` on a feature the model uses replaces that coordinate.
2. **The candidates**: every catalog track (with ``same_cluster``, those of the query point's
   cluster) that passes every ``min_``/``max_`` filter (a track without a value for a filtered
   attribute does not pass), less the seed tracks, the excluded tracks and every other version
   of their songs.
3. **The score** of a candidate: its Euclidean distance to the query point, with each ``target_``
   on an attribute the model does not use added as one more dimension: the difference from the
   target in the catalog's standard deviations of that attribute (a missing value counts as the
   catalog's mean). Without such targets the score is the plain distance.
4. **The answer**: candidates in order of score (then catalog row), skipping other versions of a
   song already chosen and, with ``max_per_artist``, artists already chosen that often, up to
   ``limit``: exactly what scanning every candidate would give.

The ranking comes from the neighbour index (:mod:`services.api.neighbours`): the filters (and
the cluster) are ranges on its attributes and the soft targets terms of its score, so its
stream of the passing tracks by score is read until the answer is full and no unseen track
could still score better than the last one chosen. It knows nothing of songs or artists:
skipping them is :func:`choose`'s. The pool sizes come from the index's count of the tracks
that pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from shared.errors import InvalidInput, TrackNotFound
from services.api.kdtree import Conditions
from services.api.model import ATTRIBUTES, ServingModel
from services.api.neighbours import ranked
from services.api.tuning import Tuning

ATTRIBUTE_AT = {name: position for position, name in enumerate(ATTRIBUTES)}
FIRST_EXTRA = 2  # candidates asked for first beyond ``limit``, for versions of one song and skipped tracks


@dataclass(frozen=True)
class Seed:
    id: str
    type: str  # track, artist or genre
    point: np.ndarray
    row: int | None = None  # a track seed's catalog row


@dataclass
class Query:
    point: np.ndarray
    cluster: int
    limit: int
    same_cluster: bool = False
    max_per_artist: int | None = None
    ranges: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    soft: list[tuple[str, float]] = field(default_factory=list)  # (attribute, target) the model does not use
    skipped_songs: set[int] = field(default_factory=set)


def resolve_seeds(model: ServingModel, wanted: Tuning) -> list[Seed]:
    """Each seed with its point; :class:`InvalidInput` naming every seed the catalog lacks."""
    catalog, seeds, unknown = model.catalog, [], []
    for kind, value in wanted.seeds():
        if kind == "track":
            row = catalog.row_of(value)
            found = None if row is None else Seed(value, kind, model.track_point(row), row)
        elif kind == "artist":
            code = catalog.artist_code.get(value)
            found = None if code is None else Seed(value, kind, catalog.artists.centroids[code])
        else:
            code = catalog.genre_code.get(value.strip().lower())
            found = None if code is None else Seed(value, kind, catalog.genres.centroids[code])
        if found is None:
            unknown.append({"type": kind, "id": value})
        else:
            seeds.append(found)
    if unknown:
        names = ", ".join(f"{u['type']} {u['id']!r}" for u in unknown)
        raise InvalidInput(
            f"unknown seed(s) for model {model.version}: {names}",
            details={"field": "seeds", "unknown": unknown, "model_version": model.version},
        )
    return seeds


def build_query(model: ServingModel, wanted: Tuning, seeds: list[Seed], features: Mapping[str, float | None] | None) -> Query:
    points = [seed.point for seed in seeds]
    if features is not None:
        missing = [f for f in model.features if features.get(f) is None]
        if missing:
            raise InvalidInput(
                f"features {missing} are required by model {model.version}, which uses {model.features}",
                details={"field": "features", "missing": missing, "required": model.features},
            )
        points.append(model.scaled(features))
    point = points[0].copy() if len(points) == 1 else np.mean(points, axis=0)
    soft = []
    for name, target in wanted.targets().items():
        if name in model.features:
            at = model.features.index(name)
            point[at] = (target - model.mean[at]) / model.scale[at]
        else:
            soft.append((name, target))
    skipped = model.catalog.songs_of(wanted.exclude_track_ids) | {int(model.catalog.songs[s.row]) for s in seeds if s.row is not None}
    return Query(point, model.nearest_cluster(point), wanted.limit, wanted.same_cluster, wanted.max_per_artist,
                 wanted.ranges(), soft, skipped)  # fmt: skip


def conditions(model: ServingModel, query: Query) -> Conditions:
    """The query's filters (with ``same_cluster``, the cluster too) and soft targets, as the
    index's conditions on the model's attributes."""
    ranges = dict(query.ranges)
    if query.same_cluster:
        ranges["cluster"] = (query.cluster, query.cluster)
    at, catalog = ATTRIBUTE_AT, model.catalog
    return Conditions(
        filtered=np.array([at[name] for name in ranges], np.int64),
        low=np.array([-np.inf if low is None else low for low, _ in ranges.values()], np.float64),
        high=np.array([np.inf if high is None else high for _, high in ranges.values()], np.float64),
        soft=np.array([at[name] for name, _ in query.soft], np.int64),
        target=np.array([target for _, target in query.soft], np.float64),
        scale=np.array([catalog.spreads[name] for name, _ in query.soft], np.float64),
    )


def pool_sizes(model: ServingModel, query: Query, wanted: Conditions) -> tuple[int, int]:
    """Candidates before and after the filters: the catalog (or the cluster), less skipped songs' tracks."""
    skipped_rows = model.catalog.song_rows(query.skipped_songs)
    if query.same_cluster:
        universe = int(model.cluster_sizes[query.cluster])
        initial = universe - int(np.count_nonzero(model.cluster_of_row[skipped_rows] == query.cluster))
    else:
        initial = model.catalog.size - len(skipped_rows)
    if not query.ranges:
        return initial, initial
    after = model.index.count(wanted) - int(np.count_nonzero(model.index.passes(skipped_rows, wanted)))
    return initial, after


def choose(model: ServingModel, query: Query, rows: np.ndarray, score: np.ndarray) -> list[tuple[int, float]]:
    """(row, score) of the answer from candidates: by score then row, one per song, artists capped."""
    order = np.lexsort((rows, score))
    songs, artists = model.catalog.songs, model.catalog.artist_of_row
    seen, per_artist, chosen = set(query.skipped_songs), {}, []
    for row, value in zip(rows[order].tolist(), score[order].tolist()):
        song = int(songs[row])
        if song in seen:
            continue
        if query.max_per_artist is not None:
            artist = int(artists[row])
            if artist >= 0 and per_artist.get(artist, 0) >= query.max_per_artist:
                continue
            per_artist[artist] = per_artist.get(artist, 0) + 1
        seen.add(song)
        chosen.append((row, value))
        if len(chosen) == query.limit:
            break
    return chosen


def nearest(model: ServingModel, query: Query, wanted: Conditions) -> list[tuple[int, float]]:
    """The answer's (row, score), exactly as scoring every candidate would give."""
    seen_rows, seen_scores, chosen = [], [], []
    for rows, scores in ranked(model.index, query.point, query.limit + FIRST_EXTRA, wanted):
        seen_rows.append(rows)
        seen_scores.append(scores)
        chosen = choose(model, query, np.concatenate(seen_rows), np.concatenate(seen_scores))
        if len(chosen) == query.limit and chosen[-1][1] < scores[-1]:
            break  # every unseen track scores at least as much as the last one yielded
    return chosen


def record(model: ServingModel, row: int, track: dict[str, Any], score: float | None = None) -> dict[str, Any]:
    """A track's full record: its columns, its cluster, and (in an answer) its distance."""
    cluster = int(model.cluster_of_row[row])
    track = track | {"cluster": {"id": cluster, "label": model.labels[cluster]}}
    return track if score is None else track | {"distance": score}


def recommend(model: ServingModel, wanted: Tuning, features: Mapping[str, float | None] | None = None) -> dict[str, Any]:
    """The answer to a recommendation request (GET and POST alike)."""
    seeds = resolve_seeds(model, wanted)
    query = build_query(model, wanted, seeds, features)
    wanted = conditions(model, query)
    initial, after = pool_sizes(model, query, wanted)
    chosen = nearest(model, query, wanted)
    tracks = model.catalog.records([row for row, _ in chosen])
    return {
        "model_version": model.version,
        "cluster": {"id": query.cluster, "label": model.labels[query.cluster]},
        "seeds": [{"id": s.id, "type": s.type, "initial_pool_size": initial, "after_filtering_size": after} for s in seeds],
        "tracks": [record(model, row, track, score) for (row, score), track in zip(chosen, tracks)],
    }


def track_records(model: ServingModel, track_ids: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """Full records of the tracks the catalog has, in the order asked, and the ids it lacks."""
    rows = [model.catalog.row_of(track_id) for track_id in track_ids]
    found = [row for row in rows if row is not None]
    records = [record(model, row, track) for row, track in zip(found, model.catalog.records(found))]
    return records, [track_id for track_id, row in zip(track_ids, rows) if row is None]


def track_record(model: ServingModel, track_id: str) -> dict[str, Any]:
    """The full record of a track the catalog must have; :class:`TrackNotFound` (404) when it lacks it."""
    row = model.catalog.row_of(track_id)
    if row is None:
        raise TrackNotFound(
            f"track {track_id!r} is not in the catalog of model {model.version}",
            details={"track_id": track_id, "model_version": model.version},
        )
    return record(model, row, model.catalog.records([row])[0])
