"""Benchmark of a training job: ``make bench-train`` (or ``python bench/train.py``).

On a dataset ingested (once, then reused) from a 1,160,000-row catalog made by
``democatalog.generate``, in the local stack (``make up``; its own bucket and Redis
database, so nothing the demo serves is touched), the whole job -- load, automatic k,
fit, evaluate, describe the clusters, the ablation study, drift, build the catalog,
publish, gate, pointer -- runs in a fresh process per repetition, which reports its stage
times and its peak memory. Measured in the same run as baselines: reading the dataset
alone, and one plain scikit-learn KMeans fit on every row at the chosen k. Prints each
run, the median of each stage with its share of the job (the ablation's among them), and
the targets (<= 90 s, <= 3 GB).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared.datasets import list_datasets  # noqa: E402
from shared.settings import MusicrecSettings  # noqa: E402
from shared.storage import ObjectStore  # noqa: E402
from tools.stack import LocalStack  # noqa: E402

BUCKET = "musicrec-bench-train"
REDIS_DB = 15
TARGETS = {"job total s": 90.0, "peak RSS MB": 3072.0}


def bench_env(stack: LocalStack) -> dict[str, str]:
    env = stack.client_env()
    env["MUSICREC_S3_BUCKET"] = BUCKET
    env["MUSICREC_REDIS_URL"] = env["MUSICREC_REDIS_URL"].rsplit("/", 1)[0] + f"/{REDIS_DB}"
    env["MUSICREC_LOG_LEVEL"] = "WARNING"
    return env


def bench_store() -> ObjectStore:
    """The bench bucket, once ``bench_env`` is in ``os.environ``."""
    store = ObjectStore.from_settings(MusicrecSettings())
    store.ensure_bucket()
    return store


def ensure_dataset(store: ObjectStore, rows: int, seed: int) -> tuple[str, str]:
    """An ingested dataset of ``rows`` generated tracks in the bench bucket (made once, then reused)."""
    from democatalog.generate import write_catalog
    from services.ingest.job import ingest
    from services.ingest.settings import IngestSettings

    source = f"bench-catalog-{rows}-{seed}.csv"
    for manifest in list_datasets(store):
        if manifest.get("source", {}).get("name") == source and manifest.get("engine", {}).get("spark"):
            return manifest["dataset_id"], f"reused, {manifest['rows_kept']:,} rows kept"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / source
        write_catalog(path, rows, seed=seed)
        result = ingest(IngestSettings(), str(path), train=False)
    return result.dataset_id, f"generated CSV ingested with Spark, {result.counts['rows_kept']:,} rows kept"


def run_job(dataset_id: str) -> dict:
    """In this (fresh) process: the whole training job, its stage times and peak memory."""
    from services.trainer.pipeline import run_training
    from services.trainer.settings import TrainerSettings
    from shared.bundle import read_model_document
    from shared.jobs import TrainingParameters
    from shared.pointer import ModelPointer, connect

    settings = TrainerSettings()
    store = ObjectStore.from_settings(settings)
    started = time.perf_counter()
    pointer = ModelPointer(connect(settings.redis_url))
    result = run_training(settings, store, pointer, TrainingParameters(dataset_id=dataset_id, force=True))
    total = time.perf_counter() - started
    return {
        "total": total,
        "stages": result["timings"],
        "k": result["k"],
        "silhouette": result["metrics"]["silhouette"],
        "labels": [c["label"] for c in read_model_document(store, result["version"]).model_dump()["clusters"]],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_baselines(dataset_id: str, k: int) -> dict:
    """Reading the dataset alone, and one default KMeans fit on every row."""
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.preprocessing import StandardScaler

    from services.trainer.dataset import load_training_data
    from services.trainer.settings import TrainerSettings
    from shared.schema import FEATURE_NAMES

    store = ObjectStore.from_settings(TrainerSettings())
    started = time.perf_counter()
    data = load_training_data(store, dataset_id, FEATURE_NAMES)
    loaded = time.perf_counter() - started
    scaled = StandardScaler().fit_transform(data.matrix).astype(np.float32)
    started = time.perf_counter()
    KMeans(k, random_state=0).fit(scaled)
    return {"load only": loaded, f"one default KMeans(k={k}) fit": time.perf_counter() - started}


def child(mode: str, dataset_id: str, env: dict[str, str], k: int = 0) -> dict:
    argv = [sys.executable, __file__, f"--{mode}", dataset_id, "--k", str(k)]
    done = subprocess.run(argv, env={**os.environ, **env}, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"bench-train: the {mode} process failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_160_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--job", metavar="DATASET_ID", help=argparse.SUPPRESS)
    parser.add_argument("--baselines", metavar="DATASET_ID", help=argparse.SUPPRESS)
    parser.add_argument("--k", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.job:
        print(json.dumps(run_job(args.job)))
        return 0
    if args.baselines:
        print(json.dumps(run_baselines(args.baselines, args.k)))
        return 0

    stack = LocalStack(Path(os.environ.get("MUSICREC_HOME", ROOT / ".local")))
    stack.up(["redis", "minio"])
    env = bench_env(stack)
    os.environ.update(env)
    store = bench_store()
    started = time.perf_counter()
    dataset_id, how = ensure_dataset(store, args.rows, args.seed)
    print(f"dataset {dataset_id}: from a {args.rows:,}-row catalog, {how} ({time.perf_counter() - started:.1f}s)")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")

    runs = []
    for number in range(1, args.repeat + 1):
        run = child("job", dataset_id, env)
        runs.append(run)
        stages = "  ".join(f"{name} {seconds:.2f}s" for name, seconds in run["stages"].items())
        share = run["stages"].get("ablation", 0.0) / run["total"]
        print(f"run {number}: total {run['total']:.2f}s  peak {run['peak_rss_mb']:.0f} MB  k={run['k']}  "
              f"silhouette {run['silhouette']:.3f}  ablation {share:.0%} of the job  [{stages}]")  # fmt: skip
    print(f"segments of run 1: {' | '.join(runs[0]['labels'])}")
    baselines = [child("baselines", dataset_id, env, runs[0]["k"]) for _ in range(args.repeat)]

    figures = {
        "job total s": statistics.median(r["total"] for r in runs),
        "peak RSS MB": statistics.median(r["peak_rss_mb"] for r in runs),
    }
    print("\nmedians over", args.repeat, "runs (share of the job's median total)")
    for stage in runs[0]["stages"]:
        seconds = statistics.median(r["stages"][stage] for r in runs)
        print(f"  {stage:<12} {seconds:7.2f} s  {seconds / figures['job total s']:5.1%}")
    for name in baselines[0]:
        print(f"  baseline: {name:<28} {statistics.median(b[name] for b in baselines):7.2f} s")
    failed = 0
    for name, limit in TARGETS.items():
        ok = figures[name] <= limit
        failed += not ok
        print(f"  {name:<14} {figures[name]:9.2f}  target <= {limit:g}  {'ok' if ok else 'MISSED'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
