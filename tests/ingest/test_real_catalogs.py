"""The two real catalogs of ../shared ingest into the dataset contract (real Spark, real MinIO).

The expected rows come from a separate reading of each file with Python's csv module and
the schema's ranges, deduplicated by the rule (most popular, then first).
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pyarrow as pa
import pytest
from rq import Queue

from services.ingest.job import ingest
from services.ingest.settings import IngestSettings
from shared.datasets import list_datasets, load_table
from shared.manifest import verify_files
from shared.pointer import TRAINING_QUEUE, ModelPointer
from shared.schema import DATASET_COLUMNS, FEATURES
from shared.storage import ObjectStore
from tests.conftest import shared_file

pytestmark = pytest.mark.slow

EXPECTED_TYPES = {
    **{c: pa.string() for c in ("track_id", "track_name", "artist_name", "genre")},
    **{c: pa.int32() for c in ("popularity", "year", "key", "mode", "time_signature")},
    "duration_ms": pa.int64(),
    "genres": pa.list_(pa.field("element", pa.string(), nullable=False)),  # no label is null
    "explicit": pa.bool_(),
    **{f: pa.float64() for f in FEATURES},
}


def expected_tracks(path: Path, popularity: str, genre: str) -> dict[str, dict[str, str]]:
    """track_id -> the row the dedupe rule keeps, read independently of the ingest code."""
    kept: dict[str, tuple[int, int, dict[str, str]]] = {}
    with open(path, newline="", encoding="utf-8") as handle:
        for number, row in enumerate(csv.DictReader(handle)):
            if not all(FEATURES[f].contains(float(row[f])) for f in FEATURES):
                continue
            rank = (-int(row[popularity]), number)
            if row["track_id"] not in kept or rank < kept[row["track_id"]][:2]:
                kept[row["track_id"]] = (*rank, {"popularity": row[popularity], "genre": row[genre]})
    return {track: values for track, (_, _, values) in kept.items()}


@pytest.mark.parametrize(
    "name, layout, popularity, genre",
    [
        ("spotify_1m_sample_2000.csv", "spotify-1m", "popularity", "genre"),
        ("tidytuesday_spotify_songs_sample_2098_with_ids.csv", "tidytuesday-spotify-songs", "track_popularity", "playlist_genre"),
    ],
)
def test_a_real_catalog_becomes_a_published_dataset(
    name: str, layout: str, popularity: str, genre: str, settings: IngestSettings, store: ObjectStore, redis_client
) -> None:
    path = shared_file("datasets", name)
    with open(path, newline="", encoding="utf-8") as handle:
        rows_in_file = sum(1 for _ in csv.DictReader(handle))
    expected = expected_tracks(path, popularity, genre)

    result = ingest(settings, str(path), train=False)

    manifest = result.manifest
    assert result.counts == {
        "rows_read": rows_in_file,
        "rows_kept": len(expected),
        "rows_rejected": 0,
        "duplicates": rows_in_file - len(expected),
    }
    assert manifest["kind"] == "dataset" and manifest["dataset_id"] == result.dataset_id
    assert manifest["layout"] == layout and manifest["encoding"] == "utf-8"
    assert manifest["rejected_by_reason"] == {}
    assert manifest["source"] == {
        "name": name, "uri": str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "bytes": path.stat().st_size, "parts": 1,
    }  # fmt: skip
    assert list(manifest["schema"]) == list(DATASET_COLUMNS)
    assert manifest["engine"]["spark"].startswith("4.") and manifest["engine"]["hadoop"].startswith("3.")
    assert {"check", "scan", "start_spark", "read_validate", "dedupe", "write", "verify", "total"} <= set(manifest["timings"])
    verify_files(store, f"datasets/{result.dataset_id}", manifest)  # every listed file matches its sha256
    assert any(f.startswith("rejects/") for f in manifest["files"])

    table = load_table(store, result.dataset_id)
    assert table.schema.names == list(DATASET_COLUMNS)
    assert {f.name: f.type for f in table.schema} == EXPECTED_TYPES
    got = {r["track_id"]: {"popularity": str(r["popularity"]), "genre": r["genre"]} for r in table.to_pylist()}
    assert got == expected
    assert table.num_rows == len(got)  # no id twice
    assert [d["dataset_id"] for d in list_datasets(store)] == [result.dataset_id]
    assert ModelPointer(redis_client).latest_dataset() == result.dataset_id
    assert Queue(TRAINING_QUEUE, connection=redis_client).count == 0  # train=False


def test_the_release_date_gives_the_year_and_a_missing_time_signature_is_null(settings: IngestSettings, store: ObjectStore, redis_client) -> None:
    path = shared_file("datasets", "tidytuesday_spotify_songs_sample_2098_with_ids.csv")
    with open(path, newline="", encoding="utf-8") as handle:
        dates = {r["track_id"]: r["track_album_release_date"] for r in csv.DictReader(handle)}

    result = ingest(settings, str(path))

    table = load_table(store, result.dataset_id, columns=["track_id", "year", "time_signature"]).to_pylist()
    assert all(row["year"] == int(dates[row["track_id"]][:4]) for row in table)
    assert all(row["time_signature"] is None for row in table)
    jobs = Queue(TRAINING_QUEUE, connection=redis_client).jobs
    assert len(jobs) == 1 and result.training_job_id == jobs[0].id
    assert jobs[0].func_name == "services.trainer.jobs.train"
    assert jobs[0].kwargs["dataset_id"] == result.dataset_id and jobs[0].meta["actor"] == "ingest"
