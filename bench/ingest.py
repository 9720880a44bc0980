"""Benchmark of ingest: ``make bench-ingest`` (or ``python bench/ingest.py``).

Generates the 1,160,000-row catalog once (cached under .local/bench/), then ingests it
into the local stack's MinIO with the real CLI (``python -m services.ingest FILE
--no-train``), as an operator would: JVM start included. Prints wall time, rows/s, the
peak memory and CPU time of the whole process tree (Python driver + JVM) and each stage's
time, next to two baselines measured in the same run: starting and stopping Spark alone, and
Spark alone copying the catalog to Parquet (the ingest's own reader, every cell as text, no
provenance columns, no cleaning, no dedupe, no rejects; JVM start included): what Spark needs
on the machine before the job does any work of its own. The ratio of the ingest's wall time to
that copy's is the figure to hold to its target. Repeats --repeat times and reports medians.

The warm path: then one ``python -m services.ingest serve`` process takes --warm ingest jobs of
the same catalog one after another (enqueued as ``POST /v1/datasets`` enqueues them); each
job's time from enqueue to finished is reported, the first (Spark started with the worker,
before the job) and the later ones (the same session, warm) next to the cold CLI's median.

The runs use a bucket and a Redis database of their own (nothing of the stack's state is
touched) and delete each dataset they make. docs/benchmarks.md keeps the figures measured.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from democatalog.generate import write_catalog  # noqa: E402
from tools.stack import LocalStack  # noqa: E402

ROWS = 1_160_000
BUCKET = "musicrec-bench"
REDIS_DB = 15
TARGETS = {"wall / copy alone": ("<=", 1.5), "peak MB": ("<=", 4096.0)}
SPARK_ONLY = (
    "from services.ingest.settings import IngestSettings; from services.ingest.spark import spark_session; "
    "spark_session(IngestSettings()).stop()"
)
COPY_PREFIX = "bench-copy"


def copy_only(source: str) -> None:
    """The copy baseline: Spark reads ``source`` with the ingest's reader and writes it as Parquet, nothing else."""
    from services.ingest.job import check_source, scan_source
    from services.ingest.read import read_cells
    from services.ingest.settings import IngestSettings
    from services.ingest.source import locate
    from services.ingest.spark import s3a_uri, spark_session

    settings = IngestSettings()
    catalog = locate(settings, source)
    group = check_source(catalog)[0]  # the generated catalog is one file
    with ThreadPoolExecutor(1) as pool:  # as in the job: the scan runs while Spark starts
        starting = pool.submit(spark_session, settings)
        scan = scan_source(catalog)
        spark = starting.result()
    read_cells(spark, group.parts, scan, group.layout).write.parquet(s3a_uri(settings, f"{COPY_PREFIX}/{os.getpid()}"))
    spark.stop()


def run_measured(argv: list[str], env: dict[str, str]) -> tuple[float, float, float, str]:
    """Run ``argv``; returns (wall seconds, peak RSS MB and CPU seconds of the process tree, stdout)."""
    started = time.monotonic()
    process = psutil.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0.0
    cpu: dict[int, float] = {}  # the last CPU time seen of every process of the tree
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            try:
                tree = [process, *process.children(recursive=True)]
                rss = 0
                for member in tree:
                    with member.oneshot():
                        rss += member.memory_info().rss
                        times = member.cpu_times()
                        cpu[member.pid] = times.user + times.system
                peak = max(peak, rss / 2**20)
            except psutil.Error:
                pass
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate()
    wall = time.monotonic() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{argv[2:]} failed ({process.returncode}):\n{err[-3000:]}")
    return wall, peak, sum(cpu.values()), out


