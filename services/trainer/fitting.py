"""Fitting's parts: the samples, StandardScaler, KMeans, and what a forced k must satisfy.

Rows are split once, at random, by the seed (:func:`draw_samples`): an *evaluation* sample
that no fit ever sees (the model's reported figures and its ablation are measured on it);
of the rest, the *fit* sample the candidate models are fitted on and a disjoint *holdout*
sample they are scored on. The final model is fitted on every row outside the evaluation
sample, started from the chosen candidate's centroids so it converges in a few passes;
then every row, held out or not, is assigned to its nearest centroid. Features are scaled
to float32, which KMeans keeps end to end. Work on the small samples runs on one thread:
there, thread start-up and barrier waits cost more than they save, the more so on a busy
machine.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from shared.errors import InvalidInput

log = logging.getLogger(__name__)

HELD_OUT_SHARE = 5  # at most one row in this many is held out (evaluation; then the candidates' holdout)


@dataclass(frozen=True)
class FitOptions:
    k_min: int = 2
    k_max: int = 12
    selection_sample: int = 20_000
    holdout_sample: int = 5_000
    evaluation_sample: int = 10_000
    n_init: int = 3
    max_iter: int = 300
    seed: int = 0
    max_cluster_share: float = 0.5
    min_stability: float = 0.9


@dataclass(frozen=True)
class Samples:
    """Row numbers (each sorted): candidates are fitted on ``fit`` and scored on ``holdout``;
    ``evaluation`` is held out of every fit; the final model is fitted on ``train``
    (every row not in ``evaluation``). ``fit``, ``holdout`` and ``evaluation`` are disjoint."""

    fit: np.ndarray
    holdout: np.ndarray
    evaluation: np.ndarray
    train: np.ndarray


def scale(matrix: np.ndarray) -> tuple[StandardScaler, np.ndarray]:
    scaler = StandardScaler().fit(matrix)  # a constant feature gets scale 1 (and scaled values 0)
    return scaler, scaler.transform(matrix).astype(np.float32)


def draw_samples(rows: int, options: FitOptions) -> Samples:
    """The evaluation, holdout and fit samples, disjoint; small datasets hold out one row in five."""
    order = np.random.default_rng(options.seed).permutation(rows)
    evaluation = min(options.evaluation_sample, rows // HELD_OUT_SHARE)
    rest = rows - evaluation
    holdout = min(options.holdout_sample, rest // HELD_OUT_SHARE)
    fit = min(options.selection_sample, rest - holdout)
    cut = np.cumsum([evaluation, holdout, fit])
    return Samples(
        fit=np.sort(order[cut[1] : cut[2]]),
        holdout=np.sort(order[cut[0] : cut[1]]),
        evaluation=np.sort(order[: cut[0]]),
        train=np.sort(order[cut[0] :]),
    )


def kmeans(k: int, options: FitOptions, seed: int, init: np.ndarray | None = None) -> KMeans:
    if init is not None:
        return KMeans(k, init=init, n_init=1, max_iter=options.max_iter, random_state=seed)
    return KMeans(k, n_init=options.n_init, max_iter=options.max_iter, random_state=seed)


def distinct_rows(rows: np.ndarray, at_least: int | None = None) -> int:
    """How many different rows ``rows`` has; with ``at_least``, a cheap lower bound once it reaches that."""
    if at_least is not None:
        head = np.unique(rows[: 20 * at_least], axis=0).shape[0]
        if head >= at_least:
            return head
    return int(np.unique(rows, axis=0).shape[0])


def check_k(k: int, matrix: np.ndarray, samples: Samples) -> None:
    """A forced k must be an integer >= 2 with at least k distinct rows to fit on."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 2:
        raise InvalidInput(f"k must be an integer of at least 2, got {k!r}", details={"field": "k"})
    rows = len(matrix)
    if k > rows:
        raise InvalidInput(f"k={k} is more than the dataset's {rows} rows", details={"field": "k", "rows": rows})
    train = matrix[samples.train]
    if distinct_rows(train, k) >= k:
        return
    everywhere = distinct_rows(matrix)
    held = f", and {len(samples.evaluation)} of the rows are held out for evaluation" if len(samples.evaluation) else ""
    raise InvalidInput(
        f"k={k} is more than the {distinct_rows(train)} distinct rows the model would be fitted on "
        f"(the dataset has {rows} rows, {everywhere} of them distinct{held}): "
        "k-means cannot make more clusters than there are different points",
        details={"field": "k", "rows": rows, "distinct_rows": everywhere},
    )


def fit_on_sample(scaled: np.ndarray, samples: Samples, k: int, options: FitOptions, seed: int) -> KMeans:
    """The k-means of the fit sample (of every training row when k exceeds the sample)."""
    rows = scaled[samples.fit] if k <= len(samples.fit) else scaled[samples.train]
    with threadpool_limits(1 if len(rows) <= options.selection_sample else None):
        return kmeans(k, options, seed).fit(rows)


def fit_pair(scaled: np.ndarray, samples: Samples, k: int, options: FitOptions) -> tuple[KMeans, KMeans]:
    """The k-means of the fit sample with seeds s and s+1: whether they agree is the stability."""
    return fit_on_sample(scaled, samples, k, options, options.seed), fit_on_sample(scaled, samples, k, options, options.seed + 1)
