"""``python -m services.ingest SOURCE [--dataset-id ID] [--no-train]``, or ``python -m services.ingest serve``.

With a source: prints each stage as it ends with its time, then the dataset id and the
counts. Exits 0 only when the dataset is published; otherwise prints one line saying what
was wrong. ``serve``: the long-running worker of the ``ingest`` queue (``service.py``).
"""

from __future__ import annotations

import argparse
import logging
import sys

from shared.errors import MusicrecError
from shared.settings import entry_point_settings

from shared.stages import StageEvent
from services.ingest.settings import IngestSettings

log = logging.getLogger("services.ingest")


def print_stage(event: StageEvent) -> None:
    if event.done:
        detail = f"  {event.detail}" if event.detail else ""
        print(f"  {event.stage:<14s}{event.seconds:7.2f} s{detail}", flush=True)


def serve_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.ingest serve", description="Work the ingest queue with one warm Spark session.")
    parser.add_argument("--burst", action="store_true", help="run the queued jobs, then exit")
    args = parser.parse_args(argv)
    settings = entry_point_settings(IngestSettings, "ingest serve")
    from services.ingest.service import serve

    return serve(settings, burst=args.burst)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:
        return serve_main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m services.ingest", description="Turn a track catalog CSV into a dataset.")
    parser.add_argument("source", help="a CSV file or folder of parts, or s3://bucket/key (an object or a prefix of parts)")
    parser.add_argument("--dataset-id", help="id of the new dataset (default: a new time-sortable id)")
    parser.add_argument("--no-train", action="store_true", help="do not enqueue a training job for the new dataset")
    args = parser.parse_args(argv)
    settings = entry_point_settings(IngestSettings, "ingest")
    from services.ingest.job import ingest  # pyspark is imported only once the arguments are fine

    print(f"ingest {args.source}", flush=True)
    try:
        result = ingest(
            settings, args.source, args.dataset_id, train=settings.train_after_ingest and not args.no_train, progress=print_stage
        )
    except MusicrecError as exc:
        print(f"ingest failed: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("ingest interrupted; nothing was published", file=sys.stderr)
        return 130
    counts, manifest = result.counts, result.manifest
    print(f"dataset {result.dataset_id}")
    print(
        f"  rows read {counts['rows_read']:,}, kept {counts['rows_kept']:,}, rejected {counts['rows_rejected']:,}, "
        f"duplicates {counts['duplicates']:,} ({manifest['layout']} layout, {manifest['encoding']})"
    )
    for reason, count in manifest["rejected_by_reason"].items():
        print(f"    {reason}: {count:,}")
    if manifest["nulled_by_reason"]:
        print(f"  metadata nulled (the rows are kept): {sum(manifest['nulled_by_reason'].values()):,} cells")
        for reason, count in manifest["nulled_by_reason"].items():
            print(f"    {reason}: {count:,}")
    if manifest["track_id_source"] != "column":
        print(f"  track ids {manifest['track_id_source']} from {', '.join(manifest['track_id_recipe']['fields'])}")
    print(f"  training job {result.training_job_id}" if result.training_job_id else "  no training job enqueued")
    print(f"  total {manifest['timings']['total']:.2f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
