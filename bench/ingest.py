"""Benchmark of ingest: ``make bench-ingest`` (or ``python bench/ingest.py``).

Generates the 1,160,000-row catalog once (cached under .local/bench/), then ingests it
into the local stack's MinIO with the real CLI (``python -m services.ingest FILE
--no-train``), as an operator would: JVM start included. Prints wall time, rows/s, the
peak memory of the whole process tree (Python driver + JVM) and each stage's time, next to
a baseline measured in the same run: starting and stopping Spark alone. Repeats --repeat
times and reports medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services.ingest.generate import write_catalog  # noqa: E402
from tools.stack import LocalStack  # noqa: E402

ROWS = 1_160_000
TARGETS = {"wall s": ("<=", 25.0), "peak MB": ("<=", 4096.0)}
SPARK_ONLY = (
    "from services.ingest.settings import IngestSettings; from services.ingest.spark import spark_session; "
    "spark_session(IngestSettings()).stop()"
)


def run_measured(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run ``argv``; returns (wall seconds, peak RSS MB of the process tree, stdout)."""
    started = time.monotonic()
    process = psutil.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            try:
                tree = [process, *process.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()) / 2**20)
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
    return wall, peak, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    stack = LocalStack(ROOT / ".local")
    stack.up(["redis", "minio"])
    env = {**os.environ, **stack.client_env(), "MUSICREC_LOG_FORMAT": "text", "MUSICREC_LOG_LEVEL": "WARNING"}

    catalog = ROOT / ".local" / "bench" / f"catalog-{args.rows}.csv"
    if not catalog.exists():
        catalog.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        write_catalog(catalog, rows=args.rows, seed=0)
        print(f"generated {catalog} ({catalog.stat().st_size / 1e6:.0f} MB) in {time.monotonic() - started:.1f}s")

    from shared.storage import ObjectStore
    from shared.datasets import read_dataset_manifest

    store = ObjectStore(env["MUSICREC_S3_ENDPOINT"], env["MUSICREC_S3_ACCESS_KEY"], env["MUSICREC_S3_SECRET_KEY"],
                        env["MUSICREC_S3_BUCKET"])  # fmt: skip
    runs: list[dict[str, float]] = []
    for attempt in range(1, args.repeat + 1):
        spark_wall, _, _ = run_measured([sys.executable, "-c", SPARK_ONLY], env)
        wall, peak, out = run_measured([sys.executable, "-m", "services.ingest", str(catalog), "--no-train"], env)
        dataset_id = next(line.split()[1] for line in out.splitlines() if line.startswith("dataset "))
        manifest = read_dataset_manifest(store, dataset_id)
        stages = {k: float(v) for k, v in manifest["timings"].items() if k != "total"}
        run = {"wall s": wall, "peak MB": peak, "rows/s": manifest["rows_read"] / wall, "spark start-stop s": spark_wall,
               **{f"stage {k} s": v for k, v in stages.items()}}  # fmt: skip
        runs.append(run)
        print(f"run {attempt}: wall {wall:.2f}s  peak {peak:.0f} MB  {run['rows/s']:,.0f} rows/s  "
              f"(Spark alone {spark_wall:.2f}s)  kept {manifest['rows_kept']:,} rejected {manifest['rows_rejected']:,} "
              f"duplicates {manifest['duplicates']:,}  stages " + "  ".join(f"{k} {v:.2f}s" for k, v in stages.items()))  # fmt: skip

    print(f"\nmedians of {len(runs)} runs ({args.rows:,} rows):")
    for key in runs[0]:
        value = statistics.median(r[key] for r in runs)
        line = f"  {key:26s} {value:12,.2f}"
        if key in TARGETS:
            op, target = TARGETS[key]
            line += f"   target {op} {target:g}: {'ok' if value <= target else 'MISSED'}"
        print(line)
    print(json.dumps({k: statistics.median(r[k] for r in runs) for k in runs[0]}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
