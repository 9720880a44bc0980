"""A model ready to serve: scaler, centroids, cluster labels and one k-d tree per cluster.

Built once per bundle in the background (:func:`serving_model`), then only read. A query is
scaled with the model's scaler, assigned to the nearest centroid, and answered with the
exact nearest catalog tracks of that cluster (Euclidean distance in the scaled space).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

import numba
import numpy as np

from shared.bundle import Bundle, ModelDocument
from shared.errors import BundleIntegrityError
from shared.manifest import utc_now
from services.api.catalog import ServingCatalog
from services.api.kdtree import KdTree, build_tree, compile_kernels

NO_SONGS = np.empty(0, dtype=np.int32)
NO_DISTANCES = np.empty(0, dtype=np.float64)


@dataclass(frozen=True)
class ClusterIndex:
    rows: np.ndarray  # catalog rows of this cluster, in the tree's leaf order
    songs: np.ndarray  # their song numbers, in the same order
    tree: KdTree | None  # over those rows' scaled features; None for an empty cluster


@dataclass(frozen=True)
class ServingModel:
    version: str
    document: ModelDocument
    catalog: ServingCatalog
    mean: np.ndarray
    scale: np.ndarray
    centroids: np.ndarray
    labels: tuple[str, ...]
    clusters: tuple[ClusterIndex, ...]
    position: np.ndarray  # row -> its position inside its cluster's tree (leaf order)
    cluster_of_row: np.ndarray
    loaded_at: str = field(default_factory=utc_now)

    @property
    def features(self) -> list[str]:
        return self.document.features

    def locate(self, values: Mapping[str, float]) -> tuple[int, np.ndarray]:
        """The cluster of the nearest centroid and the scaled query (one compiled step)."""
        raw = np.array([values[f] for f in self.document.features], dtype=np.float64)
        point = np.empty_like(raw)
        return _locate(raw, self.mean, self.scale, self.centroids, point), point

    def track_point(self, row: int) -> tuple[int, np.ndarray]:
        """The cluster of a catalog track and its scaled features."""
        cluster = int(self.cluster_of_row[row])
        return cluster, self.clusters[cluster].tree.points[self.position[row]].astype(np.float64)

    def nearest(
        self, cluster: int, point: np.ndarray, limit: int, excluded_songs: Iterable[int] = ()
    ) -> tuple[np.ndarray, np.ndarray]:
        """Catalog rows and distances of the ``limit`` nearest tracks of ``cluster``, nearest
        first, one per song (its nearest version), skipping excluded songs: one exact search of
        the cluster's tree, never a scan."""
        index = self.clusters[cluster]
        if index.tree is None:
            return index.rows, NO_DISTANCES  # no rows
        excluded = np.unique(np.fromiter(excluded_songs, dtype=np.int32)) if excluded_songs else NO_SONGS
        positions, distances = index.tree.nearest_songs(point, index.songs, limit, excluded)
        return index.rows[positions], distances


@numba.njit(cache=True, nogil=True)
def _locate(raw, mean, scale, centroids, point):  # pragma: no cover - compiled
    """Scale ``raw`` into ``point``; returns the nearest centroid's number (the first on ties)."""
    for f in range(raw.shape[0]):
        point[f] = (raw[f] - mean[f]) / scale[f]
    best, nearest = np.inf, 0
    for c in range(centroids.shape[0]):
        distance = 0.0
        for f in range(raw.shape[0]):
            d = centroids[c, f] - point[f]
            distance += d * d
        if distance < best:
            best, nearest = distance, c
    return nearest


def serving_model(bundle: Bundle) -> ServingModel:
    """Index a verified bundle; refuses a catalog whose clusters or features are unusable."""
    document = bundle.model
    where = f"model {bundle.version}"
    points = bundle.scaled_features()
    if not np.isfinite(points).all():
        raise BundleIntegrityError(f"{where}: catalog.parquet holds NaN or infinite scaled features")
    cluster_column = bundle.catalog.column("cluster")
    if cluster_column.null_count:
        raise BundleIntegrityError(f"{where}: catalog.parquet has tracks without a cluster")
    cluster_of_row = cluster_column.to_numpy().astype(np.int32)
    if len(cluster_of_row) and (cluster_of_row.min() < 0 or cluster_of_row.max() >= document.k):
        raise BundleIntegrityError(f"{where}: catalog.parquet names clusters outside 0..{document.k - 1}")
    compile_kernels()
    _locate(np.zeros(1), np.zeros(1), np.ones(1), np.zeros((1, 1)), np.zeros(1))
    order = np.argsort(cluster_of_row, kind="stable").astype(np.int32)
    by_cluster = points[order]  # each cluster's points contiguous; its tree copies its slice
    del points
    catalog = ServingCatalog(bundle.catalog)
    catalog.tracks_json(np.zeros(min(1, catalog.size), np.int32), [0.0])  # compiled now, not in a request
    bounds = np.concatenate([[0], np.cumsum(np.bincount(cluster_of_row, minlength=document.k))])
    position = np.empty(len(order), dtype=np.int32)
    clusters = []
    for c in range(document.k):
        start, end = int(bounds[c]), int(bounds[c + 1])
        if end == start:
            clusters.append(ClusterIndex(order[start:end], NO_SONGS, None))
            continue
        tree = build_tree(by_cluster[start:end])
        rows = order[start:end][tree.order]
        position[rows] = np.arange(end - start, dtype=np.int32)
        clusters.append(ClusterIndex(rows, catalog.songs[rows], tree))
    del by_cluster
    labels = {c.id: c.label for c in document.clusters}
    return ServingModel(
        version=bundle.version,
        document=document,
        catalog=catalog,
        mean=np.asarray(document.scaler.mean, dtype=np.float64),
        scale=np.asarray(document.scaler.scale, dtype=np.float64),
        centroids=np.asarray(document.centroids, dtype=np.float64),
        labels=tuple(labels[c] for c in range(document.k)),
        clusters=tuple(clusters),
        position=position,
        cluster_of_row=cluster_of_row,
    )

