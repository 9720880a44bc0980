"""Prometheus metrics of one API process (its own registry, so every app is independent)."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class ApiMetrics:
    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        self.requests = Counter(
            "musicrec_http_requests", "HTTP requests answered", ["method", "route", "status"], registry=registry
        )
        self.latency = Histogram(
            "musicrec_http_request_duration_seconds", "Time to answer a request", ["method", "route"],
            buckets=LATENCY_BUCKETS, registry=registry,
        )  # fmt: skip
        self.model_info = Gauge("musicrec_model_info", "The model version being served (value 1)", ["version"], registry=registry)
        self.model_loaded_at = Gauge(
            "musicrec_model_loaded_timestamp_seconds", "When the serving model was swapped in", registry=registry
        )
        self.model_load_seconds = Gauge(
            "musicrec_model_load_seconds", "Download, verification and indexing time of the serving model", registry=registry
        )
        self.catalog_tracks = Gauge("musicrec_model_catalog_tracks", "Tracks in the serving model's catalog", registry=registry)
        self.reloads = Counter("musicrec_model_reloads", "Models swapped in", registry=registry)
        self.reload_failures = Counter(
            "musicrec_model_reload_failures", "Bundles refused or not reachable, by error code", ["code"], registry=registry
        )
        self.reload_failing = Gauge(
            "musicrec_model_reload_failing", "1 while the version the pointer names cannot be loaded", registry=registry
        )
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = (self.requests.labels(method, route, str(status)), self.latency.labels(method, route))
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def model_swapped(self, previous: str | None, version: str, tracks: int, load_seconds: float) -> None:
        if previous is not None and previous != version:
            self.model_info.remove(previous)
        self.model_info.labels(version).set(1)
        self.model_loaded_at.set(time.time())
        self.model_load_seconds.set(load_seconds)
        self.catalog_tracks.set(tracks)
        self.reloads.inc()
        self.reload_failing.set(0)

    def reload_failed(self, code: str) -> None:
        self.reload_failures.labels(code).inc()
        self.reload_failing.set(1)

    def render(self) -> bytes:
        return generate_latest(self.registry)
