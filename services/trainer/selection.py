"""Choosing k: segments a person can use, not only the best-separated split.

On music catalogs the held-out silhouette is highest at k=2 (one cluster of the few quiet,
acoustic tracks and one of everything else, ~75 % of the catalog), and falls off slowly
after: silhouette alone picks a split that explains nothing (``docs/segments.md`` has the
curves). So every candidate k_min..k_max is fitted on the fit sample with two seeds (s and
s+1) and scored on the disjoint holdout sample:

- ``silhouette``: of the seed-s model's clusters on the holdout rows;
- ``stability``: adjusted Rand index between the two seeds' clusters of the holdout rows
  (1: the same partition whatever the start);
- ``largest_share``: the share of the holdout rows in the largest cluster;
- ``inertia``: the seed-s model's, per fitted row (for the elbow curve);
- ``genre_nmi``: normalized mutual information between cluster and genre (first label), where
  the catalog has genres. Reported, not used: the rule must work on catalogs without genres.

The rule: among the candidates whose largest cluster holds at most ``max_cluster_share``
(0.5) of the rows and whose stability is at least ``min_stability`` (0.9), the highest
silhouette wins, ties (to 4 decimals) going to the smaller k. When none qualifies, the
stability condition is dropped, then the share condition, and the reason says so.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score, silhouette_score
from threadpoolctl import threadpool_limits

from services.trainer.fitting import FitOptions, Samples, distinct_rows, fit_pair
from shared.errors import InvalidInput

log = logging.getLogger(__name__)

SCORE_DECIMALS = 4  # silhouettes equal to this many decimals are a tie
FIGURES = ("silhouette", "stability", "largest_share", "inertia", "genre_nmi")


@dataclass(frozen=True)
class KSelection:
    k: int
    rule: str  # "automatic" or "forced"
    reason: str
    candidates: dict[int, dict[str, Any]]  # figures per candidate k (FIGURES, plus "eligible")
    models: tuple[KMeans, KMeans]  # the chosen k fitted on the fit sample with seeds s and s+1

    def report(self) -> dict[str, Any]:
        """What ``metrics.k_selection`` of a model document holds."""
        return {
            "rule": self.rule,
            "k": self.k,
            "reason": self.reason,
            "candidates": {str(k): figures for k, figures in self.candidates.items()},
        }


def candidate_figures(
    scaled: np.ndarray, samples: Samples, k: int, options: FitOptions, genre_codes: np.ndarray | None
) -> tuple[dict[str, Any], tuple[KMeans, KMeans]]:
    """The figures of one candidate k (see the module docstring) and its two fitted models."""
    models = fit_pair(scaled, samples, k, options)
    holdout = scaled[samples.holdout]
    first, second = models[0].predict(holdout), models[1].predict(holdout)
    fitted_rows = len(samples.fit) if k <= len(samples.fit) else len(samples.train)
    figures: dict[str, Any] = {
        "silhouette": _silhouette(holdout, first),
        "stability": round(float(adjusted_rand_score(first, second)), 6),
        "largest_share": round(float(np.bincount(first).max() / len(first)), 6),
        "inertia": round(float(models[0].inertia_) / fitted_rows, 6),
    }
    figures.update(genre_purity(first, genre_codes[samples.holdout] if genre_codes is not None else None))
    return figures, models


def genre_purity(labels: np.ndarray, genre_codes: np.ndarray | None) -> dict[str, Any]:
    """``genre_nmi`` of the rows that have a genre, or None and the reason."""
    if genre_codes is None or not np.any(genre_codes >= 0):
        return {"genre_nmi": None, "unavailable": {"genre_nmi": "no track of the dataset has a genre"}}
    has = genre_codes >= 0
    return {"genre_nmi": round(float(normalized_mutual_info_score(genre_codes[has], labels[has])), 6)}


def _silhouette(rows: np.ndarray, labels: np.ndarray) -> float | None:
    if not 1 < len(np.unique(labels)) < len(rows):
        return None
    value = float(silhouette_score(rows, labels))
    return round(value, 6) if math.isfinite(value) else None


def select_k(scaled: np.ndarray, samples: Samples, options: FitOptions, genre_codes: np.ndarray | None = None) -> KSelection:
    holdout = len(samples.holdout)
    ceiling = min(options.k_max, holdout - 1, distinct_rows(scaled[samples.fit]))
    candidates = range(options.k_min, ceiling + 1)
    if not candidates:
        raise InvalidInput(
            f"choosing k automatically needs a holdout sample of at least {options.k_min + 1} rows and as many "
            f"distinct rows to fit on; the dataset has {len(scaled)} rows ({holdout} held out for scoring)",
            details={"rows": len(scaled)},
        )
    figures: dict[int, dict[str, Any]] = {}
    models: dict[int, tuple[KMeans, KMeans]] = {}
    with threadpool_limits(1):
        for k in candidates:
            figures[k], models[k] = candidate_figures(scaled, samples, k, options, genre_codes)
    k, reason = choose_k(figures, options)
    log.info("selected k", extra={"k": k, "reason": reason})
    return KSelection(k, "automatic", reason, figures, models[k])


def forced_k(scaled: np.ndarray, samples: Samples, k: int, options: FitOptions,
             genre_codes: np.ndarray | None = None) -> KSelection:  # fmt: skip
    """k as the caller asked; its figures are measured all the same."""
    with threadpool_limits(1):
        figures, models = candidate_figures(scaled, samples, k, options, genre_codes)
    return KSelection(k, "forced", f"k={k} forced by the caller", {k: figures}, models)


def choose_k(figures: dict[int, dict[str, Any]], options: FitOptions) -> tuple[int, str]:
    """The rule of the module docstring: (k, why). Marks each candidate ``eligible`` or not."""
    share = f"no cluster holds more than {options.max_cluster_share:.0%} of the rows"
    stable = f"two seeds agree (ARI >= {options.min_stability:.2f})"
    scored = {k: f for k, f in figures.items() if f["silhouette"] is not None}
    small_enough = {k: f for k, f in scored.items() if f["largest_share"] <= options.max_cluster_share}
    both = {k: f for k, f in small_enough.items() if f["stability"] >= options.min_stability}
    tiers = (
        (both, f"the k where {share} and {stable}"),
        (small_enough, f"the k where {share} (at none of them do {stable} as well)"),
        (scored, f"all k (at every k one cluster holds more than {options.max_cluster_share:.0%} of the rows)"),
    )
    for pool, among in tiers:
        for k in figures:
            figures[k]["eligible"] = k in pool
        if pool:
            best = best_k({k: f["silhouette"] for k, f in pool.items()})
            listed = ", ".join(str(k) for k in pool)
            return best, f"k={best}: the highest held-out silhouette ({pool[best]['silhouette']:.4f}) among {among}: {listed}"
    k = min(figures)
    return k, f"k={k}: no candidate has a silhouette (each put every holdout row in one cluster); the smallest k"


def best_k(scores: dict[int, float]) -> int:
    """The k with the highest score; of equal scores (to SCORE_DECIMALS), the smallest k."""
    best = max(round(s, SCORE_DECIMALS) for s in scores.values())
    return min(k for k, s in scores.items() if round(s, SCORE_DECIMALS) == best)
