"""A model ready to serve: scaler, centroids, cluster labels, the catalog and its neighbour index.

Built once per bundle in the background (:func:`serving_model`), then only read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from shared.bundle import Bundle, ModelDocument
from shared.errors import BundleIntegrityError
from shared.manifest import utc_now
from shared.schema import TRACK_COLUMNS
from services.api.catalog import TUNABLE, ServingCatalog, float_values
from services.api.neighbours import IndexKind, NeighbourIndex, build_index

ATTRIBUTES = (*TUNABLE, "cluster")  # the index's attributes: what filters and soft targets read
from services.api.search import SearchIndex


@dataclass(frozen=True)
class ServingModel:
    version: str
    document: ModelDocument
    catalog: ServingCatalog
    mean: np.ndarray
    scale: np.ndarray
    centroids: np.ndarray
    labels: tuple[str, ...]
    cluster_of_row: np.ndarray  # int32: each track's cluster
    cluster_sizes: np.ndarray  # tracks per cluster
    index: NeighbourIndex  # every track's point in the scaled space, with its ATTRIBUTES
    search: SearchIndex
    loaded_at: str = field(default_factory=utc_now)

    @property
    def features(self) -> list[str]:
        return self.document.features

    def scaled(self, values: Mapping[str, float]) -> np.ndarray:
        """Feature values (original units) as a point in the model's scaled space."""
        raw = np.array([values[f] for f in self.document.features], dtype=np.float64)
        return (raw - self.mean) / self.scale

    def nearest_cluster(self, point: np.ndarray) -> int:
        """The cluster whose centroid is nearest (the first one on a tie)."""
        return int(np.argmin(((self.centroids - point) ** 2).sum(axis=1)))

    def track_point(self, row: int) -> np.ndarray:
        """A catalog track's point in the scaled space."""
        return self.index.point(row)


def serving_model(bundle: Bundle, index: IndexKind = "kdtree") -> ServingModel:
    """Index a verified bundle; refuses a catalog whose clusters or features are unusable."""
    document = bundle.model
    where = f"model {bundle.version}"
    points = bundle.scaled_features()
    if not len(points):
        raise BundleIntegrityError(f"{where}: catalog.parquet has no tracks")
    if not np.isfinite(points).all():
        raise BundleIntegrityError(f"{where}: catalog.parquet holds NaN or infinite scaled features")
    cluster_column = bundle.catalog.column("cluster")
    if cluster_column.null_count:
        raise BundleIntegrityError(f"{where}: catalog.parquet has tracks without a cluster")
    cluster_of_row = cluster_column.to_numpy().astype(np.int32)
    if cluster_of_row.min() < 0 or cluster_of_row.max() >= document.k:
        raise BundleIntegrityError(f"{where}: catalog.parquet names clusters outside 0..{document.k - 1}")
    labels = {c.id: c.label for c in document.clusters}
    tracks = bundle.catalog.select(list(TRACK_COLUMNS))  # one array per column (load_bundle); the scaled ones are ``points``
    catalog = ServingCatalog(tracks, points)
    search = SearchIndex(tracks.column("track_name"), float_values(tracks.column("popularity")),
                         catalog.artist_of_row, catalog.artist_names)  # fmt: skip
    attributes = [float_values(tracks.column(name)) for name in TUNABLE] + [cluster_of_row.astype(np.float64)]
    fill = [catalog.means[name] for name in TUNABLE] + [np.nan]  # a cluster is never a soft target
    return ServingModel(
        version=bundle.version,
        document=document,
        catalog=catalog,
        mean=np.asarray(document.scaler.mean, dtype=np.float64),
        scale=np.asarray(document.scaler.scale, dtype=np.float64),
        centroids=np.asarray(document.centroids, dtype=np.float64),
        labels=tuple(labels[c] for c in range(document.k)),
        cluster_of_row=cluster_of_row,
        cluster_sizes=np.bincount(cluster_of_row, minlength=document.k),
        index=build_index(points, attributes, np.array(fill), index),
        search=search,
    )
