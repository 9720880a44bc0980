"""Model bundles from generated tracks, for tests and benchmarks of the serving side.

The tracks look like a real catalog: genres with their own sound, values inside the
schema's ranges, and a share of re-releases (same name and artist, another id, nearly the
same features). Clusters come from a few rounds of k-means in NumPy, so no trainer is
needed; the bundle is written with :func:`shared.bundle.write_bundle` like any other.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pyarrow as pa

from shared.bundle import SCALED_PREFIX, write_bundle
from shared.ids import new_id
from shared.manifest import utc_now
from shared.schema import FEATURE_NAMES, FEATURES, TRACK_COLUMNS
from shared.storage import ObjectStore

GENRES = ("pop", "rock", "hip-hop", "jazz", "classical", "electronic", "folk", "metal")


def generate_tracks(rows: int, seed: int = 0, id_prefix: str = "t", rerelease_share: float = 0.03) -> pa.Table:
    """``rows`` tracks with metadata and every schema feature in its original units."""
    rng = np.random.default_rng(seed)
    low = np.array([FEATURES[f].minimum for f in FEATURE_NAMES])
    high = np.array([FEATURES[f].maximum for f in FEATURE_NAMES])
    style = rng.uniform(low, high, size=(len(GENRES), len(FEATURE_NAMES)))
    genre = rng.integers(0, len(GENRES), rows)
    values = np.clip(style[genre] + rng.normal(0, 0.12, (rows, len(FEATURE_NAMES))) * (high - low), low, high)
    names = np.array([f"Song {i}" for i in range(rows)], dtype=object)
    artists = np.array([f"Artist {i}" for i in rng.integers(0, max(1, rows // 8), rows)], dtype=object)
    copies = rng.choice(rows, int(rows * rerelease_share), replace=False) if rows > 1 else np.array([], dtype=int)
    originals = rng.integers(0, rows, len(copies))
    names[copies], artists[copies], genre[copies] = names[originals], artists[originals], genre[originals]
    values[copies] = np.clip(values[originals] + rng.normal(0, 0.002, (len(copies), len(FEATURE_NAMES))) * (high - low), low, high)
    genre_names = np.array(GENRES, dtype=object)[genre]
    second = np.array(GENRES, dtype=object)[(genre + 1 + rng.integers(0, len(GENRES) - 1, rows)) % len(GENRES)]
    two_labels = rng.random(rows) < 0.3
    columns = {
        "track_id": pa.array([f"{id_prefix}{i:07d}" for i in range(rows)]),
        "track_name": pa.array(names.tolist(), pa.string()),
        "artist_name": pa.array(artists.tolist(), pa.string()),
        "genre": pa.array(genre_names.tolist(), pa.string()),
        "genres": pa.array([[g, s] if both else [g] for g, s, both in zip(genre_names, second, two_labels)], pa.list_(pa.string())),
        "popularity": pa.array(rng.integers(0, 101, rows), pa.int32()),
        "year": pa.array(rng.integers(1960, 2025, rows), pa.int32()),
        "key": pa.array(rng.integers(0, 12, rows), pa.int32()),
        "mode": pa.array((rng.random(rows) < 0.6).astype(np.int32)),
        "duration_ms": pa.array(rng.integers(60_000, 480_000, rows), pa.int64()),
        "time_signature": pa.array(rng.choice([3, 4, 5], rows, p=[0.1, 0.85, 0.05]).astype(np.int32)),
        "explicit": pa.array(rng.random(rows) < 0.1),
    }
    columns |= {f: pa.array(values[:, i]) for i, f in enumerate(FEATURE_NAMES)}
    return pa.table(columns)


def nearest(points: np.ndarray, centroids: np.ndarray, chunk: int = 200_000) -> np.ndarray:
    out = np.empty(len(points), dtype=np.int32)
    squared = (centroids**2).sum(axis=1)
    for start in range(0, len(points), chunk):
        block = points[start : start + chunk]
        out[start : start + chunk] = np.argmin(squared - 2 * block @ centroids.T, axis=1)
    return out


def fit_centroids(points: np.ndarray, k: int, seed: int = 0, rounds: int = 25, sample: int = 20_000) -> np.ndarray:
    """Lloyd's k-means on a sample, started from k distinct sample points."""
    rng = np.random.default_rng(seed)
    fit_on = points[rng.choice(len(points), min(sample, len(points)), replace=False)]
    centroids = fit_on[rng.choice(len(fit_on), k, replace=False)].copy()
    for _ in range(rounds):
        assigned = nearest(fit_on, centroids)
        for c in range(k):
            members = fit_on[assigned == c]
            if len(members):
                centroids[c] = members.mean(axis=0)
    return centroids


def _label(centroid: np.ndarray, features: Sequence[str]) -> str:
    strongest = np.argsort(-np.abs(centroid))[:2]
    return ", ".join(f"{'high' if centroid[i] > 0 else 'low'} {features[i]}" for i in strongest)


def build_model(version: str, tracks: pa.Table, features: Sequence[str] = FEATURE_NAMES, k: int = 6, seed: int = 0) -> tuple[dict, pa.Table]:
    """A model document and its catalog (scaled float32 features) over ``tracks``."""
    features = list(features)
    raw = np.column_stack([tracks.column(f).to_numpy() for f in features]).astype(np.float64)
    mean, scale = raw.mean(axis=0), raw.std(axis=0)
    scale[scale == 0] = 1.0
    scaled = (raw - mean) / scale
    centroids = fit_centroids(scaled, k, seed)
    cluster = nearest(scaled, centroids)
    sizes = np.bincount(cluster, minlength=k)
    model = {
        "version": version,
        "created_at": utc_now(),
        "features": features,
        "k": k,
        "scaler": {"mean": mean.tolist(), "scale": scale.tolist()},
        "centroids": centroids.tolist(),
        "clusters": [
            {"id": c, "label": _label(centroids[c], features), "size": int(sizes[c]),
             "centroid": dict(zip(features, (centroids[c] * scale + mean).tolist()))}
            for c in range(k)
        ],  # fmt: skip
        "params": {"k": k, "seed": seed, "algorithm": "lloyd (numpy)"},
        "metrics": {"inertia": float(((scaled - centroids[cluster]) ** 2).sum())},
        "lineage": {"dataset_id": f"generated-{seed}", "rows": tracks.num_rows},
    }
    catalog = tracks.select([c for c in TRACK_COLUMNS if c in tracks.column_names])
    catalog = catalog.append_column("cluster", pa.array(cluster, pa.int32()))
    for i, f in enumerate(features):
        catalog = catalog.append_column(SCALED_PREFIX + f, pa.array(scaled[:, i].astype(np.float32)))
    return model, catalog


def publish_model(
    store: ObjectStore,
    rows: int = 2000,
    *,
    version: str | None = None,
    features: Sequence[str] = FEATURE_NAMES,
    k: int = 6,
    seed: int = 0,
    id_prefix: str = "t",
) -> str:
    """Generate, fit and publish a bundle; returns its version."""
    version = version or new_id()
    model, catalog = build_model(version, generate_tracks(rows, seed, id_prefix), features, k, seed)
    write_bundle(store, model, catalog)
    return version
