"""How fast a job whose worker is SIGKILLed runs again: ``make bench-recovery``.

Two ``python -m services.worker`` processes with the default liveness settings serve the
training queue of the local stack (its own bucket and Redis database, as in
``bench/train.py``). Each repetition enqueues a training job, waits until a worker runs
it, SIGKILLs that worker at a different point of its heartbeat cycle (its work horse and
scheduler die with it, as with the machine or container), and measures the time until the
other worker runs the job again, then until it finishes; the killed worker is replaced. The baseline, measured in the
same run, is the same job with no kill. Target: re-run in under 60 s.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.train import bench_env, bench_store, ensure_dataset  # noqa: E402
from services.worker.settings import WorkerSettings  # noqa: E402
from shared.jobs import TrainingParameters, enqueue_training  # noqa: E402
from shared.pointer import connect  # noqa: E402
from tools.stack import LocalStack  # noqa: E402

TARGET_SECONDS = 60.0


def start_worker(env: dict[str, str], name: str, log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "services.worker", "--no-schedule"],
            cwd=ROOT, env={**os.environ, **env, "MUSICREC_WORKER_NAME": name},
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def wait_for(condition, timeout: float, what: str, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise SystemExit(f"bench-recovery: {what} did not happen within {timeout:.0f}s")


def worker_of(job) -> str | None:
    job.refresh()
    return job.worker_name if job.get_status() == "started" else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    stack = LocalStack(Path(os.environ.get("MUSICREC_HOME", ROOT / ".local")))
    stack.up(["redis", "minio"])
    env = bench_env(stack) | {"MUSICREC_LOG_LEVEL": "INFO"}
    os.environ.update(env)
    dataset_id, how = ensure_dataset(bench_store(), args.rows, seed=1)
    settings = WorkerSettings()
    interval, grace = settings.worker_job_monitoring_interval, settings.worker_heartbeat_grace
    maintenance = settings.worker_maintenance_interval
    print(f"dataset {dataset_id}: from a {args.rows:,}-row catalog, {how}")
    print(
        f"liveness: heartbeat every {interval}s, grace {grace}s, maintenance every {maintenance}s "
        f"(worst case about {interval + grace + maintenance}s + dispatch)"
    )
    redis_client = connect(env["MUSICREC_REDIS_URL"])
    logs = stack.home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    names = [f"bench-recovery-{n}-0" for n in range(2)]
    workers = {name: start_worker(env, name, logs / "bench-recovery.log") for name in names}
    reruns, totals, plain = [], [], []
    try:
        for number in range(args.repeat):
            job, _ = enqueue_training(redis_client, TrainingParameters(dataset_id=dataset_id, seed=number))
            started = time.monotonic()
            wait_for(lambda: job.get_status(refresh=True) == "finished", 300, "the baseline job")
            plain.append(time.monotonic() - started)

            job, _ = enqueue_training(redis_client, TrainingParameters(dataset_id=dataset_id, seed=100 + number))
            first = wait_for(lambda: worker_of(job), 120, "the job start")
            # kill at a different point of the heartbeat cycle each time
            time.sleep(number * settings.worker_job_monitoring_interval / max(args.repeat, 1))
            victim = workers.pop(first)
            victim.kill()  # SIGKILL; its work horse and scheduler die with it
            victim.wait(10)
            killed = time.monotonic()
            wait_for(lambda: worker_of(job) not in (None, first), 180, "the re-run")
            reruns.append(time.monotonic() - killed)
            wait_for(lambda: job.get_status(refresh=True) == "finished", 300, "the re-run job's end")
            totals.append(time.monotonic() - killed)
            print(f"run {number + 1}: re-run {reruns[-1]:.1f}s after SIGKILL, finished {totals[-1]:.1f}s after it; "
                  f"the same job without a kill: {plain[-1]:.1f}s")  # fmt: skip
            name = f"{first.rsplit('-', 1)[0]}-{number + 1}"
            workers[name] = start_worker(env, name, logs / "bench-recovery.log")
    finally:
        for worker in workers.values():
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(60)
    median = statistics.median(reruns)
    print(f"\nmedians over {args.repeat} runs")
    print(f"  baseline: job without a kill     {statistics.median(plain):6.1f} s")
    print(f"  SIGKILL -> job running again     {median:6.1f} s  (max {max(reruns):.1f})")
    print(f"  SIGKILL -> job finished          {statistics.median(totals):6.1f} s")
    ok = max(reruns) < TARGET_SECONDS
    print(f"  re-run target < {TARGET_SECONDS:g} s: {'ok' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
