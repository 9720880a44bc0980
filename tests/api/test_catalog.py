"""The serving catalog: records by row (nulls, unicode, several chunks), songs, rows by id."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from services.api.catalog import ServingCatalog

AWKWARD = [
    'say "hi"', "back\\slash", "tab\there", "line\nbreak", "bell\x07 nul\x00 esc\x1b del\x7f",
    "Beyoncé", "Sigur Rós – Hoppípolla", "東京", "emoji 😀", "\u2028 separator", "", " ", None,
]  # fmt: skip


def table(names: list[str | None], chunks: int = 1) -> pa.Table:
    rows = len(names)
    columns = {
        "track_id": pa.array([f"id{i:03d}" for i in range(rows)]),
        "track_name": pa.array(names, pa.string()),
        "artist_name": pa.array(list(reversed(names)), pa.string()),
        "genre": pa.array([None if i % 3 == 0 else "pop" for i in range(rows)], pa.string()),
        "popularity": pa.array([i % 101 if i % 5 else None for i in range(rows)], pa.int32()),
    }
    catalog = pa.table(columns)
    if chunks > 1:  # as a bundle of several row groups reads
        size = -(-rows // chunks)
        catalog = pa.concat_tables([catalog.slice(start, size) for start in range(0, rows, size)])
    return catalog


@pytest.mark.parametrize("chunks", [1, 3])
def test_records_are_the_rows_asked_for_in_that_order(chunks: int) -> None:
    source = table(AWKWARD * 3, chunks)
    served = ServingCatalog(source)
    expected = source.to_pylist()
    rows = np.random.default_rng(1).permutation(len(expected))[:17].tolist()
    assert served.records(rows) == [expected[row] for row in rows]
    assert served.records([]) == []


def test_rows_are_found_by_id_and_unknown_ids_are_not() -> None:
    source = table(AWKWARD * 2)
    served = ServingCatalog(source)
    for row in (0, 7, len(AWKWARD) * 2 - 1):
        assert served.row_of(f"id{row:03d}") == row
    assert served.row_of("id999") is None and served.row_of("") is None and served.row_of("zzz") is None


def test_versions_of_a_song_share_its_number_and_tracks_without_a_name_share_none() -> None:
    names = ["Song", " song ", "SONG", "Other", None, None]
    catalog = pa.table({
        "track_id": pa.array([f"t{i}" for i in range(6)]),
        "track_name": pa.array(names, pa.string()),
        "artist_name": pa.array(["Band"] * 6),
        "genre": pa.array([None] * 6, pa.string()),
        "popularity": pa.array([None] * 6, pa.int32()),
    })  # fmt: skip
    served = ServingCatalog(catalog)
    songs = served.songs.tolist()
    assert songs[0] == songs[1] == songs[2] != songs[3]
    assert len({songs[3], songs[4], songs[5]}) == 3
    assert served.songs_of(["t1", "t3", "missing"]) == {songs[0], songs[3]}
