"""Turning a fitted model into a bundle: ``model.json`` + ``catalog.parquet`` + manifest."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pyarrow as pa

from services.trainer.clustering import FittedModel
from services.trainer.dataset import TrainingData
from shared.bundle import SCALED_PREFIX, model_prefix, write_bundle
from shared.errors import StorageError
from shared.manifest import utc_now
from shared.storage import ObjectStore

log = logging.getLogger(__name__)


def model_document(
    version: str,
    model: FittedModel,
    features: tuple[str, ...],
    *,
    clusters: list[dict[str, Any]],
    params: dict[str, Any],
    metrics: dict[str, Any],
    ablation: dict[str, Any],
    drift: dict[str, Any],
    lineage: dict[str, Any],
) -> dict[str, Any]:
    """``model.json`` as :class:`shared.bundle.ModelDocument` describes it (``clusters`` from
    :mod:`services.trainer.segments`, ``ablation`` from :mod:`services.trainer.ablation`, ``drift``
    from :func:`shared.drift.drift_report`)."""
    return {
        "version": version,
        "created_at": utc_now(),
        "features": list(features),
        "k": model.k,
        "scaler": {"mean": model.scaler.mean_.tolist(), "scale": model.scaler.scale_.tolist()},
        "centroids": model.kmeans.cluster_centers_.astype(np.float64).tolist(),
        "clusters": clusters,
        "params": params,
        "metrics": metrics,
        "ablation": ablation,
        "drift": drift,
        "lineage": lineage,
    }


def catalog_table(data: TrainingData, model: FittedModel) -> pa.Table:
    """The tracks to recommend from: their records, cluster and scaled features (float32)."""
    columns: dict[str, Any] = {name: data.tracks.column(name) for name in data.tracks.column_names}
    columns["cluster"] = pa.array(model.labels, pa.int32())
    for j, name in enumerate(data.features):
        columns[SCALED_PREFIX + name] = pa.array(np.ascontiguousarray(model.scaled[:, j]), pa.float32())
    return pa.table(columns)


def publish(store: ObjectStore, document: dict[str, Any], catalog: pa.Table) -> dict[str, Any]:
    """Write and verify the bundle; a failed write leaves no files behind (when it can)."""
    version = document["version"]
    try:
        return write_bundle(store, document, catalog)
    except Exception:
        try:
            store.delete_prefix(model_prefix(version))
        except StorageError as cleanup:
            log.warning("could not remove an unfinished bundle", extra={"version": version, "error": cleanup.message})
        raise
