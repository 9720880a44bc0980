"""Where catalogs come from and what they are written in: Windows-1252 files, objects and
prefixes of parts in MinIO; and the same input giving the same dataset twice."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable

import pytest

from services.ingest.job import ingest
from services.ingest.settings import IngestSettings
from shared.storage import ObjectStore
from tests.ingest.catalogs import HEADER_1M, features_with, rejects, row_1m, tracks

pytestmark = pytest.mark.slow

NAMES = {"w1": ("Beyoncé", "Déjà Vu"), "w2": ("Motörhead", "Ace of Spades – Live"), "w3": ("Sigur Rós", "Hoppípolla"),
         "w4": ("Françoise Hardy", "«Le temps de l’amour»")}  # fmt: skip


def test_windows_1252_names_survive(settings: IngestSettings, store: ObjectStore, redis_client, write_csv: Callable[..., Path]) -> None:
    rows = [HEADER_1M] + [row_1m(track, artist=artist, name=name) for track, (artist, name) in NAMES.items()]
    path = write_csv("catalog.csv", rows, newline="\r\n", encoding="cp1252")
    assert b"Beyonc\xe9" in path.read_bytes()  # really not UTF-8

    result = ingest(settings, str(path), train=False)

    assert result.manifest["encoding"] == "cp1252"
    got = {r["track_id"]: (r["artist_name"], r["track_name"]) for r in tracks(store, result.dataset_id).to_pylist()}
    assert got == NAMES


def test_an_object_and_a_prefix_of_parts_in_minio_are_read_through_s3a(
    settings: IngestSettings, store: ObjectStore, redis_client
) -> None:
    whole = "\n".join([HEADER_1M, row_1m("s1"), row_1m("s2", features=features_with(energy="7")), row_1m("s3")]) + "\n"
    store.put_bytes("incoming/catalog.csv", whole.encode())
    one = ingest(settings, f"s3://{store.bucket}/incoming/catalog.csv", train=False)
    assert one.counts == {"rows_read": 3, "rows_kept": 2, "rows_rejected": 1, "duplicates": 0}
    assert one.manifest["source"]["sha256"] == hashlib.sha256(whole.encode()).hexdigest()
    assert one.manifest["source"]["uri"] == f"s3://{store.bucket}/incoming/catalog.csv"

    parts = ["\n".join([HEADER_1M, row_1m("p1"), row_1m("p2", features=features_with(tempo="0"))]) + "\n",
             "\n".join([HEADER_1M, row_1m("p3"), "", row_1m("p1", popularity="90"), row_1m("")]) + "\n"]  # fmt: skip
    for number, part in enumerate(parts, start=1):
        store.put_bytes(f"incoming/parts/part-{number}.csv", part.encode())
    store.put_bytes("incoming/parts/_SUCCESS", b"")
    many = ingest(settings, f"s3://{store.bucket}/incoming/parts", train=False)

    assert many.counts == {"rows_read": 5, "rows_kept": 2, "rows_rejected": 2, "duplicates": 1}
    assert many.manifest["source"]["parts"] == 2
    assert many.manifest["source"]["sha256"] == hashlib.sha256("".join(parts).encode()).hexdigest()
    kept = {r["track_id"]: r["popularity"] for r in tracks(store, many.dataset_id).to_pylist()}
    assert kept == {"p1": 90, "p3": 50}  # the more popular p1 of the second part
    assert [(r["source_file"], r["source_line"], r["reason"]) for r in rejects(store, many.dataset_id)] == [
        ("part-1.csv", 3, "out_of_range:tempo"),
        ("part-2.csv", 5, "missing_track_id"),
    ]


def test_the_same_input_twice_gives_two_datasets_with_the_same_content(
    settings: IngestSettings, store: ObjectStore, redis_client, write_csv: Callable[..., Path]
) -> None:
    rows = [HEADER_1M] + [row_1m(f"t{n % 40}", popularity=str(n % 7)) for n in range(120)] + [row_1m("", name="bad")]
    path = write_csv("catalog.csv", rows)

    first = ingest(settings, str(path), train=False)
    second = ingest(settings, str(path), train=False)

    assert first.dataset_id != second.dataset_id
    assert tracks(store, first.dataset_id).equals(tracks(store, second.dataset_id))
    for field in ("rows_read", "rows_kept", "rows_rejected", "rejected_by_reason", "duplicates", "source", "schema"):
        assert first.manifest[field] == second.manifest[field]
    assert sorted(e["sha256"] for e in first.manifest["files"].values()) == sorted(e["sha256"] for e in second.manifest["files"].values())
