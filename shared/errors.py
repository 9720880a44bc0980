"""The project's error types.

One base error carries a stable ``code``; precise subclasses name what went wrong. The API
alone maps codes to HTTP statuses (``services/api/errors.py``); every other entry point
prints ``message`` as the one line an operator reads.
"""

from __future__ import annotations

from typing import Any


class MusicrecError(Exception):
    """Base of every error this project raises on purpose."""

    code = "internal_error"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class ConfigError(MusicrecError):
    code = "config_error"


class InvalidInput(MusicrecError):
    """A caller passed something the schema does not allow (bad feature, bad k, bad id)."""

    code = "invalid_input"


class StorageError(MusicrecError):
    """The object store failed for a named object."""

    code = "storage_error"


class StorageUnavailable(StorageError):
    code = "storage_unavailable"


class ObjectNotFound(StorageError):
    code = "object_not_found"


class ManifestMissing(StorageError):
    """A prefix has no manifest.json, so it is not a published dataset or model."""

    code = "manifest_missing"


class BundleIntegrityError(StorageError):
    """A published file does not match the sha256 or size its manifest records."""

    code = "bundle_integrity_error"


class DatasetNotFound(MusicrecError):
    code = "dataset_not_found"


class ModelNotFound(MusicrecError):
    code = "model_not_found"


class ModelNotLoaded(MusicrecError):
    code = "model_not_loaded"


class TrackNotFound(MusicrecError):
    code = "track_not_found"


class RedisUnavailable(MusicrecError):
    code = "redis_unavailable"


class IngestError(MusicrecError):
    """A catalog could not be turned into a dataset (bad file, bad layout, no valid row)."""

    code = "ingest_error"


class TrainingError(MusicrecError):
    code = "training_error"
