"""The fitted model: scale, take or choose k, then fit KMeans on every row but the held-out ones.

The final KMeans is fitted on ``samples.train`` (every row outside the evaluation sample),
started from the chosen candidate's centroids; then every row, held out or not, is assigned
to its nearest centroid (see :mod:`services.trainer.fitting` for the samples and
:mod:`services.trainer.selection` for the choice of k).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler

from services.trainer.fitting import FitOptions, Samples, check_k, draw_samples, kmeans, scale
from services.trainer.selection import KSelection, forced_k, select_k
from shared.stages import StageClock


@dataclass(frozen=True)
class FittedModel:
    scaler: StandardScaler
    kmeans: KMeans  # the final model, fitted on samples.train
    scaled: np.ndarray  # rows x features, float32
    labels: np.ndarray  # int32 cluster per row (every row, held out or not)
    samples: Samples
    selection: KSelection

    @property
    def k(self) -> int:
        return self.selection.k


def fit(
    matrix: np.ndarray,
    options: FitOptions,
    k: int | None = None,
    clock: StageClock | None = None,
    genre_codes: np.ndarray | None = None,
) -> FittedModel:
    """Scale, choose k (unless given), then fit KMeans on the training rows; ``clock`` times the stages.

    ``genre_codes`` (one genre code per row, -1 for none) adds genre purity to the candidates' figures.
    """
    clock = clock or StageClock()
    scaler, scaled = scale(matrix)
    samples = draw_samples(len(matrix), options)
    if k is not None:
        check_k(k, matrix, samples)
    with clock.stage("selecting_k"):
        if k is None:
            selection = select_k(scaled, samples, options, genre_codes)
        else:
            selection = forced_k(scaled, samples, k, options, genre_codes)
    with clock.stage("fitting"):
        init = selection.models[0].cluster_centers_
        final = kmeans(selection.k, options, options.seed, init=init).fit(scaled[samples.train])
        labels = final.predict(scaled).astype(np.int32)
    return FittedModel(scaler, final, scaled, labels, samples, selection)
