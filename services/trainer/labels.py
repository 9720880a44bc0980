"""Cluster labels in words, from where each centroid differs most from the catalog.

A centroid in the scaled space is its distance from the catalog's mean in standard
deviations, per feature. Its features are ranked by that distance; each becomes a word for
the direction ("energetic" / "calm"), graded: "very" from ``STRONG`` standard deviations,
plain from ``STANDS_OUT``, "slightly" below. A label is the words of the features that stand
out (at most ``WORDS_PER_LABEL``; at least the first, graded, when none does):
"instrumental · calm · slow", "very speech-heavy · live", "slightly danceable".

No two clusters of a model share a label: while some do, each of them takes its next word,
until they differ (or a cluster has no meaningful word left, one for a lean of at least
``MEANINGFUL``; then a number tells the last ones apart).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

SEPARATOR = " · "
STANDS_OUT = 0.5  # standard deviations from the catalog mean
STRONG = 1.5
WORDS_PER_LABEL = 3
MEANINGFUL = 0.1  # a word for a smaller lean says nothing, even to tell two clusters apart

# feature -> (word when the cluster is high on it, word when low)
WORDS: dict[str, tuple[str, str]] = {
    "danceability": ("danceable", "undanceable"),
    "energy": ("energetic", "calm"),
    "loudness": ("loud", "quiet"),
    "speechiness": ("speech-heavy", "speech-free"),
    "acousticness": ("acoustic", "electric"),
    "instrumentalness": ("instrumental", "vocal"),
    "liveness": ("live", "studio-clean"),
    "valence": ("upbeat", "melancholic"),
    "tempo": ("fast", "slow"),
}


@dataclass(frozen=True)
class Word:
    feature: str
    z: float  # the centroid's distance from the catalog mean, in standard deviations
    text: str

    @property
    def stands_out(self) -> bool:
        return abs(self.z) >= STANDS_OUT

    def public(self) -> dict[str, object]:
        return {"feature": self.feature, "z": round(self.z, 4), "word": self.text}


def word(feature: str, z: float) -> Word:
    high, low = WORDS[feature]
    base = high if z > 0 else low
    grade = "very " if abs(z) >= STRONG else "" if abs(z) >= STANDS_OUT else "slightly "
    return Word(feature, float(z), grade + base)


def ranked_words(z_scores: np.ndarray, features: Sequence[str]) -> list[Word]:
    """Every feature's word for one centroid, most distinctive first."""
    order = np.argsort(-np.abs(z_scores), kind="stable")
    return [word(features[i], float(z_scores[i])) for i in order]


def cluster_words(centroids: np.ndarray, features: Sequence[str]) -> list[list[Word]]:
    """The words each cluster's label is made of (rows of ``centroids`` are in the scaled space)."""
    ranked = [ranked_words(row, features) for row in np.asarray(centroids, dtype=float)]
    counts = [max(1, min(WORDS_PER_LABEL, sum(w.stands_out for w in words))) for words in ranked]
    usable = [max(1, sum(abs(w.z) >= MEANINGFUL for w in words)) for words in ranked]
    while True:
        labels = [SEPARATOR.join(w.text for w in words[:n]) for words, n in zip(ranked, counts)]
        repeated = [i for i, label in enumerate(labels) if labels.count(label) > 1 and counts[i] < usable[i]]
        if not repeated:
            return [words[:n] for words, n in zip(ranked, counts)]
        for i in repeated:
            counts[i] += 1


def cluster_labels(words: list[list[Word]]) -> list[str]:
    """One label per cluster, unique within the model."""
    plain = [SEPARATOR.join(w.text for w in chosen) for chosen in words]
    seen: dict[str, int] = {}
    labels = []
    for label in plain:
        if plain.count(label) > 1:  # no meaningful word left and still alike: number them
            seen[label] = seen.get(label, 0) + 1
            label = f"{label} ({seen[label]})"
        labels.append(label)
    return labels
