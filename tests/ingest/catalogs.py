"""Small catalogs written by tests, and reading back what ingest published."""

from __future__ import annotations

import pyarrow as pa

from shared.datasets import load_table
from shared.storage import ObjectStore

HEADER_1M = (
    "artist_name,track_name,track_id,popularity,year,genre,danceability,energy,key,loudness,mode,"
    "speechiness,acousticness,instrumentalness,liveness,valence,tempo,duration_ms,time_signature"
)
# danceability, energy, key, loudness, mode, speechiness, acousticness, instrumentalness, liveness, valence, tempo
GOOD_FEATURES = "0.5,0.6,5,-7.5,1,0.05,0.2,0.0,0.1,0.4,120.0"


def row_1m(track_id: str, *, artist: str = "Artist", name: str = "Song", popularity: str = "50", features: str = GOOD_FEATURES) -> str:
    return f"{artist},{name},{track_id},{popularity},2012,rock,{features},200000,4"


def features_with(**values: str) -> str:
    """GOOD_FEATURES with some cells replaced (by column name)."""
    names = ["danceability", "energy", "key", "loudness", "mode", "speechiness", "acousticness",
             "instrumentalness", "liveness", "valence", "tempo"]  # fmt: skip
    cells = GOOD_FEATURES.split(",")
    for name, value in values.items():
        cells[names.index(name)] = value
    return ",".join(cells)


def tracks(store: ObjectStore, dataset_id: str) -> pa.Table:
    return load_table(store, dataset_id)


def rejects(store: ObjectStore, dataset_id: str) -> list[dict]:
    rows = load_table(store, dataset_id, rejects=True).to_pylist()
    return sorted(rows, key=lambda r: (r["source_file"], r["source_line"] or 0))


def dataset_keys(store: ObjectStore) -> list[str]:
    return store.list("datasets/")
