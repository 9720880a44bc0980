"""What a recommendation request may ask for: seeds, feature values, targets, ranges and options.

One model, :class:`Tuning`, is both the query of ``GET /v1/recommendations`` and (with
``features``) the body of ``POST /v1/recommendations``, so the two methods take the same fields
with the same meaning, checked the same way:

- ``seed_tracks``, ``seed_artists``, ``seed_genres``: comma-separated or repeated; 1 to 5 in all
  (none when ``features`` is given);
- ``target_<attribute>``, ``min_<attribute>``, ``max_<attribute>`` for every audio feature and for
  popularity, year, duration_ms, key, mode and time_signature, each within the attribute's range,
  a minimum never above its maximum; any other name is refused;
- ``limit`` (1 to 100), ``max_per_artist``, ``exclude_track_ids``, ``same_cluster``.

Ranges come from :mod:`shared.schema`, so they are defined once.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, create_model, field_validator, model_validator

from shared.errors import InvalidInput
from shared.schema import AUDIO_FEATURES, FEATURES, METADATA_RANGES, TUNABLE_METADATA, FeatureRange, json_integer

SEEDS_MAX = 5
LIMIT_MIN, LIMIT_MAX = 1, 100
EXCLUDE_MAX = 1000
SEED_KINDS = {"seed_tracks": "track", "seed_artists": "artist", "seed_genres": "genre"}
URI_PREFIXES = ("spotify:track:", "spotify:artist:")

# Each tunable attribute's valid range (None: open-ended).
TUNABLE_RANGES: dict[str, tuple[float | None, float | None]] = {
    **{spec.name: (spec.minimum, spec.maximum) for spec in AUDIO_FEATURES},
    **{name: METADATA_RANGES[name] for name in TUNABLE_METADATA},
}
TUNABLE_WORDS = {"target": "the value wanted", "min": "the lowest value allowed", "max": "the highest value allowed"}

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


def _tunable_field(word: str, name: str, strict: bool) -> Any:
    low, high = TUNABLE_RANGES[name]
    unit = FEATURES[name].unit if name in FEATURES else ""
    allowed = f"{low:g} to {high:g}" if high is not None else f"at least {low:g}"
    return (
        float | None,
        Field(None, ge=low, le=high, allow_inf_nan=False, strict=strict,
              description=f"{name}: {TUNABLE_WORDS[word]}{f' ({unit})' if unit else ''}, {allowed}"),
    )  # fmt: skip


def _seeds(what: str) -> Any:
    return (list[str], Field(default_factory=list, max_length=SEEDS_MAX, description=f"{what}, comma-separated or repeated"))


def tuning_fields(strict: bool) -> dict[str, Any]:
    """The fields of a request (see the module docstring): parsed from text in a query, taken as
    their JSON types only (``strict``) in a body."""
    return {
        "seed_tracks": _seeds("seed track ids (or spotify:track: URIs)"),
        "seed_artists": _seeds("seed artist ids (or spotify:artist: URIs)"),
        "seed_genres": _seeds("seed genres (GET /v1/recommendations/available-genre-seeds)"),
        **{f"{word}_{name}": _tunable_field(word, name, strict) for name in TUNABLE_RANGES for word in TUNABLE_WORDS},
        "limit": (int, Field(20, ge=LIMIT_MIN, le=LIMIT_MAX, strict=strict, description="how many tracks to return")),
        "max_per_artist": (int | None, Field(None, ge=1, strict=strict, description="at most this many tracks of one artist (default: no cap)")),
        "exclude_track_ids": (list[str], Field(default_factory=list, max_length=EXCLUDE_MAX, description="tracks (and their other versions) never to return")),
        "same_cluster": (bool, Field(False, strict=strict, description="only tracks of the query's cluster (default: the whole catalog)")),
    }  # fmt: skip


class Tuning(BaseModel):
    """Seeds, targets, ranges and options of a recommendation (see the module docstring); the
    fields are those of :func:`tuning_fields`, in the subclasses."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("seed_tracks", "seed_artists", "seed_genres", "exclude_track_ids", mode="before", check_fields=False)
    @classmethod
    def _split(cls, values: Any, info: ValidationInfo) -> Any:
        most = EXCLUDE_MAX if info.field_name == "exclude_track_ids" else SEEDS_MAX
        if not isinstance(values, list) or len(values) > most or not all(isinstance(v, str) for v in values):
            return values  # the list[str] check and its length say what is wrong
        return split_ids(values)

    _whole_numbers = field_validator("limit", "max_per_artist", mode="before", check_fields=False)(json_integer)

    @model_validator(mode="after")
    def _ranges_and_seeds(self) -> "Tuning":
        for name in TUNABLE_RANGES:
            low, high = getattr(self, f"min_{name}"), getattr(self, f"max_{name}")
            if low is not None and high is not None and low > high:
                raise ValueError(f"min_{name}={low:g} is above max_{name}={high:g}")
        seeds = len(self.seed_tracks) + len(self.seed_artists) + len(self.seed_genres)
        if seeds > SEEDS_MAX:
            raise ValueError(f"at most {SEEDS_MAX} seeds in all (tracks, artists and genres); {seeds} were given")
        if seeds == 0 and not self.has_features():
            raise ValueError("at least one seed is required: seed_tracks, seed_artists or seed_genres")
        return self

    def has_features(self) -> bool:
        return False

    def seeds(self) -> list[tuple[str, str]]:
        """(kind, id) of every seed, in the order given: tracks, artists, genres."""
        return [(kind, value) for field, kind in SEED_KINDS.items() for value in getattr(self, field)]

    def targets(self) -> dict[str, float]:
        return {name: value for name in TUNABLE_RANGES if (value := getattr(self, f"target_{name}")) is not None}

    def ranges(self) -> dict[str, tuple[float | None, float | None]]:
        bounds = {name: (getattr(self, f"min_{name}"), getattr(self, f"max_{name}")) for name in TUNABLE_RANGES}
        return {name: bound for name, bound in bounds.items() if bound != (None, None)}


