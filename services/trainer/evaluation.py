"""Evaluation of a fitted model: what is stored under ``metrics`` in its bundle.

Silhouette is computed on a random sample (it is quadratic in the rows); Davies-Bouldin,
Calinski-Harabasz and inertia on every row. Stability is the adjusted Rand index between
the chosen k fitted with two seeds, compared on the held-out sample. Genre precision@5 is
measured where the catalog has genres (see :mod:`services.trainer.precision`).
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
import pyarrow as pa
from sklearn.metrics import adjusted_rand_score, calinski_harabasz_score, davies_bouldin_score, silhouette_score

from services.trainer.fitting import FitOptions, FittedModel, fit_on_sample
from services.trainer.precision import codes, genre_precision

log = logging.getLogger(__name__)

PRECISION_AT = 5


def _score(metric, *args, **kwargs) -> float | None:
    """A scikit-learn score, or None where it is undefined (fewer than two clusters present)."""
    try:
        value = float(metric(*args, **kwargs))
    except ValueError as exc:
        log.warning("metric undefined", extra={"metric": metric.__name__, "error": str(exc)})
        return None
    return value if math.isfinite(value) else None


def stability(model: FittedModel, options: FitOptions) -> float:
    other = fit_on_sample(model.scaled, model.samples, model.k, options, options.seed + 1)
    holdout = model.scaled[model.samples.holdout]
    return float(adjusted_rand_score(model.selection.sample_model.predict(holdout), other.predict(holdout)))


def evaluate(
    model: FittedModel, tracks: pa.Table, options: FitOptions, *, silhouette_sample: int, precision_queries: int
) -> dict[str, Any]:
    scaled, labels, rows = model.scaled, model.labels, len(model.labels)
    sample = min(rows, silhouette_sample)
    precision, queries = genre_precision(
        scaled,
        labels,
        codes(tracks.column("genre")),
        codes(tracks.column("artist_name")),
        queries=precision_queries,
        at=PRECISION_AT,
        seed=options.seed,
    )
    return {
        "silhouette": _score(silhouette_score, scaled, labels, sample_size=sample, random_state=options.seed),
        "silhouette_sample": sample,
        "davies_bouldin": _score(davies_bouldin_score, scaled, labels),
        "calinski_harabasz": _score(calinski_harabasz_score, scaled, labels),
        "inertia": float(model.kmeans.inertia_),
        "iterations": int(model.kmeans.n_iter_),
        "cluster_sizes": np.bincount(labels, minlength=model.k).tolist(),
        "stability_ari": stability(model, options),
        f"genre_precision_at_{PRECISION_AT}": precision,
        "genre_precision_queries": queries,
        "k_selection": {str(k): s for k, s in model.selection.scores.items()},
        "rows": rows,
    }
