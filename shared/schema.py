"""The feature schema: one definition of the audio features and their valid ranges.

Ingest enforces these ranges, the trainer assumes them and the API validates requests
against them. NaN and +/-Inf are never valid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

from shared.errors import InvalidInput


@dataclass(frozen=True)
class FeatureRange:
    name: str
    minimum: float
    maximum: float
    unit: str = ""
    description: str = ""

    def contains(self, value: float) -> bool:
        return math.isfinite(value) and self.minimum <= value <= self.maximum

    def describe(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        return f"{self.minimum:g} to {self.maximum:g}{unit}"


AUDIO_FEATURES: tuple[FeatureRange, ...] = (
    FeatureRange("danceability", 0.0, 1.0, description="how suitable for dancing"),
    FeatureRange("energy", 0.0, 1.0, description="perceived intensity and activity"),
    FeatureRange("loudness", -60.0, 5.0, "dB", "overall loudness"),
    FeatureRange("speechiness", 0.0, 1.0, description="presence of spoken words"),
    FeatureRange("acousticness", 0.0, 1.0, description="confidence the track is acoustic"),
    FeatureRange("instrumentalness", 0.0, 1.0, description="likelihood of no vocals"),
    FeatureRange("liveness", 0.0, 1.0, description="presence of an audience"),
    FeatureRange("valence", 0.0, 1.0, description="musical positiveness"),
    # 0 BPM means "unknown" in the public data sets; it is rejected, not kept.
    FeatureRange("tempo", 30.0, 250.0, "BPM", "estimated tempo"),
)

FEATURES: dict[str, FeatureRange] = {f.name: f for f in AUDIO_FEATURES}
FEATURE_NAMES: tuple[str, ...] = tuple(FEATURES)

# Metadata columns of a cleaned dataset, in order, with their Arrow/Spark-neutral type names.
METADATA_COLUMNS: dict[str, str] = {
    "track_id": "string",
    "track_name": "string",
    "artist_name": "string",
    "genre": "string",  # the first label
    "genres": "list<string>",  # every label
    "popularity": "int",
    "year": "int",
    "key": "int",
    "mode": "int",
    "duration_ms": "long",
    "time_signature": "int",
    "explicit": "bool",
}

# A track's record, as a model's catalog keeps it (besides its cluster and scaled features) and
# the API returns it: the metadata, every genre label, and every audio feature in its original
# units. A column the dataset lacks is null.
TRACK_COLUMNS: dict[str, str] = {**METADATA_COLUMNS, **{feature: "double" for feature in FEATURE_NAMES}}

# Metadata a recommendation can be tuned by (target_, min_, max_), besides the audio features.
TUNABLE_METADATA: tuple[str, ...] = ("popularity", "year", "duration_ms", "key", "mode", "time_signature")

# Ranges of the metadata columns that have one (inclusive); None = open-ended.
METADATA_RANGES: dict[str, tuple[float | None, float | None]] = {
    "popularity": (0, 100),
    "key": (0, 11),
    "mode": (0, 1),
    "duration_ms": (1, 86_400_000),  # a day
    "time_signature": (0, 7),
    "year": (1900, 2100),
}

# Longest text a name column keeps; a longer cell is nulled (``too_long:<column>``).
TEXT_MAX_LENGTH = 1_000

# Columns of a cleaned dataset, in order: metadata then features (all features are doubles).
DATASET_COLUMNS: tuple[str, ...] = tuple(METADATA_COLUMNS) + FEATURE_NAMES


def json_integer(value: object) -> object:
    """A before-validator for strict integer fields: an integer as JSON Schema has it is 3 or 3.0
    (never "3", 3.5 or true), so 3.0 becomes 3."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def validate_feature_names(names: Iterable[str]) -> tuple[str, ...]:
    """Return ``names`` as a tuple, or raise naming every name the schema does not know."""
    names = tuple(names)
    unknown = [n for n in names if n not in FEATURES]
    if unknown:
        raise InvalidInput(
            f"unknown feature(s) {unknown}; the schema has {list(FEATURE_NAMES)}",
            details={"unknown": unknown, "allowed": list(FEATURE_NAMES)},
        )
    if not names:
        raise InvalidInput("at least one feature is required", details={"allowed": list(FEATURE_NAMES)})
    if len(set(names)) != len(names):
        raise InvalidInput(f"feature names repeat: {list(names)}")
    return names
