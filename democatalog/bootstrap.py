"""``python -m democatalog.bootstrap [--enqueue]``: the demo stack's first start.

When no dataset is published yet, generate the demo catalog (``MUSICREC_DEMO_ROWS``
tracks, 50,000 by default) and ingest it with ``python -m services.ingest``, which enqueues
the first training job. With ``--enqueue`` (the compose ingest service, before it runs
``python -m services.ingest serve``): upload it under ``uploads/`` and enqueue its ingest job
instead, as ``POST /v1/datasets`` does. When a dataset exists already (or, ``--enqueue``,
the demo catalog is uploaded and waits for its job), say so and exit 0, so a restart of the
stack ingests nothing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from democatalog.generate import write_catalog
from shared.datasets import list_datasets
from shared.errors import MusicrecError
from shared.ids import new_id
from shared.jobs import enqueue_ingest
from shared.pointer import connect
from shared.settings import MusicrecSettings, entry_point_settings
from shared.storage import ObjectStore

DEMO_SEED = 7
DEMO_UPLOAD = "uploads/demo/demo-catalog.csv"


def enqueue(settings: MusicrecSettings, store: ObjectStore, catalog: Path) -> int:
    """Upload the catalog and enqueue its ingest job (the ``serve`` worker runs it)."""
    store.upload_file(DEMO_UPLOAD, catalog, content_type="text/csv")
    job = enqueue_ingest(connect(settings.redis_url), store.uri(DEMO_UPLOAD), new_id(), upload=DEMO_UPLOAD, actor="demo")
    print(f"demo catalog uploaded to {store.uri(DEMO_UPLOAD)}; ingest job {job.id} enqueued", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m democatalog.bootstrap", description=__doc__.splitlines()[0])
    parser.add_argument("--enqueue", action="store_true", help="enqueue an ingest job for the serve worker instead of ingesting here")
    args = parser.parse_args(argv)
    settings = entry_point_settings(MusicrecSettings, "demo catalog")
    try:
        store = ObjectStore.from_settings(settings)
        store.ensure_bucket()
        datasets = list_datasets(store)
    except MusicrecError as exc:
        print(f"demo catalog: {exc.message}", file=sys.stderr)
        return 1
    if datasets:
        print(f"dataset {datasets[-1]['dataset_id']} is already published; nothing to ingest")
        return 0
    if args.enqueue and store.exists(DEMO_UPLOAD):
        print(f"{store.uri(DEMO_UPLOAD)} is uploaded and waits for its ingest job; nothing to enqueue")
        return 0
    rows = int(os.environ.get("MUSICREC_DEMO_ROWS", "50000"))
    with tempfile.TemporaryDirectory(prefix="musicrec-demo-") as folder:
        catalog = Path(folder) / "demo-catalog.csv"
        print(f"generating a demo catalog of {rows:,} tracks", flush=True)
        write_catalog(catalog, rows=rows, seed=DEMO_SEED)
        if args.enqueue:
            try:
                return enqueue(settings, store, catalog)
            except MusicrecError as exc:
                print(f"demo catalog: {exc.message}", file=sys.stderr)
                return 1
        return subprocess.run([sys.executable, "-m", "services.ingest", str(catalog)]).returncode


if __name__ == "__main__":
    sys.exit(main())
