"""Hot reload: follow the Redis pointer and swap in each new model without a restart.

Two daemon threads. The *listener* subscribes to ``musicrec:model-updates`` and wakes the
*follower*, which also reads the pointer every ``reload_poll_seconds`` in case a message was
lost or Redis restarted. The follower downloads, verifies and indexes a new bundle while the
old model keeps serving, then swaps the holder's one reference. A bundle that fails is never
served: the failure is logged, counted and shown, and retried with a doubling delay. Redis
or MinIO being away only delays reloads; both threads reconnect by themselves.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import threading
import time

import pyarrow as pa
import redis

from shared.bundle import load_bundle
from shared.errors import MusicrecError, RedisUnavailable
from shared.manifest import utc_now
from shared.pointer import KEYS, ModelPointer
from shared.storage import ObjectStore
from services.api.holder import ModelHolder, ReloadFailure
from services.api.metrics import ApiMetrics
from services.api.model import serving_model
from services.api.settings import ApiSettings

log = logging.getLogger(__name__)

RECONNECT_MAX_SECONDS = 5.0
LISTEN_SECONDS = 0.25  # how long one wait for a message lasts; bounds how long stop() takes


def release_free_memory() -> None:
    """Give the memory of a replaced model and of a load's scratch copies back to the system.

    Without this the process keeps the peak of every swap (two models plus a bundle being
    parsed) as its resident size.
    """
    gc.collect()
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the allocator keeps what it keeps
        pass


class ModelReloader:
    def __init__(
        self,
        settings: ApiSettings,
        store: ObjectStore,
        client: redis.Redis,
        holder: ModelHolder,
        metrics: ApiMetrics,
    ) -> None:
        self.settings = settings
        self.store = store
        self.client = client
        self.pointer = ModelPointer(client)
        self.holder = holder
        self.metrics = metrics
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._first_attempt = threading.Event()
        self._redis_away = False
        self._threads = [
            threading.Thread(target=self._follow, name="model-follower", daemon=True),
            threading.Thread(target=self._listen, name="model-listener", daemon=True),
        ]

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def wait_first_attempt(self, timeout: float) -> bool:
        return self._first_attempt.wait(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)

    def wake(self) -> None:
        self._wake.set()

    # -- following the pointer -----------------------------------------------------------
    def _follow(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                self.check()
            except Exception:  # never let the follower die; the next pass tries again
                log.exception("model reload pass failed unexpectedly")
            self._first_attempt.set()
            self._wake.wait(self._next_wait())

    def _next_wait(self) -> float:
        """The poll interval, or less when a failed version's retry falls due sooner."""
        wait = self.settings.reload_poll_seconds
        failure = self.holder.failure
        due_in = failure.retry_at - time.monotonic() if failure is not None else wait
        return min(wait, due_in) if due_in > 0 else wait

    def check(self) -> None:
        """One pass: read the pointer and load what it names, unless served or backing off."""
        try:
            version = self.pointer.current()
        except RedisUnavailable as exc:
            if not self._redis_away:
                log.warning("cannot read the model pointer; serving the loaded model meanwhile: %s", exc.message)
            self._redis_away = True
            return
        if self._redis_away:
            log.info("model pointer readable again")
        self._redis_away = False
        self.holder.pointer, self.holder.pointer_read = version, True
        served = self.holder.model
        if version is None or (served is not None and served.version == version):
            self.holder.failure = None  # nothing (else) to load
            self.metrics.reload_failing.set(0)
            return
        failure = self.holder.failure
        if failure is not None and failure.version == version and time.monotonic() < failure.retry_at:
            return
        self._load(version)

    def _load(self, version: str) -> None:
        started = time.perf_counter()
        try:
            model = serving_model(load_bundle(self.store, version), self.settings.neighbour_index)
        except Exception as exc:
            self._failed(version, exc)
            return
        seconds = time.perf_counter() - started
        previous = self.holder.model
        self.holder.model = model  # the swap: one reference
        self.holder.failure = None
        self.metrics.model_swapped(previous.version if previous else None, version, model.catalog.size, seconds)
        log.info(
            "now serving model %s (%d tracks, loaded in %.2fs)", version, model.catalog.size, seconds,
            extra={"version": version, "previous": previous.version if previous else None, "load_seconds": round(seconds, 3)},
        )  # fmt: skip
        del previous, model
        release_free_memory()

    def _failed(self, version: str, exc: Exception) -> None:
        release_free_memory()
        previous = self.holder.failure
        attempts = previous.attempts + 1 if previous is not None and previous.version == version else 1
        delay = min(self.settings.reload_retry_max_seconds, self.settings.reload_retry_seconds * 2 ** (attempts - 1))
        if isinstance(exc, MusicrecError):
            code, message = exc.code, exc.message
            log.error("model %s not loaded (attempt %d, retry in %gs): %s", version, attempts, delay, message)
        else:
            code, message = "internal_error", f"{exc.__class__.__name__}: {exc}"
            log.exception("model %s not loaded (attempt %d, retry in %gs)", version, attempts, delay)
        self.holder.failure = ReloadFailure(version, code, message, utc_now(), attempts, time.monotonic() + delay, delay)
        self.metrics.reload_failed(code)

    # -- listening for announcements -----------------------------------------------------
    def _listen(self) -> None:
        delay = 0.1
        while not self._stopping.is_set():
            pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(KEYS.model_updates)
                self._wake.set()  # anything announced while we were not listening
                delay = 0.1
                while not self._stopping.is_set():
                    if pubsub.get_message(timeout=LISTEN_SECONDS) is not None:
                        self._wake.set()
            except (redis.RedisError, OSError) as exc:
                log.warning("model update channel lost (%s); reconnecting in %.1fs", exc, delay)
                self._stopping.wait(delay)
                delay = min(RECONNECT_MAX_SECONDS, delay * 2)
            finally:
                try:
                    pubsub.close()
                except (redis.RedisError, OSError):
                    pass
