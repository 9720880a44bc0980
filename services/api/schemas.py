"""Request and response bodies of the API, with the examples shown at ``/docs``.

Feature fields come from :mod:`shared.schema`, so ranges are defined once. A feature may be
omitted (the current model decides which it needs) but never null, a string, NaN or ±Inf.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from shared.jobs import K_MAX, K_MIN
from shared.schema import AUDIO_FEATURES, FeatureRange

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


COMPONENT_REF = "#/components/schemas/{model}"
REQUEST_SCHEMAS: dict[str, Any] = {}  # models of bodies routes read themselves, for the OpenAPI components


def request_body(schema: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI ``requestBody`` of a route that validates its body itself."""
    document = schema.model_json_schema(ref_template=COMPONENT_REF)
    REQUEST_SCHEMAS.update(document.pop("$defs", {}))
    REQUEST_SCHEMAS[schema.__name__] = document
    ref = {"$ref": COMPONENT_REF.format(model=schema.__name__)}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": ref}}}}


class ClusterRef(BaseModel):
    id: int
    label: str


class RecommendedTrack(BaseModel):
    track_id: str | None
    track_name: str | None
    artist_name: str | None
    genre: str | None
    distance: float = Field(description="Euclidean distance in the model's scaled feature space")


class Track(BaseModel):
    track_id: str | None
    track_name: str | None
    artist_name: str | None
    genre: str | None


class Recommendations(BaseModel):
    model_version: str
    cluster: ClusterRef
    tracks: list[RecommendedTrack]


class TrackRecommendations(Recommendations):
    track: Track


class ActivationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "roll back: lower silhouette"}]})

    reason: str = Field("activated by an operator", min_length=1, max_length=500)
