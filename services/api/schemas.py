"""Response bodies of the API (and the bodies of the operator routes), as ``/docs`` shows them.

The recommendation request models are in :mod:`services.api.tuning`; track fields come from
:data:`shared.schema.TRACK_COLUMNS`, so they are defined once.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from shared.jobs import K_MAX, K_MIN
from shared.schema import TRACK_COLUMNS
from services.api.tuning import LIMIT_MAX, LIMIT_MIN

# Spotify's audio-features object, field by field.
AUDIO_FEATURE_FIELDS = (
    "id", "danceability", "energy", "key", "loudness", "mode", "speechiness", "acousticness", "instrumentalness",
    "liveness", "valence", "tempo", "duration_ms", "time_signature",
)  # fmt: skip

# Ranges of request fields that are not features, for 422 messages.
FIELD_RANGES: dict[str, tuple[float, float]] = {"limit": (LIMIT_MIN, LIMIT_MAX), "k": (K_MIN, K_MAX)}


PYTHON_TYPES: dict[str, Any] = {"string": str, "int": int, "long": int, "bool": bool, "double": float, "list<string>": list[str]}


class ClusterRef(BaseModel):
    id: int
    label: str


TrackColumns = create_model(
    "TrackColumns",
    **{name: (PYTHON_TYPES[kind] | None, ...) for name, kind in TRACK_COLUMNS.items()},
)


class TrackRecord(TrackColumns):  # type: ignore[valid-type, misc]
    """A catalog track: its metadata, genres, audio features in original units, artist id and cluster
    (null where the catalog lacks the value)."""

    artist_id: str | None = Field(description="a stable id derived from the artist's name (a seed_artists value)")
    cluster: ClusterRef


class RecommendedTrack(TrackRecord):
    distance: float = Field(
        description="what the answer is ranked by: the Euclidean distance to the query point in the model's scaled "
        "space, with each target on an attribute the model does not use as one more dimension"
    )


class SeedPool(BaseModel):
    id: str
    type: str = Field(description="track, artist or genre")
    initial_pool_size: int = Field(description="tracks the answer could come from: the catalog (or the query's cluster) "
                                   "less seed and excluded tracks and their other versions")  # fmt: skip
    after_filtering_size: int = Field(description="those of them that pass every min_/max_ filter")


class Recommendations(BaseModel):
    model_version: str
    cluster: ClusterRef = Field(description="the query point's cluster")
    seeds: list[SeedPool]
    tracks: list[RecommendedTrack]


class TrackRecommendations(Recommendations):
    track: TrackRecord


class TrackList(BaseModel):
    model_version: str
    tracks: list[TrackRecord] = Field(description="the tracks found, in the order asked")
    missing: list[str] = Field(description="ids the catalog lacks")


class GenreSeeds(BaseModel):
    model_version: str
    genres: list[str]


class ArtistResult(BaseModel):
    id: str = Field(description="a seed_artists value")
    name: str | None
    popularity: int | None = Field(description="its most popular track's")
    tracks: int = Field(description="its tracks in the catalog")


class TrackPage(BaseModel):
    items: list[TrackRecord]
    total: int = Field(description="tracks that match in all")
    limit: int
    offset: int


class ArtistPage(BaseModel):
    items: list[ArtistResult]
    total: int = Field(description="artists that match in all")
    limit: int
    offset: int


class SearchResults(BaseModel):
    model_version: str
    tracks: TrackPage | None = Field(None, description="with type=track")
    artists: ArtistPage | None = Field(None, description="with type=artist")


AudioFeatures = create_model(
    "AudioFeatures",
    __doc__="The shape of Spotify's audio-features object, as far as the catalog has the values.",
    id=(str, ...),
    **{name: (PYTHON_TYPES[TRACK_COLUMNS[name]] | None, ...) for name in AUDIO_FEATURE_FIELDS if name != "id"},
)


class AudioFeaturesList(BaseModel):
    audio_features: list[AudioFeatures | None] = Field(description="one per id asked for, null where the catalog lacks it")  # type: ignore[valid-type]


class LabelWord(BaseModel):
    feature: str
    word: str
    z: float = Field(description="the centroid's distance from the catalog mean, in standard deviations")


class ClusterGenre(BaseModel):
    genre: str
    tracks: int = Field(description="how many of the cluster's tracks have this genre")
    share: float = Field(description="share of the cluster's tracks that have this genre")
    catalog_share: float = Field(description="share of the whole catalog's tracks that have this genre")


class ExampleTrack(BaseModel):
    track_id: str
    track_name: str | None
    artist_name: str | None
    distance: float = Field(description="distance from the centroid in the scaled space")


class Cluster(ClusterRef):
    size: int
    share: float | None = Field(None, description="the cluster's share of the catalog")
    centroid: dict[str, float] = Field(description="the centroid in the features' original units")
    standardized: dict[str, float] | None = Field(None, description="the centroid in standard deviations from the catalog mean")
    words: list[LabelWord] | None = Field(None, description="what the label is made of, most distinctive first")
    top_genres: list[ClusterGenre] | None = Field(None, description="the cluster's most common genres (none without genres)")
    examples: list[ExampleTrack] | None = Field(None, description="the tracks nearest the centroid, one per artist")
    unavailable: dict[str, str] = Field(default_factory=dict, description="why a figure above is null")


class Clusters(BaseModel):
    model_version: str
    clusters: list[Cluster]


class ModelReport(BaseModel):
    """One published model: what it was trained on and with, its clusters, figures, ablation and drift."""

    version: str
    created_at: str
    features: list[str]
    k: int
    clusters: list[Cluster]
    params: dict[str, Any]
    metrics: dict[str, Any] = Field(description="held-out figures, the k selection with every candidate's figures")
    ablation: dict[str, Any] | None = Field(description="each feature dropped and the scaling off, against the full model")
    drift: dict[str, Any] | None = Field(description="PSI per feature of the newest dataset (then) against the model's")
    lineage: dict[str, Any]
    unavailable: dict[str, str] = Field(default_factory=dict, description="why a section above is null")


class LargestDrift(BaseModel):
    feature: str
    psi: float


class DatasetDrift(BaseModel):
    """Population stability index of each feature of ``against``, with ``dataset_id`` as the reference."""

    dataset_id: str
    against: str
    rows: dict[str, int] = Field(description="rows of each dataset")
    method: str
    psi: dict[str, float]
    largest: LargestDrift | None
    threshold: float = Field(description="MUSICREC_DRIFT_PSI: a feature above it has drifted")
    drifted: list[str]
    unavailable: dict[str, str] = Field(default_factory=dict)


class DatasetList(BaseModel):
    datasets: list[dict[str, Any]] = Field(description="complete datasets, oldest first")


class PointerMove(BaseModel):
    version: str
    previous: str | None
    time: str
    actor: str
    reason: str


class SupersededMove(BaseModel):
    version: str = Field(description="the published version that did not become current")
    pointer_at_start: str | None = Field(description="the version its training job started from")
    superseded_by: str | None = Field(description="the version the pointer named instead when the job finished")
    time: str
    actor: str
    reason: str = Field(description="the quality gate's decision the job had reached")


class ModelList(BaseModel):
    models: list[dict[str, Any]] = Field(description="every published version, oldest first (or why it cannot be read)")
    current: str | None = Field(description="the version the pointer names")
    serving: str | None = Field(description="the version this process serves")
    history: list[PointerMove] | None = Field(
        description="the pointer's moves, newest first: version, previous, time, actor (trainer, operator, ...) and "
        "reason (the quality gate's decision or the operator's words); null when Redis is unreachable"
    )
    superseded: list[SupersededMove] | None = Field(
        description="versions whose job passed the gate but found the pointer moved by another job meanwhile, so "
        "the pointer stayed (compare-and-set), newest first; null when Redis is unreachable"
    )


class TrainingJobCreated(BaseModel):
    job_id: str
    url: str
    created: bool = Field(description="false when an identical job was already queued or running")
    dataset_id: str


class IngestJobCreated(BaseModel):
    job_id: str
    url: str
    dataset_id: str = Field(description="the id the dataset will have once published")
    source: str = Field(description="what the job ingests: the upload under uploads/, or the s3:// URI given")


class TrainingJobState(BaseModel):
    job_id: str
    status: str = Field(description="RQ's status: queued, started, finished, failed, scheduled, ...")
    stage: str | None
    enqueued_at: str | None
    started_at: str | None
    ended_at: str | None
    result: dict[str, Any] | None
    error: str | None


class Readiness(BaseModel):
    ready: bool
    model_version: str | None
    loaded_at: str | None
    pointer: str | None
    redis: dict[str, bool]
    object_store: dict[str, bool]
    last_reload_error: dict[str, Any] | None


class ActivationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "roll back: lower silhouette"}]})

    reason: str = Field("activated by an operator", min_length=1, max_length=500)


class ErrorDetail(BaseModel):
    code: str = Field(description="stable, machine-readable: invalid_input, track_not_found, model_not_loaded, ...")
    message: str = Field(description="what was wrong, for a person")
    details: dict[str, Any] = Field(description="the fields and values concerned")


class ErrorBody(BaseModel):
    """Every 4xx and 5xx answer."""

    error: ErrorDetail


# (status, why) of the refusals several routes document
NOT_JSON = (400, "the body is not JSON")
TOO_LARGE = (413, "the body is larger than the limit")
NO_MODEL = (503, "no model is loaded yet")
STORE_AWAY = (503, "the object store is unreachable")
SERVICES_AWAY = (503, "Redis or the object store is unreachable")


def error_responses(*described: tuple[int, str]) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route: each (status, why) with the one error body."""
    return {status: {"description": why, "model": ErrorBody} for status, why in described}
