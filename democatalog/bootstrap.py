"""``python -m democatalog.bootstrap``: the demo stack's first start.

When no dataset is published yet, generate the demo catalog (``MUSICREC_DEMO_ROWS``
tracks, 50,000 by default) and ingest it with ``python -m services.ingest``, which enqueues
the first training job. When a dataset exists already, say which and exit 0, so a restart
of the stack ingests nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from democatalog.generate import write_catalog
from shared.datasets import list_datasets
from shared.errors import MusicrecError
from shared.settings import MusicrecSettings, entry_point_settings
from shared.storage import ObjectStore

DEMO_SEED = 7


def main() -> int:
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
    rows = int(os.environ.get("MUSICREC_DEMO_ROWS", "50000"))
    with tempfile.TemporaryDirectory(prefix="musicrec-demo-") as folder:
        catalog = Path(folder) / "demo-catalog.csv"
        print(f"generating a demo catalog of {rows:,} tracks", flush=True)
        write_catalog(catalog, rows=rows, seed=DEMO_SEED)
        return subprocess.run([sys.executable, "-m", "services.ingest", str(catalog)]).returncode


if __name__ == "__main__":
    sys.exit(main())
