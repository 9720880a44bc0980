"""The ablation study of every model: what each feature, and the scaling, contributes.

On the samples (:mod:`services.trainer.fitting`), the model's k is fitted again with seeds
s and s+1 on the fit sample for each variant: ``full`` (every feature, scaled: the
reference), ``without <feature>`` for each feature, and ``unscaled`` (every feature in its
original units). Each variant is measured on held-out rows (up to ``holdout`` rows of the
evaluation sample, which no fit saw):

- ``silhouette`` of its clusters, measured in the full model's scaled space of every feature,
  so that all variants are judged by one yardstick (in its own space a variant would gain
  from merely having fewer or differently weighted dimensions);
- ``stability``: adjusted Rand index between its two seeds' clusters;
- ``genre_precision_at_5`` where the catalog has genres: held-out query tracks (at most
  ``queries``), their 5 nearest tracks by another artist in their cluster, in the variant's
  own space (what it would recommend), among the fit sample and the held-out rows.

Each variant also has ``delta``: its figure minus the ``full`` variant's (negative: the
variant is worse, so what it leaves out helps). The ``unscaled`` variant names the features
that take the most of the total variance in original units, which dominate its distances.
"""

from __future__ import annotations

from typing import Any, Iterator, Sequence

import numpy as np
from sklearn.metrics import adjusted_rand_score, silhouette_score
from threadpoolctl import threadpool_limits

from services.trainer.clustering import FittedModel
from services.trainer.evaluation import PRECISION, PRECISION_AT, precision_queries, score
from services.trainer.fitting import FitOptions, fit_pair
from services.trainer.genres import NO_GENRES, TrackGenres
from services.trainer.precision import genre_precision

FIGURES = ("silhouette", "stability", PRECISION)
DOMINANT_SHARE = 0.1  # of the total variance in original units
DECIMALS = 6


def variant_spaces(scaled: np.ndarray, matrix: np.ndarray, features: Sequence[str]) -> Iterator[tuple[str, np.ndarray]]:
    """(variant name, the columns it clusters on), one at a time (each is a copy of every row)."""
    yield "full", scaled
    if len(features) > 1:
        for j, name in enumerate(features):
            yield f"without {name}", np.delete(scaled, j, axis=1)
    yield "unscaled", matrix.astype(np.float32)


def dominant_features(matrix: np.ndarray, features: Sequence[str]) -> dict[str, float]:
    variance = matrix.var(axis=0)
    shares = variance / variance.sum() if variance.sum() > 0 else np.zeros_like(variance)
    order = np.argsort(-shares, kind="stable")
    return {features[j]: round(float(shares[j]), 4) for j in order if shares[j] >= DOMINANT_SHARE}


def ablation(
    model: FittedModel,
    matrix: np.ndarray,
    features: Sequence[str],
    genres: TrackGenres,
    artists: np.ndarray,
    options: FitOptions,
    *,
    holdout: int,
    queries: int,
) -> dict[str, Any]:
    samples = model.samples
    rng = np.random.default_rng(options.seed)
    held_out = np.sort(rng.choice(samples.evaluation, min(holdout, len(samples.evaluation)), replace=False))
    pool = np.concatenate([samples.fit, held_out])  # what the variants recommend from
    asked = len(samples.fit) + np.searchsorted(held_out, precision_queries(held_out, genres, queries, options.seed))
    judge = model.scaled[held_out]
    pool_genres, pool_artists = genres.bits[pool], artists[pool]
    variants: dict[str, dict[str, Any]] = {}
    with threadpool_limits(1):
        for name, space in variant_spaces(model.scaled, matrix, features):
            pair = model.selection.models if name == "full" else fit_pair(space, samples, model.k, options)
            labels = pair[0].predict(space[held_out])
            figures: dict[str, Any] = {
                "silhouette": _rounded(score(silhouette_score, judge, labels)) if len(held_out) else None,
                "stability": round(float(adjusted_rand_score(labels, pair[1].predict(space[held_out]))), DECIMALS)
                if len(held_out) else None,
            }  # fmt: skip
            precision, _ = genre_precision(space[pool], pair[0].predict(space[pool]), pool_genres, pool_artists, asked,
                                           at=PRECISION_AT)  # fmt: skip
            figures[PRECISION] = _rounded(precision)
            variants[name] = figures
    full = variants["full"]
    for name, figures in variants.items():
        figures["delta"] = {f: _difference(figures[f], full[f]) for f in FIGURES}
    variants["unscaled"]["dominated_by"] = dominant_features(matrix[samples.fit], features)
    unavailable = {}
    if not genres.present:
        unavailable[PRECISION] = NO_GENRES
    if len(features) == 1:
        unavailable["without"] = "the model has one feature: there is none to drop"
    if len(held_out) == 0:
        unavailable["silhouette"] = unavailable["stability"] = "no row could be held out of the fit"
    return {
        "k": model.k,
        "fit_rows": int(len(samples.fit)),
        "held_out_rows": int(len(held_out)),
        "precision_queries": int(len(asked)),
        "silhouette_space": "the full model's scaled space, every feature",
        "variants": variants,
        "unavailable": unavailable,
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, DECIMALS)


def _difference(value: float | None, reference: float | None) -> float | None:
    return None if value is None or reference is None else round(value - reference, DECIMALS)
