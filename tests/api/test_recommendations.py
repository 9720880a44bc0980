"""The recommendation contract: seeds, feature values, targets and ranges, answered exactly as a
brute-force scan of the catalog with the same scoring and filters answers them."""

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
from services.api.tuning import TUNABLE_RANGES
from tests.api.reference import Reference
from tools.synthetic_model import build_model, generate_tracks, publish_model

QUERY = {"danceability": 0.62, "energy": 0.7, "loudness": -8.0, "speechiness": 0.08, "acousticness": 0.2,
         "instrumentalness": 0.05, "liveness": 0.15, "valence": 0.55, "tempo": 118.0}  # fmt: skip
RECORD = {*TRACK_COLUMNS, "artist_id", "cluster", "distance"}


@pytest.fixture
def reference(store: ObjectStore, version: str) -> Reference:
    return Reference(load_bundle(store, version))


def check(body: dict, expected: dict) -> None:
    assert [t["track_id"] for t in body["tracks"]] == [track_id for track_id, _ in expected["tracks"]]
    assert [t["distance"] for t in body["tracks"]] == pytest.approx([d for _, d in expected["tracks"]], rel=1e-6, abs=1e-9)
    assert body["cluster"]["id"] == expected["cluster"]
    for seed in body["seeds"]:
        assert (seed["initial_pool_size"], seed["after_filtering_size"]) == (expected["initial_pool_size"], expected["after_filtering_size"])


def test_features_give_the_exact_nearest_tracks_of_the_whole_catalog(client: TestClient, reference: Reference, version: str) -> None:
    response = client.post("/v1/recommendations", json={"features": QUERY, "limit": 10})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model_version"] == version and body["seeds"] == []
    check(body, reference.answer([], {}, {}, 10, features=QUERY))
    assert body["cluster"]["label"] == reference.labels[body["cluster"]["id"]]
    assert set(body["tracks"][0]) == RECORD
    assert body["tracks"][0]["cluster"]["label"] == reference.labels[body["tracks"][0]["cluster"]["id"]]
    same = client.post("/v1/recommendations", json={"features": QUERY, "limit": 10, "same_cluster": True}).json()
    check(same, reference.answer([], {}, {}, 10, same_cluster=True, features=QUERY))
    assert {t["cluster"]["id"] for t in same["tracks"]} == {same["cluster"]["id"]}


def random_request(rng: np.random.Generator, reference: Reference) -> dict:
    """Seeds of each kind, targets on model features and on other attributes, ranges, options."""
    rows = reference.rows
    seeds = [("track", rows[int(i)]["track_id"]) for i in rng.choice(len(rows), int(rng.integers(0, 3)), replace=False)]
    if rng.random() < 0.5:
        seeds.append(("artist", reference.artist[int(rng.integers(0, len(rows)))]))
    if rng.random() < 0.5 or not seeds:
        seeds.append(("genre", rows[int(rng.integers(0, len(rows)))]["genre"]))
    targets, ranges = {}, {}
    for name in rng.choice(list(TUNABLE_RANGES), int(rng.integers(0, 3)), replace=False).tolist():
        low, high = TUNABLE_RANGES[name]
        values = [r[name] for r in rows if r[name] is not None]
        targets[name] = float(np.round(rng.choice(values), 3)) if name not in ("year", "popularity") else float(rng.choice(values))
    for name in rng.choice(list(TUNABLE_RANGES), int(rng.integers(0, 3)), replace=False).tolist():
        values = np.sort([r[name] for r in rows if r[name] is not None])
        low, high = np.quantile(values, sorted(rng.uniform(0, 1, 2)))
        ranges[name] = (float(low) if rng.random() < 0.8 else None, float(high) if rng.random() < 0.8 else None)
    return {
        "seeds": seeds, "targets": targets, "ranges": {k: v for k, v in ranges.items() if v != (None, None)},
        "limit": int(rng.integers(1, 40)), "max_per_artist": int(rng.integers(1, 3)) if rng.random() < 0.3 else None,
        "same_cluster": bool(rng.random() < 0.2),
        "exclude": [rows[int(i)]["track_id"] for i in rng.choice(len(rows), int(rng.integers(0, 4)), replace=False)],
    }  # fmt: skip


def as_params(request: dict) -> dict:
    params: dict = {"limit": request["limit"], "same_cluster": str(request["same_cluster"]).lower()}
    for kind in ("track", "artist", "genre"):
        values = [value for k, value in request["seeds"] if k == kind]
        if values:
            params[f"seed_{kind}s"] = ",".join(values)
    params |= {f"target_{name}": value for name, value in request["targets"].items()}
    for name, (low, high) in request["ranges"].items():
        params |= ({f"min_{name}": low} if low is not None else {}) | ({f"max_{name}": high} if high is not None else {})
    if request["max_per_artist"] is not None:
        params["max_per_artist"] = request["max_per_artist"]
    if request["exclude"]:
        params["exclude_track_ids"] = request["exclude"]
    return params


