"""Drift between two datasets: the population stability index (PSI) of each audio feature.

One definition, used by the trainer (the model report's ``drift``), the worker (the scheduled
retrain skips when nothing drifts) and the API (``GET /v1/datasets/{id}/drift``). NumPy and
PyArrow only.

For one feature, the reference dataset's values are cut into ``BINS`` bins of equal count
(its deciles; edges that coincide, as under a point mass such as instrumentalness 0, merge
into one); both datasets' shares per bin, each at least ``SMOOTHING`` so an empty bin has a
logarithm, give ``PSI = sum((actual - reference) * ln(actual / reference))``. It is 0 for
identical distributions and grows with the shift; a common reading is < 0.1 no change,
0.1-0.25 a moderate one, > 0.25 a large one. ``drifted`` names the features above the
threshold the caller passes (``MUSICREC_DRIFT_PSI``, 0.2 by default).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from shared.datasets import load_table
from shared.schema import FEATURE_NAMES
from shared.storage import ObjectStore

BINS = 10
SMOOTHING = 1e-4  # the smallest share a bin counts with
DECIMALS = 6


def bin_edges(reference: np.ndarray, bins: int = BINS) -> np.ndarray:
    """The inner edges of ``bins`` equal-count bins of ``reference`` (coinciding edges merged)."""
    return np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1]))


def bin_shares(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Share of ``values`` in each bin: below the first edge, between edges, from the last edge up."""
    counts = np.bincount(np.searchsorted(edges, values, side="right"), minlength=len(edges) + 1)
    return np.maximum(counts / max(len(values), 1), SMOOTHING)


def population_stability(reference: np.ndarray, actual: np.ndarray, bins: int = BINS) -> float:
    """PSI of ``actual`` against ``reference`` (both 1-D, finite, not empty)."""
    reference, actual = np.asarray(reference, np.float64), np.asarray(actual, np.float64)
    if len(reference) == 0 or len(actual) == 0:
        raise ValueError("the population stability index needs values on both sides")
    edges = bin_edges(reference, bins)
    expected, observed = bin_shares(reference, edges), bin_shares(actual, edges)
    return round(float(np.sum((observed - expected) * np.log(observed / expected))), DECIMALS)


def feature_psi(reference: Mapping[str, np.ndarray], actual: Mapping[str, np.ndarray]) -> dict[str, float]:
    """PSI per feature that both sides have, in the reference's order."""
    return {name: population_stability(values, actual[name]) for name, values in reference.items() if name in actual}


def drift_report(reference_id: str, against_id: str, psi: Mapping[str, float], threshold: float,
                 rows: tuple[int, int]) -> dict[str, Any]:  # fmt: skip
    """What every caller stores or answers: both datasets, PSI per feature, the largest, what drifted."""
    largest = max(psi, key=lambda name: psi[name]) if psi else None
    return {
        "dataset_id": reference_id,
        "against": against_id,
        "rows": {"dataset": rows[0], "against": rows[1]},
        "method": f"PSI over {BINS} equal-count bins of the dataset's values (shares floored at {SMOOTHING:g})",
        "psi": dict(psi),
        "largest": {"feature": largest, "psi": psi[largest]} if largest is not None else None,
        "threshold": threshold,
        "drifted": [name for name, value in psi.items() if value > threshold],
    }


def feature_columns(store: ObjectStore, dataset_id: str, features: Sequence[str] = FEATURE_NAMES) -> dict[str, np.ndarray]:
    """A published dataset's feature values (DatasetNotFound when it is not published)."""
    table = load_table(store, dataset_id, list(features))
    return {name: table.column(name).to_numpy(zero_copy_only=False).astype(np.float64, copy=False) for name in features}


def dataset_drift(
    store: ObjectStore,
    dataset_id: str,
    against_id: str,
    threshold: float,
    features: Sequence[str] = FEATURE_NAMES,
    reference: Mapping[str, np.ndarray] | None = None,
) -> dict[str, Any]:
    """PSI per feature of dataset ``against_id`` measured against dataset ``dataset_id``
    (whose feature values the caller may pass as ``reference`` when it has them already)."""
    reference = reference if reference is not None else feature_columns(store, dataset_id, features)
    actual = reference if against_id == dataset_id else feature_columns(store, against_id, features)
    rows = (_rows(reference), _rows(actual))
    if not rows[0] or not rows[1]:
        empty = dataset_id if not rows[0] else against_id
        return drift_report(dataset_id, against_id, {}, threshold, rows) | {"unavailable": {"psi": f"dataset {empty!r} has no rows"}}
    return drift_report(dataset_id, against_id, feature_psi(reference, actual), threshold, rows)


def _rows(columns: Mapping[str, np.ndarray]) -> int:
    return len(next(iter(columns.values()))) if columns else 0

