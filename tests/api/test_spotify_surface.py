"""The Spotify-compatible surface, through a real Spotify client library (spotipy) pointed at a
real API process."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Iterator

import pytest
import spotipy

from shared.bundle import load_bundle
from shared.pointer import ModelPointer
from shared.storage import ObjectStore
from tests.api.conftest import wait_until
from tests.api.test_served_process import api_process
from tools.synthetic_model import publish_model


@pytest.fixture
def spotify(env: dict, redis_client, store: ObjectStore, pointer: ModelPointer, tmp_path: Path) -> Iterator[tuple[spotipy.Spotify, dict]]:
    version = publish_model(store, 1500, k=5, seed=2)
    pointer.move(version, actor="test", reason="spotipy")
    with api_process(env, tmp_path / "api.log") as (url, _):
        client = spotipy.Spotify(auth="any-token-is-ignored", requests_timeout=10, retries=0)
        client.prefix = f"{url}/spotify/v1/"
        wait_until(lambda: client.recommendation_genre_seeds()["genres"] if _ready(client) else None, 30, "a model")
        yield client, {row["track_id"]: row for row in load_bundle(store, version).catalog.to_pylist()}


def _ready(client: spotipy.Spotify) -> bool:
    try:
        client.recommendation_genre_seeds()
        return True
    except spotipy.SpotifyException:
        return False


def test_spotipy_gets_recommendations_audio_features_tracks_and_search(spotify: tuple[spotipy.Spotify, dict]) -> None:
    client, catalog = spotify
    warnings.simplefilter("ignore", DeprecationWarning)  # spotipy warns that Spotify closed these endpoints
    ids = list(catalog)
    seeds = ids[:2]
    genre = client.recommendation_genre_seeds()["genres"][0]
    answer = client.recommendations(seed_tracks=seeds, seed_genres=[genre], limit=15, target_energy=0.8, min_tempo=90, max_tempo=160)
    assert [s["type"] for s in answer["seeds"]] == ["TRACK", "TRACK", "GENRE"]
    assert all(s["initialPoolSize"] >= s["afterFilteringSize"] > 0 for s in answer["seeds"])
    assert len(answer["tracks"]) == 15 and not {t["id"] for t in answer["tracks"]} & set(seeds)
    for track in answer["tracks"]:
        assert 90 <= catalog[track["id"]]["tempo"] <= 160
        assert track["artists"][0]["name"] == catalog[track["id"]]["artist_name"] and track["album"] is None

    artist = answer["tracks"][0]["artists"][0]["id"]
    by_artist = client.recommendations(seed_artists=[f"spotify:artist:{artist}"], limit=5)
    assert by_artist["seeds"][0]["id"] == artist and len(by_artist["tracks"]) == 5

    features = client.audio_features(ids[:100])
    assert len(features) == 100 and [f["id"] for f in features] == ids[:100]
    assert features[0]["tempo"] == catalog[ids[0]]["tempo"] and features[0]["type"] == "audio_features"

    track = client.track(f"spotify:track:{ids[5]}")
    assert (track["id"], track["name"], track["popularity"]) == (ids[5], catalog[ids[5]]["track_name"], catalog[ids[5]]["popularity"])
    assert [t["id"] for t in client.tracks(ids[:3])["tracks"]] == ids[:3]

    name = catalog[ids[7]]["track_name"]
    found = client.search(name, type="track", limit=5)["tracks"]
    assert found["items"][0]["name"] == name and found["total"] >= 1
    artists = client.search(catalog[ids[7]]["artist_name"], type="artist", limit=3)["artists"]["items"]
    assert artists[0]["name"] == catalog[ids[7]]["artist_name"] and artists[0]["genres"]


def test_spotify_errors_reach_spotipy_with_their_message(spotify: tuple[spotipy.Spotify, dict]) -> None:
    client, _ = spotify
    warnings.simplefilter("ignore", DeprecationWarning)
    with pytest.raises(spotipy.SpotifyException) as unknown:
        client.track("nosuchtrack")
    assert unknown.value.http_status == 404 and "nosuchtrack" in unknown.value.msg
    with pytest.raises(spotipy.SpotifyException) as bad:
        client.recommendations(seed_genres=["pop"], target_energy=3)
    assert bad.value.http_status == 422 and "target_energy" in bad.value.msg
