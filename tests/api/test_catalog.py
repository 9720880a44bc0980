"""The serving catalog: records by row (nulls, unicode, several chunks), songs, rows by id."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from shared.ids import derived_id
from shared.schema import TRACK_COLUMNS
from shared.bundle import _conform, catalog_schema
from services.api.catalog import ServingCatalog


def served(catalog: pa.Table) -> ServingCatalog:
    return ServingCatalog(catalog, np.zeros((catalog.num_rows, 2)))

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
        "genres": pa.array([None if i % 3 == 0 else ["pop", "Beyoncé"][: 1 + i % 2] for i in range(rows)], pa.list_(pa.string())),
        "popularity": pa.array([i % 101 if i % 5 else None for i in range(rows)], pa.int32()),
        "explicit": pa.array([None if i % 4 == 0 else i % 2 == 0 for i in range(rows)], pa.bool_()),
        "tempo": pa.array([60.0 + i for i in range(rows)]),
    }
    catalog = _conform(pa.table(columns), catalog_schema(["tempo"]))
    if chunks > 1:  # as a bundle of several row groups reads
        size = -(-rows // chunks)
        catalog = pa.concat_tables([catalog.slice(start, size) for start in range(0, rows, size)])
    return catalog


@pytest.mark.parametrize("chunks", [1, 3])
def test_records_are_the_rows_asked_for_in_that_order(chunks: int) -> None:
    source = table(AWKWARD * 3, chunks)
    catalog = served(source)
    expected = [{name: row[name] for name in TRACK_COLUMNS} for row in source.to_pylist()]
    rows = np.random.default_rng(1).permutation(len(expected))[:17].tolist()
    assert [{k: v for k, v in r.items() if k != "artist_id"} for r in catalog.records(rows)] == [expected[row] for row in rows]
    assert catalog.records([]) == []


def test_rows_are_found_by_id_and_unknown_ids_are_not() -> None:
    catalog = served(table(AWKWARD * 2))
    for row in (0, 7, len(AWKWARD) * 2 - 1):
        assert catalog.row_of(f"id{row:03d}") == row
    assert catalog.row_of("id999") is None and catalog.row_of("") is None and catalog.row_of("zzz") is None


def test_artists_and_genres_are_grouped_by_their_normalised_names() -> None:
    catalog = served(table(AWKWARD * 2))
    assert catalog.genre_names == ["beyoncé", "pop"]
    pop = catalog.genres.members(catalog.genre_code["pop"]).tolist()
    assert pop == [i for i in range(len(AWKWARD) * 2) if i % 3]
    code = catalog.artist_of_row[7]  # "Beyoncé", as rows 7 and 20 name their artist
    assert catalog.artist_names[code] == "Beyoncé" and catalog.artist_ids[code] == derived_id("artist", "beyoncé")
    assert sorted(catalog.artists.members(code).tolist()) == [7, 20] and catalog.artist_of_row[0] == -1


def test_versions_of_a_song_share_its_number_and_tracks_without_a_name_share_none() -> None:
    names = ["Song", " song ", "SONG", "Other", None, None]
    catalog = _conform(pa.table({
        "track_id": pa.array([f"t{i}" for i in range(6)]),
        "track_name": pa.array(names, pa.string()),
        "artist_name": pa.array(["Band"] * 6),
    }), catalog_schema([]))  # fmt: skip
    songs_of = served(catalog)
    songs = songs_of.songs.tolist()
    assert songs[0] == songs[1] == songs[2] != songs[3]
    assert len({songs[3], songs[4], songs[5]}) == 3
    assert songs_of.songs_of(["t1", "t3", "missing"]) == {songs[0], songs[3]}
    assert sorted(songs_of.song_rows([songs[0]]).tolist()) == [0, 1, 2]
