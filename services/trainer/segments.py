"""What a model says of each cluster: ``clusters`` in its bundle.

Per cluster: its label and the words it is made of (:mod:`services.trainer.labels`), size and
share of the catalog, centroid in the features' original units and in standard deviations
from the catalog mean, its top genres where the catalog has genres (each with the share of
the cluster's tracks that have it, and that genre's share of the whole catalog; a track with
several genres counts for each), and a few example tracks: the most central, i.e. nearest the
centroid in the scaled space, one per artist.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pyarrow as pa

from services.trainer.clustering import FittedModel
from services.trainer.genres import NO_GENRES, TrackGenres
from services.trainer.labels import cluster_labels, cluster_words

TOP_GENRES = 3
EXAMPLES = 5
EXAMPLE_CANDIDATES = 200  # nearest tracks looked at per cluster when picking one per artist
DECIMALS = 4


def genre_counts(labels: np.ndarray, k: int, genres: TrackGenres) -> np.ndarray:
    """k x genres: how many tracks of each cluster have each genre."""
    cells = labels[genres.pair_rows].astype(np.int64) * len(genres.names) + genres.pair_codes
    return np.bincount(cells, minlength=k * len(genres.names)).reshape(k, len(genres.names))


def top_genres(counts: np.ndarray, sizes: np.ndarray, catalog: np.ndarray, rows: int, names: Sequence[str]) -> list[list[dict]]:
    tops = []
    for cluster, row in enumerate(counts):
        order = np.argsort(-row, kind="stable")[:TOP_GENRES]
        tops.append([
            {"genre": names[g], "share": round(float(row[g] / sizes[cluster]), DECIMALS), "tracks": int(row[g]),
             "catalog_share": round(float(catalog[g] / rows), DECIMALS)}
            for g in order if row[g] > 0
        ])  # fmt: skip
    return tops


def central_tracks(model: FittedModel, tracks: pa.Table, artists: np.ndarray) -> list[list[dict[str, Any]]]:
    """Per cluster, up to EXAMPLES tracks nearest its centroid, one per artist."""
    centroids = model.kmeans.cluster_centers_
    distance = np.linalg.norm(model.scaled - centroids[model.labels], axis=1)
    examples = []
    for cluster in range(model.k):
        members = np.flatnonzero(model.labels == cluster)
        nearest = members[np.argsort(distance[members], kind="stable")[:EXAMPLE_CANDIDATES]]
        chosen, seen = [], set()
        for row in nearest:
            artist = int(artists[row])
            if artist >= 0 and artist in seen:
                continue
            seen.add(artist)
            chosen.append(int(row))
            if len(chosen) == EXAMPLES:
                break
        records = tracks.take(pa.array(chosen, pa.int64())).select(["track_id", "track_name", "artist_name"]).to_pylist()
        examples.append([r | {"distance": round(float(distance[row]), DECIMALS)} for r, row in zip(records, chosen)])
    return examples


def describe_clusters(
    model: FittedModel, features: Sequence[str], tracks: pa.Table, genres: TrackGenres, artists: np.ndarray
) -> list[dict[str, Any]]:
    centroids = model.kmeans.cluster_centers_.astype(np.float64)
    original = model.scaler.inverse_transform(centroids)
    words = cluster_words(centroids, features)
    labels = cluster_labels(words)
    sizes = np.bincount(model.labels, minlength=model.k)
    rows = len(model.labels)
    if genres.present:
        counts = genre_counts(model.labels, model.k, genres)
        genre_lists: list[list[dict] | None] = top_genres(counts, sizes, counts.sum(axis=0), rows, genres.names)
    else:
        genre_lists = [None] * model.k
    examples = central_tracks(model, tracks, artists)
    clusters = []
    for i in range(model.k):
        cluster = {
            "id": i,
            "label": labels[i],
            "words": [w.public() for w in words[i]],
            "size": int(sizes[i]),
            "share": round(float(sizes[i] / rows), DECIMALS),
            "centroid": {name: float(original[i, j]) for j, name in enumerate(features)},
            "standardized": {name: round(float(centroids[i, j]), DECIMALS) for j, name in enumerate(features)},
            "top_genres": genre_lists[i],
            "examples": examples[i],
        }
        if genre_lists[i] is None:
            cluster["unavailable"] = {"top_genres": NO_GENRES}
        clusters.append(cluster)
    return clusters
