"""Track records, audio features, genre seeds and search of the served catalog."""

from __future__ import annotations

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from shared.bundle import load_bundle, write_bundle
from shared.pointer import ModelPointer
from shared.storage import ObjectStore
from services.api.app import create_app
from services.api.schemas import AUDIO_FEATURE_FIELDS
from tools.synthetic_model import build_model, generate_tracks


def test_tracks_by_id_in_the_order_asked_with_the_missing_listed(client: TestClient, store: ObjectStore, version: str) -> None:
    catalog = load_bundle(store, version).catalog.to_pylist()
    one = client.get("/v1/tracks/t0000007").json()
    assert one["track_id"] == "t0000007" and one["tempo"] == catalog[7]["tempo"] and one["genres"] == catalog[7]["genres"]
    assert one["cluster"]["id"] == catalog[7]["cluster"] and one["year"] == catalog[7]["year"]
    several = client.get("/v1/tracks", params={"ids": "t0000009,nope,spotify:track:t0000002"}).json()
    assert [t["track_id"] for t in several["tracks"]] == ["t0000009", "t0000002"] and several["missing"] == ["nope"]


def test_audio_features_have_the_closed_endpoints_shape(client: TestClient, store: ObjectStore, version: str) -> None:
    catalog = load_bundle(store, version).catalog.to_pylist()
    one = client.get("/v1/audio-features/t0000003").json()
    assert list(one) == list(AUDIO_FEATURE_FIELDS)
    assert one == {"id": "t0000003"} | {name: catalog[3][name] for name in AUDIO_FEATURE_FIELDS[1:]}
    ids = [f"t{i:07d}" for i in range(100)]
    many = client.get("/v1/audio-features", params={"ids": ",".join(ids[:99] + ["nope"])}).json()["audio_features"]
    assert len(many) == 100 and many[-1] is None and [f["id"] for f in many[:99]] == ids[:99]


def test_available_genre_seeds_are_the_catalogs_genres_and_each_seeds(client: TestClient, store: ObjectStore, version: str) -> None:
    catalog = load_bundle(store, version).catalog.to_pylist()
    genres = client.get("/v1/recommendations/available-genre-seeds").json()["genres"]
    assert genres == sorted({g.lower() for row in catalog for g in row["genres"] or []})
    for genre in genres:
        answer = client.get("/v1/recommendations", params={"seed_genres": genre.upper(), "limit": 3})
        assert answer.status_code == 200 and answer.json()["seeds"][0]["type"] == "genre"


NAMES = [
    ("Hoppípolla", "Sigur Rós", 40), ("HOPPIPOLLA (Live)", "Sigur Rós", 90), ("Hoppipolla", "Cover Band", 10),
    ("Hoppipolla Remix", "DJ Other", 99), ("Beyoncé", "Someone", 50), ("Halo", "Beyoncé", 80), ("東京", "Artist Tokyo", 30),
    ("東京タワー", "Artist Tokyo", 70), ("Party 🎉 Time", "Emoji Band", 20), ("Don't Stop Me Now", "Queen", 85),
]  # fmt: skip


@pytest.fixture
def named(env: dict, store: ObjectStore, pointer: ModelPointer, settings) -> TestClient:
    tracks = generate_tracks(len(NAMES) + 30, seed=3).to_pylist()
    for row, (name, artist, popularity) in zip(tracks, NAMES):
        row |= {"track_name": name, "artist_name": artist, "popularity": popularity}
    model, catalog = build_model("20260101T000000000000Z-names", pa.Table.from_pylist(tracks), k=3)
    write_bundle(store, model, catalog)
    pointer.move(model["version"], actor="test", reason="names")
    with TestClient(create_app(settings)) as client:
        yield client


def names(client: TestClient, q: str, kind: str = "track") -> list[str]:
    body = client.get("/v1/search", params={"q": q, "type": kind}).json()
    return [item["track_name" if kind == "track" else "name"] for item in body[f"{kind}s"]["items"]]


def test_search_ranks_exact_then_prefix_then_words_and_ignores_case_accents_and_punctuation(named: TestClient) -> None:
    # exact names first (most popular first), then names that start with the query, then names with its words
    assert names(named, "hoppipolla") == ["Hoppípolla", "Hoppipolla", "Hoppipolla Remix", "HOPPIPOLLA (Live)"]
    assert names(named, "HOPPÍPOLLA!!") == names(named, "hoppipolla")
    assert names(named, "dont stop") == names(named, "Don’t STOP") == ["Don't Stop Me Now"]
    assert names(named, "sigur hoppipolla") == ["HOPPIPOLLA (Live)", "Hoppípolla"]  # words of the artist count
    assert names(named, "beyonce", "artist") == ["Beyoncé"] and names(named, "beyonce")[0] == "Beyoncé"


def test_unicode_names_are_found_by_their_own_characters(named: TestClient) -> None:
    assert names(named, "東京") == ["東京", "東京タワー"]  # the exact name, then the one it starts
    assert names(named, "🎉") == ["Party 🎉 Time"]
    body = named.get("/v1/search", params={"q": "tokyo", "type": "artist"}).json()["artists"]
    assert [a["name"] for a in body["items"]] == ["Artist Tokyo"] and body["items"][0]["tracks"] == 2
    assert body["items"][0]["popularity"] == 70


def test_search_pages_and_says_how_many_match(named: TestClient) -> None:
    first = named.get("/v1/search", params={"q": "hoppipolla", "type": "track", "limit": 2}).json()["tracks"]
    second = named.get("/v1/search", params={"q": "hoppipolla", "type": "track", "limit": 2, "offset": 2}).json()["tracks"]
    assert first["total"] == second["total"] == 4 and len(first["items"]) == len(second["items"]) == 2
    assert not {t["track_id"] for t in first["items"]} & {t["track_id"] for t in second["items"]}
    assert named.get("/v1/search", params={"q": "zzzz nothing"}).json()["tracks"] == {"items": [], "total": 0, "limit": 20, "offset": 0}
