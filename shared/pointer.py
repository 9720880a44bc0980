"""Redis keys and the model pointer.

The pointer ``musicrec:model:current`` names the model version the API serves. Moving it
sets the pointer and pushes a history entry in one MULTI/EXEC transaction, then publishes
the version on ``musicrec:model-updates``. A training job moves it by compare-and-set
(:meth:`ModelPointer.move_if`): only from the version it saw when it started, so a job that
finds the pointer moved meanwhile is superseded and never moves it back to an older model. The
refusal is kept, not lost: in the same transaction it pushes an entry on
``musicrec:model:superseded`` (the version, the pointer it started from, the version that
superseded it, when, who and why), which ``GET /v1/models`` lists. Redis errors surface as
:class:`RedisUnavailable` naming the key.
"""

from __future__ import annotations

import json
import logging
from contextlib import contextmanager
from typing import Any, Iterator

import redis

from shared.errors import RedisUnavailable
from shared.manifest import utc_now

log = logging.getLogger(__name__)

TRAINING_QUEUE = "training"
INGEST_QUEUE = "ingest"
HISTORY_LIMIT = 1000
ANY = object()  # ModelPointer._move: move whatever the pointer names


class RedisKeys:
    """The project's Redis keys and channel, under one prefix."""

    def __init__(self, prefix: str = "musicrec:") -> None:
        self.prefix = prefix
        self.datasets_latest = f"{prefix}datasets:latest"
        self.model_current = f"{prefix}model:current"  # the pointer
        self.model_history = f"{prefix}model:history"
        self.model_superseded = f"{prefix}model:superseded"  # compare-and-sets that lost
        self.model_updates = f"{prefix}model-updates"  # a pub/sub channel


KEYS = RedisKeys()


def connect(url: str, **kwargs: Any) -> redis.Redis:
    """A Redis client with timeouts, so a Redis that is away fails fast instead of hanging."""
    options = {"socket_timeout": 5.0, "socket_connect_timeout": 2.0, "health_check_interval": 30}
    options.update(kwargs)
    return redis.Redis.from_url(url, **options)


@contextmanager
def redis_errors(key: str, action: str) -> Iterator[None]:
    try:
        yield
    except redis.RedisError as exc:
        raise RedisUnavailable(f"could not {action} Redis key {key!r}: {exc}", details={"key": key}) from exc


class ModelPointer:
    """Read and move the pointer; read the history; follow the latest dataset id."""

    def __init__(self, client: redis.Redis, keys: RedisKeys = KEYS) -> None:
        self.client = client
        self.keys = keys

    def current(self) -> str | None:
        with redis_errors(self.keys.model_current, "read"):
            value = self.client.get(self.keys.model_current)
        return value.decode() if value is not None else None

    def move(self, version: str, *, actor: str, reason: str) -> dict[str, Any]:
        """Point at ``version`` and record who and why, atomically; then announce it.

        The history entry names the version it replaced; WATCH makes the read of the old
        pointer and the write of the new one a single optimistic transaction.
        """
        return self._move(version, actor=actor, reason=reason, expected=ANY) or {}  # never None without `expected`

    def move_if(self, version: str, *, expected: str | None, actor: str, reason: str) -> dict[str, Any] | None:
        """Compare-and-set: point at ``version`` only while the pointer still names ``expected``
        (None: no pointer yet). Returns the history entry, or None, leaving the pointer as it is,
        when it names another version; that refusal is recorded (:meth:`superseded`)."""
        return self._move(version, actor=actor, reason=reason, expected=expected)

    def _move(self, version: str, *, actor: str, reason: str, expected: object) -> dict[str, Any] | None:
        entry: dict[str, Any] = {}

        def change(pipe: redis.client.Pipeline) -> None:
            raw = pipe.get(self.keys.model_current)
            old = raw.decode() if raw is not None else None
            entry.clear()
            pipe.multi()
            if expected is not ANY and old != expected:  # superseded: the pointer stays, the refusal is recorded
                entry.update(version=version, pointer_at_start=expected, superseded_by=old, time=utc_now(), actor=actor, reason=reason)
                pipe.lpush(self.keys.model_superseded, json.dumps(entry))
                pipe.ltrim(self.keys.model_superseded, 0, HISTORY_LIMIT - 1)
                return
            entry.update(version=version, previous=old, time=utc_now(), actor=actor, reason=reason)
            pipe.set(self.keys.model_current, version)
            pipe.lpush(self.keys.model_history, json.dumps(entry))
            pipe.ltrim(self.keys.model_history, 0, HISTORY_LIMIT - 1)

        with redis_errors(self.keys.model_current, "move"):
            self.client.transaction(change, self.keys.model_current)
        if "superseded_by" in entry:
            log.info("model pointer not moved: it names another version", extra=entry)
            return None
        self.announce(version)
        log.info("model pointer moved", extra=entry)
        return dict(entry)

    def announce(self, version: str) -> int:
        """Publish the version on the channel; returns how many subscribers heard it."""
        with redis_errors(self.keys.model_updates, "publish on"):
            return int(self.client.publish(self.keys.model_updates, json.dumps({"version": version})))

    def history(self, limit: int = 100) -> list[dict[str, Any]]:
        with redis_errors(self.keys.model_history, "read"):
            raw = self.client.lrange(self.keys.model_history, 0, limit - 1)
        return [json.loads(item) for item in raw]

    def superseded(self, limit: int = 100) -> list[dict[str, Any]]:
        """The compare-and-sets that found the pointer moved, newest first (see :meth:`move_if`)."""
        with redis_errors(self.keys.model_superseded, "read"):
            raw = self.client.lrange(self.keys.model_superseded, 0, limit - 1)
        return [json.loads(item) for item in raw]

    def latest_dataset(self) -> str | None:
        with redis_errors(self.keys.datasets_latest, "read"):
            value = self.client.get(self.keys.datasets_latest)
        return value.decode() if value is not None else None

    def set_latest_dataset(self, dataset_id: str) -> None:
        with redis_errors(self.keys.datasets_latest, "write"):
            self.client.set(self.keys.datasets_latest, dataset_id)
