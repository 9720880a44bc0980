"""Evaluation of a fitted model on rows it was not fitted on: ``metrics`` in its bundle.

Every figure but inertia (the objective on the fitted rows) comes from the evaluation
sample, which no fit saw (:func:`services.trainer.fitting.draw_samples`): silhouette,
Davies-Bouldin and Calinski-Harabasz of its rows' clusters; stability, the adjusted Rand
index between the chosen k fitted with seeds s and s+1, compared on those rows; genre
purity (NMI) of their clusters; and genre precision@5 with those rows as the queries and
the whole catalog to recommend from (see :mod:`services.trainer.precision`). A figure that
cannot be measured is None, with the reason under ``unavailable``.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
from sklearn.metrics import adjusted_rand_score, calinski_harabasz_score, davies_bouldin_score, silhouette_score

from services.trainer.clustering import FittedModel
from services.trainer.genres import NO_GENRES, TrackGenres
from services.trainer.precision import genre_precision
from services.trainer.selection import genre_purity

log = logging.getLogger(__name__)

PRECISION_AT = 5
PRECISION = f"genre_precision_at_{PRECISION_AT}"
# What metrics["silhouette"] is measured on; the quality gate compares only silhouettes of one basis.
SILHOUETTE_BASIS = "held_out"


def score(metric, *args, **kwargs) -> float | None:
    """A scikit-learn score, or None where it is undefined (fewer than two clusters present)."""
    try:
        value = float(metric(*args, **kwargs))
    except ValueError as exc:
        log.warning("metric undefined", extra={"metric": metric.__name__, "error": str(exc)})
        return None
    return value if math.isfinite(value) else None


def precision_queries(rows: np.ndarray, genres: TrackGenres, limit: int, seed: int) -> np.ndarray:
    """Up to ``limit`` of ``rows`` that have a genre, drawn with ``seed``."""
    with_genre = rows[genres.has_genre()[rows]]
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(with_genre, min(limit, len(with_genre)), replace=False))


def separation(rows: np.ndarray, labels: np.ndarray) -> tuple[dict[str, float | None], dict[str, str]]:
    """Silhouette, Davies-Bouldin and Calinski-Harabasz of held-out rows, and why any is None."""
    figures = {
        "silhouette": score(silhouette_score, rows, labels),
        "davies_bouldin": score(davies_bouldin_score, rows, labels),
        "calinski_harabasz": score(calinski_harabasz_score, rows, labels),
    }
    why = "no row could be held out of the fit" if len(rows) == 0 else f"the {len(rows)} held-out rows fall in fewer than two clusters"
    return figures, {name: why for name, value in figures.items() if value is None}


def evaluate(model: FittedModel, genres: TrackGenres, artists: np.ndarray, *, queries: int, seed: int) -> dict[str, Any]:
    held_out = model.samples.evaluation
    rows, labels = model.scaled[held_out], model.labels[held_out]
    figures, unavailable = separation(rows, labels)
    if len(held_out):
        first, second = (m.predict(rows) for m in model.selection.models)
        figures["stability_ari"] = float(adjusted_rand_score(first, second))
    else:
        figures["stability_ari"] = None
        unavailable["stability_ari"] = "no row could be held out of the fit"
    asked = precision_queries(held_out, genres, queries, seed)
    precision, scored = genre_precision(model.scaled, model.labels, genres.bits, artists, asked, at=PRECISION_AT)
    figures[PRECISION] = precision
    if precision is None:
        unavailable[PRECISION] = NO_GENRES if not genres.present else "no held-out track with a genre has a recommendation"
    purity = genre_purity(labels, genres.first[held_out])
    unavailable |= purity.pop("unavailable", {})
    return figures | purity | {
        "inertia": float(model.kmeans.inertia_),
        "iterations": int(model.kmeans.n_iter_),
        "cluster_sizes": np.bincount(model.labels, minlength=model.k).tolist(),
        "rows": len(model.labels),
        "evaluation": {
            "silhouette_basis": SILHOUETTE_BASIS,
            "held_out_rows": int(len(held_out)),
            "fit_rows": int(len(model.samples.train)),
            "precision_queries": scored,
            "precision_pool": "every catalog track of the query's cluster, by another artist than the query's",
            "genres_from": genres.column,
            "k_selection": {"fit_rows": int(len(model.samples.fit)), "scored_rows": int(len(model.samples.holdout))},
        },
        "k_selection": model.selection.report(),
        "unavailable": unavailable,
    }
