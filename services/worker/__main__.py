"""``python -m services.worker``: the RQ worker on the training queue, with RQ's scheduler.

The trainer and its libraries (scikit-learn, NumPy, PyArrow) are imported before the
worker forks a work horse per job, so no job pays for the imports. Logs are JSON lines.
SIGTERM stops it cleanly: the running job finishes first (a second SIGTERM kills it, and
the job is then retried as an abandoned one).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import time

import redis

from services.worker.schedule import ScheduleProcess, run_schedule
from services.worker.settings import WorkerSettings
from services.worker.worker import build_worker, die_with_the_worker
from shared.settings import entry_point_settings
from shared.pointer import connect

log = logging.getLogger("services.worker")

PRELOADED = ("services.trainer.jobs", "sklearn.cluster", "sklearn.metrics", "scipy.spatial", "pyarrow.parquet")


def preload() -> float:
    started = time.perf_counter()
    for name in PRELOADED:
        importlib.import_module(name)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.worker", description=__doc__.splitlines()[0])
    parser.add_argument("--burst", action="store_true", help="run the queued jobs, then exit")
    parser.add_argument("--no-schedule", action="store_true", help="do not run the periodic retrain here")
    parser.add_argument("--schedule-only", action="store_true", help="run only the periodic retrain (RQ's cron scheduler)")
    parser.add_argument("--parent", type=int, help=argparse.SUPPRESS)  # --schedule-only: die with this process
    args = parser.parse_args(argv)
    settings = entry_point_settings(WorkerSettings, "musicrec worker")
    if args.schedule_only:
        run_schedule(settings, args.parent)
        return 0
    connection = connect(settings.redis_url)
    try:
        connection.ping()
    except redis.RedisError as exc:
        log.error("cannot reach Redis; is MUSICREC_REDIS_URL right?", extra={"error": str(exc)})
        return 1
    log.info("libraries loaded", extra={"seconds": round(preload(), 2), "modules": list(PRELOADED)})
    die_with_the_worker()
    worker = build_worker(settings, connection)
    schedule = None
    if settings.retrain_enabled and not args.no_schedule:
        schedule = ScheduleProcess().start()
    try:
        worker.work(burst=args.burst, with_scheduler=True, logging_level=settings.log_level.upper())
    finally:
        if schedule is not None:
            schedule.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
