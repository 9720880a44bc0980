"""The recommendation contract: exact nearest tracks of the nearest centroid's cluster."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from shared.bundle import load_bundle, write_bundle
from shared.pointer import ModelPointer
from shared.schema import FEATURE_NAMES, TRACK_COLUMNS
from shared.storage import ObjectStore
from services.api.app import create_app
from tools.synthetic_model import build_model, generate_tracks, publish_model

QUERY = {"danceability": 0.62, "energy": 0.7, "loudness": -8.0, "speechiness": 0.08, "acousticness": 0.2,
         "instrumentalness": 0.05, "liveness": 0.15, "valence": 0.55, "tempo": 118.0}  # fmt: skip


def brute_force(store: ObjectStore, version: str, point: np.ndarray, cluster: int, excluded: set) -> list[tuple[str, float]]:
    """Every track of the cluster, sorted by distance, one per (name, artist), excluded songs skipped."""
    bundle = load_bundle(store, version)
    catalog = bundle.catalog.to_pylist()
    ranked = []
    for row in catalog:
        if row["cluster"] == cluster:
            vector = np.array([row[f] for f in bundle.model.features], dtype=np.float32).astype(np.float64)
            ranked.append((float(np.linalg.norm(vector - point)), row))
    ranked.sort(key=lambda item: item[0])
    seen, out = set(excluded), []
    for distance, row in ranked:
        song = (row["track_name"].strip().lower(), row["artist_name"].strip().lower())
        if song not in seen:
            seen.add(song)
            out.append((row["track_id"], distance))
    return out


def scaled(store: ObjectStore, version: str, values: dict) -> tuple[np.ndarray, int]:
    model = load_bundle(store, version).model
    point = (np.array([values[f] for f in model.features]) - np.array(model.scaler.mean)) / np.array(model.scaler.scale)
    cluster = int(np.argmin(((np.array(model.centroids) - point) ** 2).sum(axis=1)))
    return point, cluster


def test_answer_names_version_cluster_and_the_exact_nearest_tracks(client: TestClient, store: ObjectStore, version: str) -> None:
    response = client.post("/v1/recommendations", json={"features": QUERY, "limit": 10})
    assert response.status_code == 200, response.text
    body = response.json()
    point, cluster = scaled(store, version, QUERY)
    labels = {c.id: c.label for c in load_bundle(store, version).model.clusters}
    assert body["model_version"] == version
    assert body["cluster"] == {"id": cluster, "label": labels[cluster]}
    expected = brute_force(store, version, point, cluster, set())[:10]
    assert [t["track_id"] for t in body["tracks"]] == [track_id for track_id, _ in expected]
    assert [t["distance"] for t in body["tracks"]] == pytest.approx([d for _, d in expected], rel=1e-5)
    assert set(body["tracks"][0]) == {*TRACK_COLUMNS, "distance"}


def test_limit_defaults_to_five_and_allows_fifty(client: TestClient) -> None:
    assert len(client.post("/v1/recommendations", json={"features": QUERY}).json()["tracks"]) == 5
    assert len(client.post("/v1/recommendations", json={"features": QUERY, "limit": 50}).json()["tracks"]) == 50


def test_a_song_appears_once_and_excluded_tracks_take_their_other_versions_along(client: TestClient) -> None:
    first = client.post("/v1/recommendations", json={"features": QUERY, "limit": 50}).json()["tracks"]
    songs = [(t["track_name"], t["artist_name"]) for t in first]
    assert len(songs) == len(set(songs))
    excluded = [t["track_id"] for t in first[:3]]
    again = client.post("/v1/recommendations", json={"features": QUERY, "limit": 50, "exclude_track_ids": excluded}).json()
    assert not {(t["track_name"], t["artist_name"]) for t in again["tracks"]} & set(songs[:3])
    assert [t["track_id"] for t in again["tracks"][:10]] == [t["track_id"] for t in first[3:13]]


def test_more_like_a_track_never_returns_the_track_or_its_other_versions(
    client: TestClient, store: ObjectStore, version: str
) -> None:
    catalog = load_bundle(store, version).catalog.to_pylist()
    by_song: dict[tuple, list[dict]] = {}
    for row in catalog:
        by_song.setdefault((row["track_name"], row["artist_name"]), []).append(row)
    seed = next(rows[0] for rows in by_song.values() if len(rows) > 1)  # a song with a re-release
    response = client.get(f"/v1/tracks/{seed['track_id']}/recommendations", params={"limit": 20})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["track"]["track_id"] == seed["track_id"]
    assert body["cluster"]["id"] == seed["cluster"]
    assert len(body["tracks"]) == 20
    assert not {t["track_id"] for t in body["tracks"]} & {r["track_id"] for r in by_song[(seed["track_name"], seed["artist_name"])]}
    point = np.array([seed[f] for f in FEATURE_NAMES], dtype=np.float32).astype(np.float64)
    expected = brute_force(store, version, point, seed["cluster"], {(seed["track_name"].lower(), seed["artist_name"].lower())})
    assert [t["track_id"] for t in body["tracks"]] == [track_id for track_id, _ in expected[:20]]


def test_an_unknown_track_is_404_naming_it(client: TestClient, version: str) -> None:
    response = client.get("/v1/tracks/no-such-track/recommendations")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "track_not_found" and "no-such-track" in error["message"] and version in error["message"]


def test_a_model_on_fewer_features_requires_those_and_ignores_the_others(
    env: dict, store: ObjectStore, pointer: ModelPointer, settings
) -> None:
    version = publish_model(store, 800, features=["energy", "tempo", "valence"], k=3, seed=4)
    pointer.move(version, actor="test", reason="three features")
    with TestClient(create_app(settings)) as client:
        answer = client.post("/v1/recommendations", json={"features": QUERY})
        assert answer.status_code == 200 and answer.json()["model_version"] == version
        missing = client.post("/v1/recommendations", json={"features": {"energy": 0.5, "danceability": 0.3}})
    assert missing.status_code == 422
    error = missing.json()["error"]
    assert error["details"]["missing"] == ["tempo", "valence"] and "tempo" in error["message"]


def test_many_versions_of_one_song_widen_the_search_instead_of_filling_the_answer(
    env: dict, store: ObjectStore, pointer: ModelPointer, settings
) -> None:
    tracks = generate_tracks(600, seed=11).to_pylist()
    for row in tracks[1:41]:  # forty versions of track 0's song, all right next to it
        row |= {"track_name": tracks[0]["track_name"].upper(), "artist_name": " " + tracks[0]["artist_name"]}
        row |= {f: tracks[0][f] for f in FEATURE_NAMES}
    model, catalog = build_model("20260101T000000000000Z-versions", pa.Table.from_pylist(tracks), k=3)
    write_bundle(store, model, catalog)
    pointer.move(model["version"], actor="test", reason="many versions")
    query = {f: tracks[0][f] for f in FEATURE_NAMES}
    with TestClient(create_app(settings)) as client:
        answer = client.post("/v1/recommendations", json={"features": query, "limit": 5}).json()["tracks"]
        like_track = client.get(f"/v1/tracks/{tracks[0]['track_id']}/recommendations").json()["tracks"]
    versions = {t["track_id"] for t in tracks[:41]}
    assert len(answer) == 5 and sum(t["track_id"] in versions for t in answer) == 1
    assert answer[0]["distance"] == pytest.approx(0, abs=1e-5) and answer[1]["distance"] > 1e-3
    assert len(like_track) == 5 and not versions & {t["track_id"] for t in like_track}
