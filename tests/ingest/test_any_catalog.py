"""Catalogs as public files have them: metadata that never costs a row, several genres in a
cell, no track id column, parts with their own headers, Windows-1252 names and a truncated
last line. Each checks the exact counts, and rows_read = kept + rejected + duplicates."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

import pytest

from services.ingest import job
from services.ingest.job import ingest
from services.ingest.settings import IngestSettings
from shared.errors import IngestError
from shared.ids import derived_track_id
from shared.schema import FEATURE_NAMES
from shared.storage import ObjectStore
from tests.ingest.catalogs import rejects, tracks

FEATURES = ",".join(FEATURE_NAMES)
GOOD = "0.5,0.6,-7.5,0.05,0.2,0.0,0.1,0.4,120.0"  # in FEATURE_NAMES order
BAD_ENERGY = "0.5,abc,-7.5,0.05,0.2,0.0,0.1,0.4,120.0"
LONG = "x" * 1001

METADATA_HEADER = f"track_id,track_name,artist_name,genre,popularity,release_date,key,mode,duration_ms,time_signature,explicit,{FEATURES}"
METADATA_ROWS = [
    f't01,Song,Artist,"hip hop, pop, R&B",50,2019-06-14,C#,Major,200000,4/4,True,{GOOD}',
    f"t02,Two,Artist,\"['pop', 'rock']\",101,2019-06,Db,Minor,180000,3/4,0,{GOOD}",
    f"t03,Three,Artist,set(),lots,1850,12,2,-5,x/4,maybe,{GOOD}",
    f"t04,Four,Artist,[],55.5,June 2019,H,x,abc,9,,{GOOD}",
    f"t05,{LONG},{LONG},,50,2019-13-01,4.5,1,1.5,4.5,false,{GOOD}",
    f"t06,Six,Artist,rock,lots,2019,5,1,200000,4,1,{BAD_ENERGY}",  # rejected for its energy alone
    f"t01,Song again,Artist,rock,40,2019,5,1,200000,4,1,{GOOD}",  # t01 again, less popular
]
NULLED = {
    "out_of_range:popularity": 1, "not_a_number:popularity": 1, "not_an_integer:popularity": 1,
    "out_of_range:year": 1, "not_a_date:year": 2,
    "out_of_range:key": 1, "not_a_number:key": 1, "not_an_integer:key": 1,
    "out_of_range:mode": 1, "not_a_number:mode": 1,
    "out_of_range:duration_ms": 1, "not_a_number:duration_ms": 1, "not_an_integer:duration_ms": 1,
    "not_a_number:time_signature": 1, "out_of_range:time_signature": 1, "not_an_integer:time_signature": 1,
    "not_a_boolean:explicit": 1, "too_long:track_name": 1, "too_long:artist_name": 1,
}  # fmt: skip
COLUMNS = ("track_name", "artist_name", "genre", "genres", "popularity", "year", "key", "mode", "duration_ms", "time_signature", "explicit")


def test_metadata_that_cannot_be_read_is_nulled_and_counted_and_only_features_reject(
    settings: IngestSettings, store: ObjectStore, redis_client, write_csv: Callable[..., Path]
) -> None:
    path = write_csv("catalog.csv", [METADATA_HEADER, *METADATA_ROWS])

    result = ingest(settings, str(path), train=False)

    manifest = result.manifest
    assert result.counts == {"rows_read": 7, "rows_kept": 5, "rows_rejected": 1, "duplicates": 1}
    assert manifest["rejected_by_reason"] == {"not_a_number:energy": 1}
    assert manifest["nulled_by_reason"] == dict(sorted(NULLED.items()))
    assert manifest["track_id_source"] == "column" and "track_id_recipe" not in manifest
    assert manifest["parts"] == [{
        "name": "catalog.csv", "layout": "custom", "track_id_source": "column", "rows_read": 7, "rows_kept": 5,
        "rows_rejected": 1, "duplicates": 1, "rows_nulled": 4, "nulled_by_reason": dict(sorted(NULLED.items())),
    }]  # fmt: skip
    assert manifest["schema"]["genres"] == "list<string>" and manifest["schema"]["explicit"] == "bool"
    got = {r["track_id"]: tuple(r[c] for c in COLUMNS) for r in tracks(store, result.dataset_id).to_pylist()}
    assert got == {
        "t01": ("Song", "Artist", "hip hop", ["hip hop", "pop", "R&B"], 50, 2019, 1, 1, 200000, 4, True),
        "t02": ("Two", "Artist", "pop", ["pop", "rock"], None, 2019, 1, 0, 180000, 3, False),
        "t03": ("Three", "Artist", None, None, None, None, None, None, None, None, None),
        "t04": ("Four", "Artist", None, None, None, None, None, None, None, None, None),
        "t05": (None, None, None, None, 50, None, None, 1, None, None, False),
    }
    assert [(r["track_id"], r["source_line"], r["reason"], r["popularity"]) for r in rejects(store, result.dataset_id)] == [
        ("t06", 7, "not_a_number:energy", "lots")
    ]


def cp1252(lines: list[str], end: str = "\n") -> bytes:
    return "\n".join(lines).encode("cp1252") + end.encode()


PART_1 = [  # no id column; artist, name, album, year, duration, genre, then the features
    f"artist,track_name,album_name,year,duration_ms,genre,{FEATURES}",
    f"Beyoncé,Déjà Vu,B'Day,2006,240000,\"r&b, pop\",{GOOD}",
    f"Sigur Rós,Hoppípolla,Takk,2005,268000,rock,{GOOD}",
    f"  sigur  rós  ,HOPPÍPOLLA,TAKK,2005,268400,rock,{GOOD}",  # the same track once normalized (268 s)
    f"Artist X,,Album,2000,1000,pop,{GOOD}",  # no name: no id can be derived
]
PART_2 = [  # another order, no genre, popularity and explicit besides; the last line is cut off
    f"{FEATURES},track_name,artist_name,popularity,explicit,year,duration_ms,album",
    f"{GOOD},Déjà Vu,Beyoncé,80,true,2006,240000,B'Day",  # part 1's first track, more popular: kept instead
    f"{GOOD},Ace of Spades,Motörhead,60,false,1980,169000,Ace of Spades",
    "0.5,0.6",
]


def test_parts_with_their_own_headers_and_no_id_column_load_into_one_dataset_with_derived_ids(
    settings: IngestSettings, store: ObjectStore, redis_client, write_csv: Callable[..., Path]
) -> None:
    first = write_csv("parts/part-1.csv", cp1252(PART_1))
    write_csv("parts/part-2.csv", cp1252(PART_2, end=""))

    result = ingest(settings, str(first.parent), train=False)

    manifest = result.manifest
    assert manifest["encoding"] == "cp1252"
    assert result.counts == {"rows_read": 7, "rows_kept": 3, "rows_rejected": 2, "duplicates": 2}
    assert manifest["rejected_by_reason"] == {"malformed_row": 1, "missing_track_id": 1}
    assert manifest["nulled_by_reason"] == {}
    assert manifest["track_id_source"] == "derived"
    assert manifest["track_id_recipe"]["fields"] == ["artist_name", "track_name", "album", "year", "duration_s"]
    assert [{k: p[k] for k in ("name", "track_id_source", "rows_read", "rows_kept", "rows_rejected", "duplicates")} for p in manifest["parts"]] == [
        {"name": "part-1.csv", "track_id_source": "derived", "rows_read": 4, "rows_kept": 1, "rows_rejected": 1, "duplicates": 2},
        {"name": "part-2.csv", "track_id_source": "derived", "rows_read": 3, "rows_kept": 2, "rows_rejected": 1, "duplicates": 0},
    ]  # fmt: skip
    assert all(p["rows_read"] == p["rows_kept"] + p["rows_rejected"] + p["duplicates"] for p in manifest["parts"])

    got = {r["track_id"]: (r["artist_name"], r["track_name"], r["popularity"], r["genres"], r["explicit"]) for r in tracks(store, result.dataset_id).to_pylist()}
    assert got == {
        derived_track_id("Beyoncé", "Déjà Vu", "B'Day", 2006, 240): ("Beyoncé", "Déjà Vu", 80, None, True),
        derived_track_id("sigur rós", "hoppípolla", "takk", 2005, 268): ("Sigur Rós", "Hoppípolla", None, ["rock"], None),
        derived_track_id("Motörhead", "Ace of Spades", "Ace of Spades", 1980, 169): ("Motörhead", "Ace of Spades", 60, None, False),
    }
    assert all(re.fullmatch(r"[0-9A-Za-z]{22}", track_id) for track_id in got)
    assert [(r["source_file"], r["source_line"], r["reason"]) for r in rejects(store, result.dataset_id)] == [
        ("part-1.csv", 5, "missing_track_id"),
        ("part-2.csv", 4, "malformed_row"),
    ]


def test_a_part_without_a_required_column_fails_naming_the_part_and_its_columns(
    settings: IngestSettings, store: ObjectStore, redis_client, write_csv: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(job, "spark_session", lambda settings: pytest.fail("Spark must not start for a bad part"))
    first = write_csv("parts/part-1.csv", cp1252(PART_1))
    write_csv("parts/part-2.csv", [PART_2[0].replace("tempo,", ""), PART_2[1]])
    with pytest.raises(IngestError, match=r"part part-2.csv lacks required column\(s\) \['tempo'\]; it has \['danceability', "):
        ingest(settings, str(first.parent), train=False)
    assert store.list("datasets/") == []


def test_derived_ids_are_spotify_shaped_and_ignore_case_and_spacing() -> None:
    one = derived_track_id("Sigur Rós", "Hoppípolla", "Takk", 2005, 268)
    assert re.fullmatch(r"[0-9A-Za-z]{22}", one)
    assert derived_track_id("  sigur\t rós ", "HOPPÍPOLLA", "takk", 2005, 268) == one
    assert derived_track_id("Sigur Rós", "Hoppípolla", "Takk", 2005, 269) != one
