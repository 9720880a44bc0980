"""Quality of the recommendations on real catalogs: ``make bench-quality``.

Each real catalog in ``../shared/datasets/`` is ingested (the ingest job, Spark) and trained on
(the training job, automatic k) in the local stack, in a bucket and Redis database of the
benchmark's own. Then, on the served model (``services.api``'s rule, in this process), it measures
genre precision@5 with the query's own artist left out (the first five answers by another
artist; the share that has the query's genre):

- one-track seeds: for each of up to 500 tracks with a genre, ``seed_tracks=<that track>``;
- three-track seeds of one genre: 300 draws of three tracks of one genre, the genre to match;
- the baseline, in the same run: a plain exact k-nearest-neighbour search over the
  standardized features (scikit-learn), from the same queries (the track, the three tracks' mean).

Target: each at least the baseline (ratio >= 1.0) on each catalog.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.train import bench_env, bench_store  # noqa: E402
from tools.stack import LocalStack  # noqa: E402

DATASETS = ROOT.parent / "shared" / "datasets"
AT = 5
TARGET = 1.0


def ingested(store, path: Path) -> str:
    """The dataset of a real catalog in the bench bucket (ingested once, then reused)."""
    from services.ingest.job import ingest
    from services.ingest.settings import IngestSettings
    from shared.datasets import list_datasets

    for manifest in list_datasets(store):
        if manifest.get("source", {}).get("name") == path.name:
            return manifest["dataset_id"]
    return ingest(IngestSettings(), str(path), train=False).dataset_id


def trained(store, dataset_id: str) -> str:
    from services.trainer.pipeline import run_training
    from services.trainer.settings import TrainerSettings
    from shared.jobs import TrainingParameters
    from shared.pointer import ModelPointer, connect

    settings = TrainerSettings()
    result = run_training(settings, store, ModelPointer(connect(settings.redis_url)), TrainingParameters(dataset_id=dataset_id, force=True))
    return result["version"]


def precision(genres: list[str | None], artists: list, wanted: str, own: set) -> float | None:
    """The share of the first AT answers by another artist that have the wanted genre."""
    others = [genre for genre, artist in zip(genres, artists) if artist not in own][:AT]
    return sum(genre == wanted for genre in others) / len(others) if others else None


def measure(store, version: str, rng: np.random.Generator) -> dict[str, float]:
    from sklearn.neighbors import NearestNeighbors
    from sklearn.preprocessing import StandardScaler

    from services.api.model import serving_model
    from services.api.recommend import recommend
    from services.api.tuning import RecommendationParams
    from shared.bundle import load_bundle
    from shared.schema import FEATURE_NAMES

    bundle = load_bundle(store, version)
    model = serving_model(bundle)
    rows = bundle.catalog.to_pylist()
    ids = [r["track_id"] for r in rows]
    genre = [r["genre"] for r in rows]
    artist = [r["artist_name"] for r in rows]
    standardized = StandardScaler().fit_transform(np.array([[r[f] for f in FEATURE_NAMES] for r in rows]))
    neighbours = NearestNeighbors(algorithm="brute").fit(standardized)

    def baseline(point: np.ndarray, own: set, wanted: str, skip: set) -> float | None:
        _, found = neighbours.kneighbors(point[None, :], n_neighbors=min(len(rows), 200))
        kept = [i for i in found[0] if i not in skip]
        return precision([genre[i] for i in kept], [artist[i] for i in kept], wanted, own)

    def ours(seeds: list[int], own: set, wanted: str) -> float | None:
        answer = recommend(model, RecommendationParams(seed_tracks=[ids[i] for i in seeds], limit=100))["tracks"]
        return precision([t["genre"] for t in answer], [t["artist_name"] for t in answer], wanted, own)

    with_genre = [i for i, g in enumerate(genre) if g]
    figures: dict[str, list] = {"one seed": [], "one seed, baseline": [], "three seeds": [], "three seeds, baseline": []}
    for i in rng.choice(with_genre, min(500, len(with_genre)), replace=False).tolist():
        figures["one seed"].append(ours([i], {artist[i]}, genre[i]))
        figures["one seed, baseline"].append(baseline(standardized[i], {artist[i]}, genre[i], {i}))
    by_genre: dict[str, list[int]] = {}
    for i in with_genre:
        by_genre.setdefault(genre[i], []).append(i)
    pools = [members for members in by_genre.values() if len(members) >= 3]
    for _ in range(300):
        members = pools[int(rng.integers(0, len(pools)))]
        seeds = rng.choice(members, 3, replace=False).tolist()
        own = {artist[i] for i in seeds}
        figures["three seeds"].append(ours(seeds, own, genre[seeds[0]]))
        figures["three seeds, baseline"].append(baseline(standardized[seeds].mean(axis=0), own, genre[seeds[0]], set(seeds)))
    return {name: float(np.mean([v for v in values if v is not None])) for name, values in figures.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    catalogs = sorted(DATASETS.glob("*.csv"))
    if not catalogs:
        print(f"bench-quality: no real catalogs in {DATASETS}", file=sys.stderr)
        return 2
    stack = LocalStack(Path(os.environ.get("MUSICREC_HOME", ROOT / ".local")))
    stack.up(["redis", "minio"])
    os.environ.update(bench_env(stack))
    store = bench_store()
    missed = 0
    print(f"genre precision@{AT}, the query's own artist left out (machine: {os.cpu_count()} cores)")
    for path in catalogs:
        version = trained(store, ingested(store, path))
        figures = measure(store, version, np.random.default_rng(args.seed))
        print(f"\n{path.name} (model {version})")
        for name in ("one seed", "three seeds"):
            ratio = figures[name] / figures[f"{name}, baseline"]
            missed += ratio < TARGET
            print(f"  {name:<12} {figures[name]:.3f}   baseline {figures[name + ', baseline']:.3f}   "
                  f"ratio {ratio:.3f}   target >= {TARGET:g}: {'ok' if ratio >= TARGET else 'MISSED'}")  # fmt: skip
    print(f"\n{'all targets met' if not missed else f'targets missed: {missed}'}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
