"""Header rows of public layouts map onto the shared schema; a missing column is named."""

import pytest

from services.ingest.layout import map_header
from services.ingest.scan import read_header
from shared.errors import IngestError
from shared.schema import DATASET_COLUMNS, FEATURE_NAMES
from tests.conftest import shared_file


def header_of(name: str) -> list[str]:
    path = shared_file("datasets", name)
    return read_header(path.read_bytes()[:65536], str(path))


def test_the_spotify_1m_sample_maps_by_its_own_names() -> None:
    layout = map_header(header_of("spotify_1m_sample_2000.csv"))
    assert layout.name == "spotify-1m"
    assert layout.column_map() == {c: c for c in DATASET_COLUMNS if c not in ("genres", "explicit")}  # genres come from genre
    assert not layout.year_from_date and layout.dropped == ()


def test_the_tidytuesday_sample_maps_through_aliases() -> None:
    layout = map_header(header_of("tidytuesday_spotify_songs_sample_2098_with_ids.csv"))
    assert layout.name == "tidytuesday-spotify-songs"
    mapped = layout.column_map()
    assert mapped["artist_name"] == "track_artist"
    assert mapped["popularity"] == "track_popularity"
    assert mapped["genre"] == "playlist_genre"
    assert mapped["year"] == "track_album_release_date" and layout.year_from_date
    assert "time_signature" not in mapped  # absent in this layout: a null column in the dataset
    assert all(mapped[f] == f for f in FEATURE_NAMES)


def test_an_unnamed_leading_index_column_is_dropped() -> None:
    header = ["", "artists", "name", "id", "track_genre", *FEATURE_NAMES]
    layout = map_header(header)
    assert layout.dropped == (0,)
    assert layout.sources["track_id"] == 3 and layout.sources["artist_name"] == 1 and layout.sources["genre"] == 4
    assert layout.raw_names[0] == "column_1"


def test_names_are_matched_without_regard_to_case_spaces_or_a_byte_order_mark() -> None:
    header = ["\ufeffTrack ID", "Track Name", "Artist", *[f.upper() for f in FEATURE_NAMES]]
    layout = map_header(header)
    assert layout.column_map()["track_id"] == "\ufeffTrack ID"
    assert layout.sources["track_name"] == 1 and layout.sources["artist_name"] == 2
    assert layout.name == "custom"


def test_the_year_column_wins_over_a_release_date() -> None:
    layout = map_header(["track_id", "release_date", "year", *FEATURE_NAMES])
    assert layout.column_map()["year"] == "year" and not layout.year_from_date


def test_missing_required_columns_are_named_with_the_columns_found() -> None:
    header = ["track_id", "track_name", *[f for f in FEATURE_NAMES if f not in ("energy", "tempo")]]
    with pytest.raises(IngestError) as caught:
        map_header(header, "catalog.csv")
    message = caught.value.message
    assert "catalog.csv lacks required column(s) ['energy', 'tempo']" in message
    assert "track_name" in message and "danceability" in message  # the columns it has
    assert caught.value.details == {"missing": ["energy", "tempo"], "found": header}


def test_a_header_without_a_track_id_is_refused() -> None:
    with pytest.raises(IngestError, match=r"lacks required column\(s\) \['track_id'\].*track_id: track_id/id"):
        map_header(["name", *FEATURE_NAMES])


def test_repeated_empty_and_reserved_header_cells_get_unique_names_for_the_rejects() -> None:
    layout = map_header(["track_id", "genre", "genre", "", "reason", *FEATURE_NAMES])
    assert layout.raw_names[:5] == ("track_id", "genre", "genre_2", "column_4", "input_reason")
    assert layout.sources["genre"] == 1
    assert len(set(layout.raw_names)) == len(layout.raw_names)


def test_a_header_with_artist_and_name_but_no_id_derives_ids_and_finds_an_album() -> None:
    layout = map_header(["Artist", "Song", "Album", "year", "Explicit", "time signature", *FEATURE_NAMES])
    assert layout.derives_ids and "track_id" not in layout.sources
    assert layout.album == 2 and layout.sources["explicit"] == 4 and layout.sources["time_signature"] == 5
    assert not map_header(["id", *FEATURE_NAMES]).derives_ids