def machine_check() -> float:
    """CPU seconds of a fixed pure-Python loop: how fast this machine is right now."""
    started = time.process_time()
    total = 0
    for step in range(10_000_000):
        total += step
    return time.process_time() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--warm", type=int, default=3, help="ingest jobs run one after another by one serve worker")
    parser.add_argument("--copy-only", metavar="CSV", help=argparse.SUPPRESS)  # the copy baseline's own process
    args = parser.parse_args()
    if args.copy_only:
        copy_only(args.copy_only)
        return 0
    stack = LocalStack(ROOT / ".local")
    stack.up(["redis", "minio"])
    env = {**os.environ, **stack.client_env(), "MUSICREC_LOG_FORMAT": "text", "MUSICREC_LOG_LEVEL": "WARNING"}
    env["MUSICREC_S3_BUCKET"] = BUCKET
    env["MUSICREC_REDIS_URL"] = env["MUSICREC_REDIS_URL"].rsplit("/", 1)[0] + f"/{REDIS_DB}"

    catalog = ROOT / ".local" / "bench" / f"catalog-{args.rows}.csv"
    if not catalog.exists():
        catalog.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        write_catalog(catalog, rows=args.rows, seed=0)
        print(f"generated {catalog} ({catalog.stat().st_size / 1e6:.0f} MB) in {time.monotonic() - started:.1f}s")

    from shared.storage import ObjectStore
    from shared.datasets import read_dataset_manifest

    store = ObjectStore(env["MUSICREC_S3_ENDPOINT"], env["MUSICREC_S3_ACCESS_KEY"], env["MUSICREC_S3_SECRET_KEY"], BUCKET)
    store.ensure_bucket()
    ingest = [sys.executable, "-m", "services.ingest", str(catalog), "--no-train"]

    def ingest_once() -> tuple[float, float, float, dict]:
        wall, peak, cpu, out = run_measured(ingest, env)
        dataset_id = next(line.split()[1] for line in out.splitlines() if line.startswith("dataset "))
        manifest = read_dataset_manifest(store, dataset_id)
        store.delete_prefix(f"datasets/{dataset_id}/")
        return wall, peak, cpu, manifest

    print(f"machine check: a 10M-step Python loop takes {machine_check():.2f} s of CPU; load average {os.getloadavg()[0]:.1f}")
    runs: list[dict[str, float]] = []
    for attempt in range(1, args.repeat + 1):
        spark_wall, _, _, _ = run_measured([sys.executable, "-c", SPARK_ONLY], env)
        copy_wall, _, _, _ = run_measured([sys.executable, __file__, "--copy-only", str(catalog)], env)
        store.delete_prefix(f"{COPY_PREFIX}/")
        wall, peak, cpu, manifest = ingest_once()
        stages = {k: float(v) for k, v in manifest["timings"].items() if k != "total"}
        run = {"wall s": wall, "wall / copy alone": wall / copy_wall, "peak MB": peak, "cpu s": cpu, "rows/s": manifest["rows_read"] / wall,
               "spark start-stop s": spark_wall, "spark copy alone s": copy_wall, "ingest over the copy s": wall - copy_wall, **{f"stage {k} s": v for k, v in stages.items()}}  # fmt: skip
        runs.append(run)
        print(f"run {attempt}: wall {wall:.2f}s ({run['wall / copy alone']:.2f}x the copy)  peak {peak:.0f} MB  cpu {cpu:.1f}s  {run['rows/s']:,.0f} rows/s  "
              f"(Spark alone {spark_wall:.2f}s, copy alone {copy_wall:.2f}s)  kept {manifest['rows_kept']:,} rejected {manifest['rows_rejected']:,} "
              f"duplicates {manifest['duplicates']:,}  stages " + "  ".join(f"{k} {v:.2f}s" for k, v in stages.items()))  # fmt: skip

    print(f"\nmedians of {len(runs)} runs ({args.rows:,} rows):")
    for key in runs[0]:
        value = statistics.median(r[key] for r in runs)
        line = f"  {key:26s} {value:12,.2f}"
        if key in TARGETS:
            op, target = TARGETS[key]
            line += f"   target {op} {target:g}: {'ok' if value <= target else 'MISSED'}"
        print(line)
    medians = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    if args.warm:
        warm = warm_path(env, store, catalog, args.warm)
        print(f"\nwarm path: one serve worker, {len(warm)} jobs in a row (enqueue to finished), against the cold CLI's {medians['wall s']:.2f}s:")
        for number, (wall, start_spark) in enumerate(warm, start=1):
            print(f"  job {number}  {wall:8.2f} s  ({wall / medians['wall s']:.2f}x the cold CLI; its start_spark stage {start_spark:.2f} s)")
        medians |= {f"warm job {n} s": wall for n, (wall, _) in enumerate(warm, start=1)}
    print(json.dumps(medians), file=sys.stderr)
    return 0


def warm_path(env: dict[str, str], store, catalog: Path, jobs: int) -> list[tuple[float, float]]:
    """(seconds from enqueue to finished, the job's start_spark stage) of each job run by one serve worker."""
    from rq.job import Job

    from shared.ids import new_id
    from shared.jobs import enqueue_ingest
    from shared.pointer import connect

    redis = connect(env["MUSICREC_REDIS_URL"])
    worker = subprocess.Popen([sys.executable, "-m", "services.ingest", "serve"], env=env, cwd=ROOT, start_new_session=True)
    results = []
    try:
        for _ in range(jobs):
            dataset_id = new_id()
            started = time.monotonic()
            job = enqueue_ingest(redis, str(catalog), dataset_id, train=False)
            while job.get_status(refresh=True) not in ("finished", "failed"):
                if worker.poll() is not None:
                    raise SystemExit(f"the serve worker exited ({worker.returncode})")
                time.sleep(0.05)
            wall = time.monotonic() - started
            job = Job.fetch(job.id, connection=redis)
            if job.get_status() != "finished":
                raise SystemExit(f"warm ingest job failed: {job.latest_result().exc_string[-2000:]}")
            manifest = store.get_json(f"datasets/{dataset_id}/manifest.json")
            results.append((wall, float(manifest["timings"].get("start_spark", 0.0))))
            store.delete_prefix(f"datasets/{dataset_id}/")
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(60)
    return results


if __name__ == "__main__":
    sys.exit(main())
