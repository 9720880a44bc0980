"""Named stages of one run (an ingest, a training job), timed and reported as each starts and ends.

One :class:`StageClock` per run: ``with clock.stage("fitting"):`` times the block, records its
seconds in ``clock.timings`` and tells the listener (a CLI's progress lines, a job's meta) when
the stage starts and when it is done. Stages may overlap (ingest scans while Spark starts).
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StageEvent:
    stage: str
    done: bool
    seconds: float = 0.0
    detail: str = ""


Listener = Callable[[StageEvent], None]


class StageClock:
    """Times named stages (some may overlap, e.g. the scan and the Spark start-up)."""

    def __init__(self, listener: Listener | None = None) -> None:
        self.listener = listener
        self.timings: dict[str, float] = {}
        self.started = time.perf_counter()
        self._lock = threading.Lock()

    @contextmanager
    def stage(self, name: str) -> Iterator[list[str]]:
        """Time the block; whatever it appends to the yielded list becomes the stage's detail."""
        detail: list[str] = []
        self._emit(StageEvent(name, False))
        begin = time.perf_counter()
        yield detail
        seconds = time.perf_counter() - begin
        with self._lock:
            self.timings[name] = round(seconds, 3)
        log.info("stage done", extra={"stage": name, "seconds": round(seconds, 3)})
        self._emit(StageEvent(name, True, seconds, "; ".join(detail)))

    def total(self) -> float:
        return round(time.perf_counter() - self.started, 3)

    def _emit(self, event: StageEvent) -> None:
        if self.listener is not None:
            with self._lock:
                self.listener(event)
