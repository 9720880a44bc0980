"""Inputs that give no dataset, and runs that fail half-way: one clear error, nothing published,
the latest pointer unchanged, no training job."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest
from rq import Queue

from services.ingest import job, publish
from services.ingest.job import ingest
from services.ingest.settings import IngestSettings
from shared.errors import IngestError
from shared.pointer import TRAINING_QUEUE, ModelPointer
from shared.schema import FEATURE_NAMES
from shared.storage import ObjectStore
from tests.ingest.catalogs import HEADER_1M, features_with, row_1m

PREVIOUS = "20250101T000000000000Z-aaaaaa"


@pytest.fixture
def pointer(redis_client) -> ModelPointer:
    pointer = ModelPointer(redis_client)
    pointer.set_latest_dataset(PREVIOUS)
    return pointer


def assert_nothing_published(store: ObjectStore, pointer: ModelPointer) -> None:
    assert store.list("datasets/") == []
    assert pointer.latest_dataset() == PREVIOUS
    assert Queue(TRAINING_QUEUE, connection=pointer.client).count == 0


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", r"is empty: it has no header row and no tracks"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", r"is not a CSV text file \(it holds binary data"),
        (b'{"tracks": [1, 2, 3]}\n', r"is not a CSV file: it starts like JSON, XML or HTML"),
        (b"tracks\nt1\n", r"is not a CSV file: its first line has no comma-separated columns \('tracks'\)"),
        (
            ("track_id,track_name," + ",".join(f for f in FEATURE_NAMES if f != "tempo") + "\nt1,a\n").encode(),
            r"lacks required column\(s\) \['tempo'\]; it has \['track_id', 'track_name', 'danceability'",
        ),
    ],
    ids=["empty", "binary", "json", "one-column", "missing-columns"],
)
def test_a_bad_file_is_refused_before_spark_starts(
    content: bytes, message: str, settings: IngestSettings, store: ObjectStore, pointer: ModelPointer,
    write_csv: Callable[..., Path], monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(job, "spark_session", lambda settings: pytest.fail("Spark must not start for a bad file"))
    path = write_csv("catalog.csv", content)
    with pytest.raises(IngestError, match=message):
        ingest(settings, str(path))
    assert_nothing_published(store, pointer)


def test_a_missing_file_or_object_is_named(settings: IngestSettings, store: ObjectStore, pointer: ModelPointer, tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=f"{tmp_path}/absent.csv does not exist"):
        ingest(settings, str(tmp_path / "absent.csv"))
    with pytest.raises(IngestError, match=rf"s3://{store.bucket}/incoming/absent.csv does not exist \(no such object"):
        ingest(settings, f"s3://{store.bucket}/incoming/absent.csv")
    with pytest.raises(IngestError, match=r"s3://no-such-bucket-here/catalog.csv does not exist"):
        ingest(settings, "s3://no-such-bucket-here/catalog.csv")
    assert_nothing_published(store, pointer)


def test_a_bad_or_taken_dataset_id_is_refused(
    settings: IngestSettings, store: ObjectStore, pointer: ModelPointer, write_csv: Callable[..., Path]
) -> None:
    path = write_csv("catalog.csv", [HEADER_1M, row_1m("t1")])
    with pytest.raises(IngestError, match=r"dataset id '\.\./up' is not a valid id"):
        ingest(settings, str(path), dataset_id="../up")
    store.put_bytes("datasets/taken/part-0.parquet", b"not ours")
    with pytest.raises(IngestError, match="dataset 'taken' already exists; a dataset is never rewritten"):
        ingest(settings, str(path), dataset_id="taken")
    assert store.list("datasets/") == ["datasets/taken/part-0.parquet"]  # left as it was
    assert pointer.latest_dataset() == PREVIOUS


def test_a_part_lacking_a_required_column_is_refused_by_name(
    settings: IngestSettings, store: ObjectStore, pointer: ModelPointer, write_csv: Callable[..., Path]
) -> None:
    first = write_csv("parts/part-1.csv", [HEADER_1M, row_1m("t1")])
    write_csv("parts/part-2.csv", [HEADER_1M.replace("track_id", "isrc").replace("artist_name", "singer"), row_1m("t2")])
    with pytest.raises(IngestError, match=r"part part-2.csv lacks required column\(s\) \['track_id'\] \(or artist_name and track_name"):
        ingest(settings, str(first.parent))
    assert_nothing_published(store, pointer)


@pytest.mark.slow
def test_a_header_without_rows_is_no_dataset(settings: IngestSettings, store: ObjectStore, pointer: ModelPointer, write_csv) -> None:
    path = write_csv("catalog.csv", [HEADER_1M, "", "  "])
    with pytest.raises(IngestError, match="has a header but no rows"):
        ingest(settings, str(path))
    assert_nothing_published(store, pointer)


@pytest.mark.slow
def test_a_file_whose_every_row_is_rejected_names_the_reasons(settings: IngestSettings, store: ObjectStore, pointer: ModelPointer, write_csv) -> None:
    rows = [row_1m("t1", features=features_with(tempo="0")), row_1m("t2", features=features_with(tempo="0")), row_1m("")]
    path = write_csv("catalog.csv", [HEADER_1M, *rows])
    with pytest.raises(IngestError, match=r"every one of its 3 rows was rejected \(out_of_range:tempo: 2, missing_track_id: 1\)"):
        ingest(settings, str(path))
    assert_nothing_published(store, pointer)


@pytest.mark.slow
def test_a_run_that_fails_half_way_publishes_nothing(
    settings: IngestSettings, store: ObjectStore, pointer: ModelPointer, write_csv, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_csv("catalog.csv", [HEADER_1M, row_1m("t1"), row_1m("")])
    written: list[str] = []

    def fail_after_tracks(*args, **kwargs):
        written.extend(store.list("datasets/"))
        raise RuntimeError("disk full while writing the rejects")

    monkeypatch.setattr(publish, "write_rejects", fail_after_tracks)
    with pytest.raises(IngestError, match="nothing was published: disk full while writing the rejects"):
        ingest(settings, str(path))
    assert any(key.endswith(".parquet") for key in written)  # the tracks had been written...
    assert_nothing_published(store, pointer)  # ...and were removed; no manifest ever existed


@pytest.mark.slow
def test_written_files_that_do_not_hold_the_counted_rows_are_not_published(
    settings: IngestSettings, store: ObjectStore, pointer: ModelPointer, write_csv, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_csv("catalog.csv", [HEADER_1M, row_1m("t1"), row_1m("")])
    monkeypatch.setattr(publish, "write_rejects", lambda *args, **kwargs: None)  # the rejects go missing
    with pytest.raises(IngestError, match=r"holds 1 tracks and 0 rejects, expected 1 and 1: not publishing it"):
        ingest(settings, str(path))
    assert_nothing_published(store, pointer)
