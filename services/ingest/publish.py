"""Writing a dataset: Parquet parts through S3A, then a checked inventory, then the manifest.

Spark writes the tracks and the rejects under ``datasets/<dataset_id>/``. The driver then
lists what was written, hashes every file and counts the rows in its Parquet footer; a
count that differs from what validation found stops the run before the manifest exists.
"""

from __future__ import annotations

import io
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pyarrow.parquet as pq
from pyspark.sql import DataFrame

from shared.datasets import REJECTS_DIR, dataset_prefix
from shared.errors import IngestError
from shared.manifest import MANIFEST, file_entry
from shared.schema import DATASET_COLUMNS, TRACK_COLUMNS
from shared.storage import ObjectStore

from services.ingest.clean import SPARK_TYPES
from services.ingest.settings import IngestSettings
from services.ingest.spark import s3a_uri

log = logging.getLogger(__name__)

HASH_THREADS = 4


def write_parquet(frame: DataFrame, settings: IngestSettings, key: str) -> None:
    frame.write.mode("errorifexists").option("compression", "zstd").parquet(s3a_uri(settings, key))


def write_tracks(tracks: DataFrame, settings: IngestSettings, dataset_id: str) -> None:
    columns = [tracks[c].cast(SPARK_TYPES[TRACK_COLUMNS[c]]).alias(c) for c in DATASET_COLUMNS]
    write_parquet(tracks.select(*columns), settings, dataset_prefix(dataset_id))


def write_rejects(rejects: DataFrame, settings: IngestSettings, dataset_id: str) -> None:
    write_parquet(rejects.coalesce(1), settings, f"{dataset_prefix(dataset_id)}/{REJECTS_DIR}")


def _inspect(store: ObjectStore, key: str) -> tuple[dict[str, Any], int]:
    data = store.get_bytes(key)
    rows = pq.ParquetFile(io.BytesIO(data)).metadata.num_rows if key.endswith(".parquet") else -1
    return file_entry(data), rows


def inventory(store: ObjectStore, dataset_id: str, tracks: int, rejects: int) -> dict[str, dict[str, Any]]:
    """sha256 and size of every written file; refuses files or row counts that are not expected."""
    prefix = dataset_prefix(dataset_id) + "/"
    keys = [k for k in store.list(prefix) if not k.endswith("/" + MANIFEST)]
    strays = [k for k in keys if not k.endswith(".parquet")]
    if strays:
        raise IngestError(f"unexpected files under {store.uri(prefix)}: {strays[:5]}", details={"files": strays})
    with ThreadPoolExecutor(HASH_THREADS) as pool:
        inspected = dict(zip(keys, pool.map(lambda k: _inspect(store, k), keys)))
    counted = {"tracks": 0, "rejects": 0}
    for key, (_, rows) in inspected.items():
        counted["rejects" if key[len(prefix) :].startswith(REJECTS_DIR + "/") else "tracks"] += rows
    if counted != {"tracks": tracks, "rejects": rejects}:
        raise IngestError(
            f"{store.uri(prefix)} holds {counted['tracks']} tracks and {counted['rejects']} rejects, "
            f"expected {tracks} and {rejects}: not publishing it",
            details={"written": counted, "expected": {"tracks": tracks, "rejects": rejects}},
        )
    return {key[len(prefix) :]: entry for key, (entry, _) in inspected.items()}
