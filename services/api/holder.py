"""The one reference requests read, and what the reloader last saw and failed at.

A request takes ``holder.model`` once and runs entirely on that model; a reload replaces
the reference in one assignment, so in-flight requests finish on the model they started on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.errors import ModelNotLoaded
from shared.pointer import KEYS
from services.api.model import ServingModel


@dataclass
class ReloadFailure:
    version: str
    code: str
    message: str
    at: str
    attempts: int
    retry_at: float  # time.monotonic() of the next attempt
    retry_in_seconds: float

    def public(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "code": self.code,
            "message": self.message,
            "at": self.at,
            "attempts": self.attempts,
            "retry_in_seconds": self.retry_in_seconds,
        }


@dataclass
class ModelHolder:
    model: ServingModel | None = None
    pointer: str | None = None  # the version the pointer named when last read
    pointer_read: bool = False  # the pointer was read at least once
    failure: ReloadFailure | None = None

    def current(self) -> ServingModel:
        """The serving model, or :class:`ModelNotLoaded` saying why there is none."""
        model = self.model
        if model is not None:
            return model
        if self.failure is not None:
            raise ModelNotLoaded(
                f"no model is loaded: version {self.failure.version} failed to load ({self.failure.message}); "
                f"retrying in {self.failure.retry_in_seconds:g}s",
                details={"reload_error": self.failure.public()},
            )
        if self.pointer_read and self.pointer is None:
            raise ModelNotLoaded(
                f"no model is published yet: Redis key {KEYS.model_current} is unset; train and publish one first"
            )
        if self.pointer is not None:
            raise ModelNotLoaded(f"model {self.pointer} is still loading; retry shortly", details={"version": self.pointer})
        raise ModelNotLoaded("no model is loaded yet: the model pointer in Redis could not be read")