def test_random_seeds_targets_and_filters_answer_as_a_brute_force_scan(client: TestClient, reference: Reference) -> None:
    rng = np.random.default_rng(13)
    for trial in range(60):
        request = random_request(rng, reference)
        params = as_params(request)
        if trial % 2:  # the same request as a POST body
            body = {k: (v if k != "same_cluster" else v == "true") for k, v in params.items()}
            for kind in ("seed_tracks", "seed_artists", "seed_genres"):
                if kind in body:
                    body[kind] = body[kind].split(",")
            response = client.post("/v1/recommendations", json=body)
        else:
            response = client.get("/v1/recommendations", params=params)
        assert response.status_code == 200, (params, response.text)
        answer = response.json()
        expected = reference.answer(request["seeds"], request["targets"], request["ranges"], request["limit"],
                                    request["exclude"], request["max_per_artist"], request["same_cluster"])  # fmt: skip
        check(answer, expected)
        seed_songs = {reference.song[[r["track_id"] for r in reference.rows].index(v)] for k, v in request["seeds"] if k == "track"}
        for track in answer["tracks"]:
            row = reference.rows[[r["track_id"] for r in reference.rows].index(track["track_id"])]
            assert reference.song[reference.rows.index(row)] not in seed_songs  # seeds and their versions never come back
            for name, (low, high) in request["ranges"].items():  # every filter holds
                assert track[name] is not None and (low is None or track[name] >= low) and (high is None or track[name] <= high)
        if request["max_per_artist"] is not None:
            artists = [t["artist_id"] for t in answer["tracks"]]
            assert max(artists.count(a) for a in set(artists)) <= request["max_per_artist"]
        songs = [(t["track_name"].lower(), t["artist_name"].lower()) for t in answer["tracks"]]
        assert len(songs) == len(set(songs))


def test_restrictive_filters_and_filters_that_leave_nothing(client: TestClient, reference: Reference) -> None:
    seed = reference.rows[5]["track_id"]
    narrow = {"seed_tracks": seed, "min_tempo": 120, "max_tempo": 121, "min_energy": 0.5, "limit": 30}
    answer = client.get("/v1/recommendations", params=narrow).json()
    check(answer, reference.answer([("track", seed)], {}, {"tempo": (120, 121), "energy": (0.5, None)}, 30))
    assert 0 < answer["seeds"][0]["after_filtering_size"] < 40
    nothing = client.get("/v1/recommendations", params={"seed_tracks": seed, "min_year": 2099})
    assert nothing.status_code == 200
    assert nothing.json()["tracks"] == [] and nothing.json()["seeds"][0]["after_filtering_size"] == 0


def test_a_song_appears_once_and_excluded_tracks_take_their_other_versions_along(client: TestClient) -> None:
    first = client.post("/v1/recommendations", json={"features": QUERY, "limit": 50}).json()["tracks"]
    songs = [(t["track_name"], t["artist_name"]) for t in first]
    assert len(songs) == len(set(songs))
    excluded = [t["track_id"] for t in first[:3]]
    again = client.post("/v1/recommendations", json={"features": QUERY, "limit": 50, "exclude_track_ids": excluded}).json()
    assert not {(t["track_name"], t["artist_name"]) for t in again["tracks"]} & set(songs[:3])
    assert [t["track_id"] for t in again["tracks"][:10]] == [t["track_id"] for t in first[3:13]]


def test_more_like_a_track_never_returns_the_track_or_its_other_versions(
    client: TestClient, store: ObjectStore, version: str, reference: Reference
) -> None:
    by_song: dict[tuple, list[dict]] = {}
    for row in reference.rows:
        by_song.setdefault((row["track_name"], row["artist_name"]), []).append(row)
    seed = next(rows[0] for rows in by_song.values() if len(rows) > 1)  # a song with a re-release
    response = client.get(f"/v1/tracks/{seed['track_id']}/recommendations", params={"limit": 20})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["track"]["track_id"] == seed["track_id"] and body["track"]["cluster"]["id"] == seed["cluster"]
    assert len(body["tracks"]) == 20
    assert not {t["track_id"] for t in body["tracks"]} & {r["track_id"] for r in by_song[(seed["track_name"], seed["artist_name"])]}
    check(body, reference.answer([("track", seed["track_id"])], {}, {}, 20))
    assert body == client.get("/v1/recommendations", params={"seed_tracks": seed["track_id"], "limit": 20}).json() | {"track": body["track"]}


def test_an_unknown_track_is_404_naming_it(client: TestClient, version: str) -> None:
    for path in ("/v1/tracks/no-such-track/recommendations", "/v1/tracks/no-such-track", "/v1/audio-features/no-such-track"):
        response = client.get(path)
        assert response.status_code == 404
        error = response.json()["error"]
        assert error["code"] == "track_not_found" and "no-such-track" in error["message"] and version in error["message"]


def test_a_model_on_fewer_features_requires_those_and_ignores_the_others(
    env: dict, store: ObjectStore, pointer: ModelPointer, settings
) -> None:
    version = publish_model(store, 800, features=["energy", "tempo", "valence"], k=3, seed=4)
    pointer.move(version, actor="test", reason="three features")
    reference = Reference(load_bundle(store, version))
    with TestClient(create_app(settings)) as client:
        answer = client.post("/v1/recommendations", json={"features": QUERY})
        assert answer.status_code == 200 and answer.json()["model_version"] == version
        missing = client.post("/v1/recommendations", json={"features": {"energy": 0.5, "danceability": 0.3}})
        seed = reference.rows[3]["track_id"]
        soft = client.get("/v1/recommendations", params={"seed_tracks": seed, "target_danceability": 0.9, "target_popularity": 10})
    assert missing.status_code == 422
    error = missing.json()["error"]
    assert error["details"]["missing"] == ["tempo", "valence"] and "tempo" in error["message"]
    assert soft.status_code == 200  # targets on attributes the model does not use: soft preferences
    check(soft.json(), reference.answer([("track", seed)], {"danceability": 0.9, "popularity": 10}, {}, 20))


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
