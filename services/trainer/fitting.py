"""Fitting: StandardScaler + KMeans, with k chosen by silhouette on a held-out sample.

Candidates k_min..k_max are fitted on a random sample and scored on another, disjoint one;
the best score wins, ties (equal to 4 decimals) going to the smaller k. The final model is
fitted on every row, started from the chosen candidate's centroids so it converges in a
few passes. Features are scaled to float32, which KMeans keeps end to end. Work on the
small samples runs on one thread: there, thread start-up and barrier waits cost more than
they save, the more so on a busy machine.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from shared.errors import InvalidInput
from shared.stages import StageClock

log = logging.getLogger(__name__)

SCORE_DECIMALS = 4  # silhouettes equal to this many decimals are a tie


@dataclass(frozen=True)
class FitOptions:
    k_min: int = 2
    k_max: int = 12
    selection_sample: int = 20_000
    holdout_sample: int = 5_000
    n_init: int = 3
    max_iter: int = 300
    seed: int = 0


@dataclass(frozen=True)
class Samples:
    """Row indices: candidates are fitted on ``fit`` and scored on ``holdout``."""

    fit: np.ndarray
    holdout: np.ndarray
    disjoint: bool


@dataclass(frozen=True)
class KSelection:
    k: int
    scores: dict[int, float]  # held-out silhouette per candidate k
    sample_model: KMeans  # the chosen k fitted on the sample


@dataclass(frozen=True)
class FittedModel:
    scaler: StandardScaler
    kmeans: KMeans
    scaled: np.ndarray  # rows x features, float32
    labels: np.ndarray  # cluster per row
    samples: Samples
    selection: KSelection

    @property
    def k(self) -> int:
        return self.selection.k


def scale(matrix: np.ndarray) -> tuple[StandardScaler, np.ndarray]:
    scaler = StandardScaler().fit(matrix)  # a constant feature gets scale 1 (and scaled values 0)
    return scaler, scaler.transform(matrix).astype(np.float32)


def draw_samples(rows: int, options: FitOptions) -> Samples:
    """Disjoint fit/holdout samples; a dataset too small for both is fitted on every row
    and scored on a sample of them."""
    rng = np.random.default_rng(options.seed)
    if rows >= options.selection_sample + options.holdout_sample:
        chosen = rng.choice(rows, options.selection_sample + options.holdout_sample, replace=False)
        return Samples(np.sort(chosen[: options.selection_sample]), np.sort(chosen[options.selection_sample :]), True)
    holdout = np.sort(rng.choice(rows, min(rows, options.holdout_sample), replace=False))
    return Samples(np.arange(rows), holdout, False)


def kmeans(k: int, options: FitOptions, seed: int, init: np.ndarray | None = None) -> KMeans:
    if init is not None:
        return KMeans(k, init=init, n_init=1, max_iter=options.max_iter, random_state=seed)
    return KMeans(k, n_init=options.n_init, max_iter=options.max_iter, random_state=seed)


def check_k(k: int, rows: int) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or k < 2:
        raise InvalidInput(f"k must be an integer of at least 2, got {k!r}", details={"field": "k"})
    if k > rows:
        raise InvalidInput(f"k={k} is more than the dataset's {rows} rows", details={"field": "k", "rows": rows})


def fit_on_sample(scaled: np.ndarray, samples: Samples, k: int, options: FitOptions, seed: int) -> KMeans:
    """The k-means of the fit sample (of every row when k exceeds the sample)."""
    rows = scaled[samples.fit] if k <= len(samples.fit) else scaled
    with threadpool_limits(1 if len(rows) <= options.selection_sample else None):
        return kmeans(k, options, seed).fit(rows)


def best_k(scores: dict[int, float]) -> int:
    """The k with the highest score; of equal scores (to SCORE_DECIMALS), the smallest k."""
    best = max(round(s, SCORE_DECIMALS) for s in scores.values())
    return min(k for k, s in scores.items() if round(s, SCORE_DECIMALS) == best)


def select_k(scaled: np.ndarray, samples: Samples, options: FitOptions) -> KSelection:
    fit_rows, holdout_rows = scaled[samples.fit], scaled[samples.holdout]
    candidates = range(options.k_min, min(options.k_max, len(holdout_rows) - 1) + 1)
    if not candidates:
        raise InvalidInput(
            f"choosing k automatically needs at least {options.k_min + 1} rows; the dataset has {len(scaled)}",
            details={"rows": len(scaled)},
        )
    scores: dict[int, float] = {}
    models: dict[int, KMeans] = {}
    with threadpool_limits(1):
        for k in candidates:
            models[k] = kmeans(k, options, options.seed).fit(fit_rows)
            labels = models[k].predict(holdout_rows)
            scores[k] = float(silhouette_score(holdout_rows, labels)) if len(np.unique(labels)) > 1 else -1.0
    k = best_k(scores)
    log.info("selected k", extra={"k": k, "scores": scores})
    return KSelection(k, scores, models[k])


def fit(matrix: np.ndarray, options: FitOptions, k: int | None = None, clock: StageClock | None = None) -> FittedModel:
    """Scale, choose k (unless given), then fit KMeans on every row; ``clock`` times the stages."""
    clock = clock or StageClock()
    rows = len(matrix)
    if k is not None:
        check_k(k, rows)
    scaler, scaled = scale(matrix)
    samples = draw_samples(rows, options)
    if k is None:
        with clock.stage("selecting_k"):
            selection = select_k(scaled, samples, options)
    with clock.stage("fitting"):
        if k is not None:
            selection = KSelection(k, {}, fit_on_sample(scaled, samples, k, options, options.seed))
        final = kmeans(selection.k, options, options.seed, init=selection.sample_model.cluster_centers_).fit(scaled)
    return FittedModel(scaler, final, scaled, final.labels_.astype(np.int32), samples, selection)