# One query value of an id list: an id, or several comma-separated (at least one that is not blank).
IDS_VALUE = r"[^,\s]"


def split_ids(values: list[str], most: int | None = None, field: str = "ids") -> list[str]:
    """``["a,b", "spotify:track:c"]`` as ``["a", "b", "c"]`` (blanks dropped); :class:`InvalidInput`
    naming ``field`` when there are more than ``most``."""
    parts = [part.strip() for value in values for part in value.split(",")]
    ids = [_without_uri(part) for part in parts if part]
    if most is not None and not 1 <= len(ids) <= most:
        raise InvalidInput(f"{field}: give 1 to {most} ids; {len(ids)} were given", details={"field": field, "maximum": most})
    return ids


def _without_uri(value: str) -> str:
    for prefix in URI_PREFIXES:
        if value.startswith(prefix):
            return value[len(prefix) :]
    return value


class RecommendationParams(create_model("RecommendationQueryFields", __base__=Tuning, **tuning_fields(strict=False))):  # type: ignore[misc]
    """The query of ``GET /v1/recommendations``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"seed_tracks": ["6rqhFgbbKwnb9MLmUQDhG6"], "target_energy": 0.8, "min_tempo": 110}]},
    )


class RecommendationRequest(create_model("RecommendationFields", __base__=Tuning, **tuning_fields(strict=True))):  # type: ignore[misc]
    """The body of ``POST /v1/recommendations``: the same fields, and feature values as a query point."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"features": EXAMPLE_FEATURES, "limit": 5, "exclude_track_ids": []},
                                        {"seed_genres": ["jazz"], "target_energy": 0.3, "max_tempo": 100, "limit": 10}]},
    )  # fmt: skip

    features: FeatureValues | None = Field(None, description="audio features of the wanted sound (every feature the model uses)")  # type: ignore[valid-type]
    limit: int = Field(5, ge=LIMIT_MIN, le=LIMIT_MAX, strict=True, description="how many tracks to return")

    def has_features(self) -> bool:
        return self.features is not None
