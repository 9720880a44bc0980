"""``python -m services.ingest.bootstrap``: the ingest container's job at first start.

When no dataset is published yet, generate the demo catalog (``MUSICREC_DEMO_ROWS``
tracks, 50,000 by default) and ingest it, which enqueues the first training job. When a
dataset exists already, say which and exit 0, so a restart of the stack ingests nothing.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from shared.datasets import list_datasets
from shared.errors import MusicrecError
from shared.settings import entry_point_settings
from shared.storage import ObjectStore

from services.ingest import __main__ as cli
from services.ingest.settings import IngestSettings


def main() -> int:
    settings = entry_point_settings(IngestSettings, "ingest")
    try:
        store = ObjectStore.from_settings(settings)
        store.ensure_bucket()
        datasets = list_datasets(store)
    except MusicrecError as exc:
        print(f"ingest: {exc.message}", file=sys.stderr)
        return 1
    if datasets:
        print(f"dataset {datasets[-1]['dataset_id']} is already published; nothing to ingest")
        return 0
    from services.ingest.generate import write_catalog

    rows = int(os.environ.get("MUSICREC_DEMO_ROWS", "50000"))
    with tempfile.TemporaryDirectory(prefix="musicrec-demo-") as folder:
        catalog = Path(folder) / "demo-catalog.csv"
        print(f"generating a demo catalog of {rows:,} tracks", flush=True)
        write_catalog(catalog, rows=rows, seed=7)
        return cli.main([str(catalog)])


if __name__ == "__main__":
    sys.exit(main())
