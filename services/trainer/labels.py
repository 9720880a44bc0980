"""Short human-readable cluster labels, derived from the centroids.

A centroid is described by the features on which it stands out most from the whole
catalog (its value in the scaled space, i.e. in standard deviations from the mean), each
turned into a word: "instrumental · calm", "speech-heavy", "danceable · upbeat". Labels are
made unique within a model by adding the next most distinctive word where two would match.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

SEPARATOR = " · "
STANDS_OUT = 0.5  # standard deviations from the catalog mean
WORDS_PER_LABEL = 2
NEUTRAL = "middle of the road"

# feature -> (word when the cluster is high on it, word when low)
WORDS: dict[str, tuple[str, str]] = {
    "danceability": ("danceable", "not for dancing"),
    "energy": ("energetic", "calm"),
    "loudness": ("loud", "quiet"),
    "speechiness": ("speech-heavy", "sung"),
    "acousticness": ("acoustic", "electric"),
    "instrumentalness": ("instrumental", "vocal"),
    "liveness": ("live", "studio"),
    "valence": ("upbeat", "melancholic"),
    "tempo": ("fast", "slow"),
}


def describe(z_scores: np.ndarray, features: Sequence[str]) -> list[str]:
    """Words for one centroid, most distinctive first (only features that stand out)."""
    order = np.argsort(-np.abs(z_scores), kind="stable")
    return [WORDS[features[i]][0 if z_scores[i] > 0 else 1] for i in order if abs(z_scores[i]) >= STANDS_OUT]


def cluster_labels(centroids: np.ndarray, features: Sequence[str]) -> list[str]:
    """One label per centroid (rows of ``centroids`` are in the scaled space)."""
    words = [describe(row, features) for row in np.asarray(centroids, dtype=float)]
    labels = [SEPARATOR.join(w[:WORDS_PER_LABEL]) or NEUTRAL for w in words]
    for i, label in enumerate(labels):
        taken = labels[:i]
        extra = WORDS_PER_LABEL
        while label in taken and extra < len(words[i]):
            extra += 1
            label = SEPARATOR.join(words[i][:extra])
        if label in taken:
            label = f"{label} ({sum(t == label or t.startswith(label + ' (') for t in taken) + 1})"
        labels[i] = label
    return labels
