"""How each cost grows with the catalog: ``make bench-scale`` (or ``python bench/scale.py``).

For generated catalogs (``democatalog.generate``) of 100,000, 1,160,000 and 5,000,000 rows
(``--sizes``; 10,000,000 where memory allows), in the local stack's MinIO and Redis (a bucket
and a Redis database of their own), one run each of:
  - ingest: the real CLI in local mode, wall time and peak memory of the process tree (driver + JVM);
  - training: the whole job (``bench/train.py``'s job process), wall time and peak memory;
  - the bundle's size in MinIO;
  - the API: ``python -m services.api`` started on that bundle, seconds until ``/readyz`` is 200
    (bundle download, verification, index) and its resident memory then;
  - POST /v1/recommendations with ``wrk`` (varied queries near catalog tracks): p50 and p99;
  - the catalog sharded by cluster, simulated on the bundle (scipy's cKDTree): a query searched
    in the clusters of its p nearest centroids only, its recall@10 against the exact answer.
Then a table (after each size), and for each figure the exponent b of a least-squares fit
figure ~ a * rows^b (1: linear; 0: flat), over all sizes and over the largest two (where a fixed
cost no longer hides the growth). Last, the 1,160,000-row ingest on a Spark standalone cluster (a
master and two workers from the pyspark distribution, ``tools/spark_cluster.py``) next to local
mode's from the table: no target; two workers on a 2-core machine measure correctness, not speed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from api import query_script, rss_mb, serve, stop, wrk  # noqa: E402
from ingest import run_measured  # noqa: E402

from democatalog.generate import write_catalog  # noqa: E402
from shared.bundle import load_bundle  # noqa: E402
from shared.datasets import load_table, read_dataset_manifest  # noqa: E402
from shared.pointer import ModelPointer, connect  # noqa: E402
from shared.schema import FEATURE_NAMES  # noqa: E402
from shared.storage import ObjectStore  # noqa: E402
from tools.spark_cluster import SparkCluster  # noqa: E402
from tools.stack import LocalStack, free_port  # noqa: E402

BUCKET = "musicrec-bench-scale"
REDIS_DB = 14
SIZES = (100_000, 1_160_000, 5_000_000)
CLUSTER_ROWS = 1_160_000
COLUMNS = ("ingest s", "ingest peak MB", "train s", "train peak MB", "bundle MB", "API load s", "API RSS MB", "p50 ms", "p99 ms")


def catalog(rows: int) -> Path:
    """The generated catalog of ``rows`` rows (seed 0), cached under .local/bench/ as bench/ingest.py does."""
    path = ROOT / ".local" / "bench" / f"catalog-{rows}.csv"
    if not path.exists():
        started = time.monotonic()
        write_catalog(path, rows=rows, seed=0)
        print(f"  generated {path.name} ({path.stat().st_size / 1e6:,.0f} MB) in {time.monotonic() - started:.0f} s", flush=True)
    return path


def ingest(path: Path, env: dict[str, str]) -> tuple[float, float, str]:
    wall, peak, _, out = run_measured([sys.executable, "-m", "services.ingest", str(path), "--no-train"], env)
    return wall, peak, next(line.split()[1] for line in out.splitlines() if line.startswith("dataset "))


def train(dataset_id: str, env: dict[str, str]) -> tuple[float, float]:
    wall, peak, _, _ = run_measured([sys.executable, str(ROOT / "bench" / "train.py"), "--job", dataset_id], env)
    return wall, peak


def serve_and_load(store: ObjectStore, version: str, dataset_id: str, env: dict[str, str], folder: Path, seconds: int) -> dict[str, float]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    api = serve([sys.executable, "-m", "services.api", "--port", str(port)], env, ROOT, folder / "api.log", f"{base}/readyz")
    try:
        loaded = time.monotonic() - started
        rss, _ = rss_mb(api.pid)
        sample = load_table(store, dataset_id, columns=FEATURE_NAMES).slice(0, 50_000)
        script = query_script(folder / "queries.lua", sample)
        wrk(f"{base}/v1/recommendations", 4, 3, script)  # warm-up
        result = wrk(f"{base}/v1/recommendations", 8, seconds, script)
        if result["non2xx"] or result["errors"]:
            raise SystemExit(f"the API failed requests on {version}: {result}")
        return {"API load s": loaded, "API RSS MB": rss, "p50 ms": result["p50"], "p99 ms": result["p99"]}
    finally:
        stop(api)


def shard_simulation(store: ObjectStore, version: str, queries: int = 500, limit: int = 10, seed: int = 3) -> dict[str, float]:
    """The catalog sharded by cluster, simulated on the bundle: a query goes to the shards of its
    ``p`` nearest centroids only. Recall@10 against the exact answer over the whole catalog, the
    share of the catalog searched, and the largest shard's share of the catalog (a gateway's memory)."""
    from scipy.spatial import cKDTree

    bundle = load_bundle(store, version)
    points, clusters = bundle.scaled_features(), bundle.catalog.column("cluster").to_numpy()
    centroids = np.asarray(bundle.model.centroids, dtype=np.float32)
    rng = np.random.default_rng(seed)
    picked = rng.choice(len(points), queries, replace=False)
    asked = points[picked] + rng.normal(0, 0.05, (queries, points.shape[1])).astype(np.float32)  # near catalog tracks
    _, exact = cKDTree(points).query(asked, limit)
    order = np.argsort(((asked[:, None, :] - centroids[None, :, :]) ** 2).sum(-1), axis=1)
    members = [np.flatnonzero(clusters == c) for c in range(len(centroids))]
    trees = [cKDTree(points[m]) for m in members]
    sizes = np.array([len(m) for m in members])
    figures = {"k": float(len(centroids)), "largest shard share": float(sizes.max() / len(points))}
    for p in (1, 2, 3):
        hits, searched = 0, 0
        for q in range(queries):
            found = []
            for c in order[q, :p]:
                distances, index = trees[c].query(asked[q], min(limit, sizes[c]))
                found += list(zip(np.atleast_1d(distances), members[c][np.atleast_1d(index)]))
            best = {int(i) for _, i in sorted(found)[:limit]}
            hits += len(best & set(exact[q].tolist()))
            searched += sizes[order[q, :p]].sum()
        figures[f"recall@{limit} p={p}"] = hits / (queries * limit)
        figures[f"searched share p={p}"] = float(searched / (queries * len(points)))
    return figures


def measure(rows: int, env: dict[str, str], store: ObjectStore, pointer: ModelPointer, seconds: int) -> dict[str, float]:
    path = catalog(rows)
    ingest_s, ingest_mb, dataset_id = ingest(path, env)
    print(f"  ingest {ingest_s:.1f} s, peak {ingest_mb:,.0f} MB: {dataset_id}", flush=True)
    train_s, train_mb = train(dataset_id, env)
    version = pointer.current()
    bundle_mb = sum(store.list_with_sizes(f"models/{version}/").values()) / 2**20
    print(f"  training {train_s:.1f} s, peak {train_mb:,.0f} MB: {version}, {bundle_mb:,.0f} MB", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        api = serve_and_load(store, version, dataset_id, env, Path(folder), seconds)
    print(f"  API ready in {api['API load s']:.1f} s, {api['API RSS MB']:,.0f} MB; p50 {api['p50 ms']:.2f} ms, p99 {api['p99 ms']:.2f} ms", flush=True)
    shards = shard_simulation(store, version)
    print("  sharded by cluster (simulated): k " + f"{shards['k']:.0f}, largest shard {shards['largest shard share']:.1%}; "
          + "; ".join(f"p={p}: recall@10 {shards[f'recall@10 p={p}']:.3f}, searched {shards[f'searched share p={p}']:.1%}" for p in (1, 2, 3)), flush=True)
    store.delete_prefix(f"datasets/{dataset_id}/")
    store.delete_prefix(f"models/{version}/")
    return {"ingest s": ingest_s, "ingest peak MB": ingest_mb, "train s": train_s, "train peak MB": train_mb, "bundle MB": bundle_mb, **api,
            **{f"shards {name}": value for name, value in shards.items()}}  # fmt: skip


def growth_exponent(sizes: list[int], values: list[float]) -> float:
    """b of the least-squares line log(value) = log(a) + b * log(rows)."""
    slope, _ = np.polyfit(np.log(sizes), np.log(np.maximum(values, 1e-9)), 1)
    return float(slope)


def print_table(results: dict[int, dict[str, float]]) -> dict[str, float]:
    sizes = sorted(results)
    print("\n" + f"{'rows':>12} " + " ".join(f"{c:>14}" for c in COLUMNS))
    for rows in sizes:
        print(f"{rows:>12,} " + " ".join(f"{results[rows][c]:>14,.2f}" for c in COLUMNS))
    exponents = {c: growth_exponent(sizes, [results[r][c] for r in sizes]) for c in COLUMNS} if len(sizes) > 1 else {}
    if exponents:
        print(f"{'growth b':>12} " + " ".join(f"{exponents[c]:>14.2f}" for c in COLUMNS))
        print(f"  (figure ~ a * rows^b, least squares over {len(sizes)} sizes; b = 1 linear, 0 flat)")
    if len(sizes) > 2:  # a fixed cost flattens the fit over small sizes; the largest two show the growth at scale
        top = sizes[-2:]
        print(f"{'b, last two':>12} " + " ".join(f"{growth_exponent(top, [results[r][c] for r in top]):>14.2f}" for c in COLUMNS))
        print(f"  (the same fit over {top[0]:,} and {top[1]:,} rows only)")
    shard_columns = [c for c in results[sizes[0]] if c.startswith("shards ")]
    if shard_columns:
        print("\nthe catalog sharded by cluster (simulated): a query searches the clusters of its p nearest centroids")
        print(f"{'rows':>12} " + " ".join(f"{c.removeprefix('shards '):>20}" for c in shard_columns))
        for rows in sizes:
            print(f"{rows:>12,} " + " ".join(f"{results[rows][c]:>20,.3f}" for c in shard_columns))
    return exponents


def on_cluster(env: dict[str, str], local_seconds: float | None) -> dict[str, float]:
    path = catalog(CLUSTER_ROWS)
    home = Path(tempfile.mkdtemp(prefix="musicrec-bench-spark-"))
    cluster = SparkCluster(home, workers=2, cores=1, memory="2g").start()
    try:
        cluster_env = {**env, "SPARK_MASTER": cluster.url, "SPARK_LOCAL_IP": "127.0.0.1", "MUSICREC_SPARK_EXECUTOR_MEMORY": "1536m",
                       "MUSICREC_SPARK_DRIVER_MEMORY": "1g", "MUSICREC_SPARK_MASTER_TIMEOUT": "300"}  # fmt: skip
        wall, peak, dataset_id = ingest(path, cluster_env)
    finally:
        cluster.stop()
        shutil.rmtree(home, ignore_errors=True)
    store = ObjectStore(env["MUSICREC_S3_ENDPOINT"], env["MUSICREC_S3_ACCESS_KEY"], env["MUSICREC_S3_SECRET_KEY"], BUCKET)
    counts = read_dataset_manifest(store, dataset_id)
    store.delete_prefix(f"datasets/{dataset_id}/")
    local = f"{local_seconds:.1f} s" if local_seconds is not None else "not measured in this run"
    print(f"\ningest of {CLUSTER_ROWS:,} rows on a Spark standalone cluster (2 workers x 1 core, 1.5 GB executors): "
          f"{wall:.1f} s (driver tree peak {peak:,.0f} MB); local mode in this run: {local}")  # fmt: skip
    print(f"  kept {counts['rows_kept']:,}, rejected {counts['rows_rejected']:,}, duplicates {counts['duplicates']:,}")
    print("  no target: two workers on a 2-core machine measure correctness, not speed")
    return {"cluster ingest s": wall, "cluster driver peak MB": peak}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES), help="comma-separated catalog sizes (rows)")
    parser.add_argument("--seconds", type=int, default=10, help="wrk run per size")
    parser.add_argument("--no-cluster", action="store_true", help="skip the ingest on a Spark standalone cluster")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("bench-scale needs wrk (apt-get install wrk; `make bench-scale` installs it)")
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",")]
    stack = LocalStack(Path(os.environ.get("MUSICREC_HOME", ROOT / ".local")))
    stack.up(["redis", "minio"])
    env = {**os.environ, **stack.client_env(), "MUSICREC_LOG_FORMAT": "text", "MUSICREC_LOG_LEVEL": "WARNING",
           "MUSICREC_S3_BUCKET": BUCKET, "MUSICREC_OPERATOR_TOKEN": "bench-scale-operator-token"}  # fmt: skip
    env["MUSICREC_REDIS_URL"] = env["MUSICREC_REDIS_URL"].rsplit("/", 1)[0] + f"/{REDIS_DB}"
    store = ObjectStore(env["MUSICREC_S3_ENDPOINT"], env["MUSICREC_S3_ACCESS_KEY"], env["MUSICREC_S3_SECRET_KEY"], BUCKET)
    store.ensure_bucket()
    redis = connect(env["MUSICREC_REDIS_URL"])
    redis.flushdb()
    pointer = ModelPointer(redis)
    print(f"machine: {os.cpu_count()} cores, {os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / 2**30:.0f} GB, "
          f"load average {os.getloadavg()[0]:.1f}; one run per size")  # fmt: skip
    results: dict[int, dict[str, float]] = {}
    cluster: dict[str, float] = {}
    for rows in sizes:  # the table so far after each size, so that a run cut short still reports
        print(f"{rows:,} rows", flush=True)
        results[rows] = measure(rows, env, store, pointer, args.seconds)
        exponents = print_table(results)
        if rows == CLUSTER_ROWS and not args.no_cluster:  # in the same run as local mode's
            cluster = on_cluster(env, results[rows]["ingest s"])
    redis.flushdb()
    print(json.dumps({"sizes": {str(k): v for k, v in results.items()}, "growth": exponents, "cluster": cluster}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
