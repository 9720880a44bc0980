"""Request and response bodies of the API, with the examples shown at ``/docs``.

Feature fields come from :mod:`shared.schema`, so ranges are defined once. A feature may be
omitted (the current model decides which it needs) but never null, a string, NaN or ±Inf.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from shared.jobs import K_MAX, K_MIN
from shared.schema import AUDIO_FEATURES, METADATA_COLUMNS, TRACK_COLUMNS, FeatureRange

LIMIT_MIN, LIMIT_MAX, LIMIT_DEFAULT = 1, 50, 5
EXCLUDE_MAX = 1000

# Ranges of request fields that are not features, for 422 messages.
FIELD_RANGES: dict[str, tuple[float, float]] = {"limit": (LIMIT_MIN, LIMIT_MAX), "k": (K_MIN, K_MAX)}

EXAMPLE_FEATURES = {
    "danceability": 0.72, "energy": 0.81, "loudness": -5.2, "speechiness": 0.05, "acousticness": 0.08,
    "instrumentalness": 0.0, "liveness": 0.12, "valence": 0.64, "tempo": 122.0,
}  # fmt: skip


def _feature_field(spec: FeatureRange) -> Any:
    unit = f" ({spec.unit})" if spec.unit else ""
    return (
        float,
        Field(None, ge=spec.minimum, le=spec.maximum, allow_inf_nan=False, strict=True,
              description=f"{spec.description}{unit}, {spec.describe()}"),
    )  # fmt: skip


FeatureValues = create_model(
    "FeatureValues",
    __config__=ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE_FEATURES]}),
    __doc__="Audio features of the wanted sound; the model in use says which are required.",
    **{spec.name: _feature_field(spec) for spec in AUDIO_FEATURES},
)


class RecommendationRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"features": EXAMPLE_FEATURES, "limit": 5, "exclude_track_ids": []}]},
    )

    features: FeatureValues  # type: ignore[valid-type]
    limit: int = Field(LIMIT_DEFAULT, ge=LIMIT_MIN, le=LIMIT_MAX, strict=True, description="how many tracks to return")
    exclude_track_ids: list[str] = Field(
        default_factory=list, max_length=EXCLUDE_MAX, description="tracks (and their other versions) never to return"
    )


def _track_field(kind: str) -> Any:
    return (str | None if kind == "string" else int | None, ...)


TrackRecord = create_model(
    "TrackRecord",
    __doc__="A catalog track as the serving model's catalog holds it.",
    **{name: _track_field(METADATA_COLUMNS[name]) for name in TRACK_COLUMNS},
)


class RecommendedTrack(TrackRecord):  # type: ignore[valid-type, misc]
    distance: float = Field(description="Euclidean distance in the model's scaled feature space")


class ClusterRef(BaseModel):
    id: int
    label: str


class Recommendations(BaseModel):
    model_version: str
    cluster: ClusterRef
    tracks: list[RecommendedTrack]


class TrackRecommendations(Recommendations):
    track: TrackRecord  # type: ignore[valid-type]


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


class ModelList(BaseModel):
    models: list[dict[str, Any]] = Field(description="every published version, oldest first (or why it cannot be read)")
    current: str | None = Field(description="the version the pointer names")
    serving: str | None = Field(description="the version this process serves")


class DatasetList(BaseModel):
    datasets: list[dict[str, Any]] = Field(description="complete datasets, oldest first")


class PointerMove(BaseModel):
    version: str
    previous: str | None
    time: str
    actor: str
    reason: str


class TrainingJobCreated(BaseModel):
    job_id: str
    url: str
    created: bool = Field(description="false when an identical job was already queued or running")
    dataset_id: str


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
