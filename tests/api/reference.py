"""A brute-force reading of the recommendation rule, written for the tests from its definition:
score every track of the bundle's catalog, filter, sort, and pick, with no index."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from shared.bundle import SCALED_PREFIX, Bundle
from shared.ids import derived_id


def normal(text: str | None) -> str | None:
    return text.strip().lower() if text is not None else None


class Reference:
    def __init__(self, bundle: Bundle) -> None:
        self.model = bundle.model
        self.rows = bundle.catalog.to_pylist()
        features = self.model.features
        self.points = np.array([[row[SCALED_PREFIX + f] for f in features] for row in self.rows], dtype=np.float32).astype(np.float64)
        self.song = [(normal(r["track_name"]), normal(r["artist_name"])) if r["track_name"] is not None and r["artist_name"] is not None
                     else ("row", i) for i, r in enumerate(self.rows)]  # fmt: skip
        self.artist = [derived_id("artist", normal(r["artist_name"])) if r["artist_name"] is not None else None for r in self.rows]
        self.labels = {c.id: c.label for c in self.model.clusters}

    def point_of(self, kind: str, value: str) -> np.ndarray:
        if kind == "track":
            return self.points[[r["track_id"] for r in self.rows].index(value)]
        if kind == "artist":
            return self.points[[i for i, a in enumerate(self.artist) if a == value]].mean(axis=0)
        members = [i for i, r in enumerate(self.rows) if value.lower() in [normal(g) for g in r["genres"] or []]]
        return self.points[members].mean(axis=0)

    def moments(self, name: str) -> tuple[float, float]:
        known = [r[name] for r in self.rows if r[name] is not None]
        mean = float(np.mean(known)) if known else 0.0
        spread = float(np.std(known)) if known else 1.0
        return mean, spread if spread > 0 else 1.0

    def answer(self, seeds: list[tuple[str, str]], targets: dict[str, float], ranges: dict[str, tuple[Any, Any]],
               limit: int, exclude: list[str] = (), max_per_artist: int | None = None, same_cluster: bool = False,
               features: dict[str, float] | None = None) -> dict[str, Any]:  # fmt: skip
        model = self.model
        points = [self.point_of(kind, value) for kind, value in seeds]
        if features is not None:
            points.append((np.array([features[f] for f in model.features]) - np.array(model.scaler.mean)) / np.array(model.scaler.scale))
        point = np.mean(points, axis=0)
        soft = []
        for name, target in targets.items():
            if name in model.features:
                at = model.features.index(name)
                point[at] = (target - model.scaler.mean[at]) / model.scaler.scale[at]
            else:
                soft.append((name, target, *self.moments(name)))
        cluster = int(np.argmin(((np.array(model.centroids) - point) ** 2).sum(axis=1)))
        skipped = {self.song[i] for i, r in enumerate(self.rows) if r["track_id"] in exclude}
        skipped |= {self.song[[r["track_id"] for r in self.rows].index(value)] for kind, value in seeds if kind == "track"}

        def passes(row: dict) -> bool:
            for name, (low, high) in ranges.items():
                value = row[name]
                if value is None or (low is not None and value < low) or (high is not None and value > high):
                    return False
            return True

        universe = [i for i, r in enumerate(self.rows) if not same_cluster or r["cluster"] == cluster]
        candidates = [i for i in universe if self.song[i] not in skipped]
        passing = [i for i in candidates if passes(self.rows[i])]
        scored = []
        for i in passing:
            total = float(((self.points[i] - point) ** 2).sum())
            for name, target, mean, spread in soft:
                value = self.rows[i][name] if self.rows[i][name] is not None else mean
                total += ((value - target) / spread) ** 2
            scored.append((math.sqrt(total), i))
        scored.sort()
        chosen, songs, per_artist = [], set(), {}
        for score, i in scored:
            if self.song[i] in songs:
                continue
            artist = self.artist[i]
            if max_per_artist is not None and artist is not None and per_artist.get(artist, 0) >= max_per_artist:
                continue
            per_artist[artist] = per_artist.get(artist, 0) + 1
            songs.add(self.song[i])
            chosen.append((self.rows[i]["track_id"], score))
            if len(chosen) == limit:
                break
        return {"cluster": cluster, "tracks": chosen, "initial_pool_size": len(candidates), "after_filtering_size": len(passing)}
