"""The quality gate: whether a freshly published model may become the one served.

A model passes when its silhouette reaches the configured floor and is not worse than the
current model's by more than the configured margin. Both silhouettes are measured on rows
held out of the fit; a served model whose silhouette was measured otherwise (on rows it was
fitted on, by an older trainer) has none to compare with. A caller may force the move; the
decision always says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class GateDecision:
    activate: bool
    reason: str


def decide(
    silhouette: float | None,
    current: dict[str, Any] | None,
    *,
    floor: float,
    max_regression: float,
    force: bool = False,
) -> GateDecision:
    """``current`` is {"version", "silhouette"} of the served model, or None when none is; a
    silhouette of None (one not comparable with this one) comes with ``why``."""
    if force:
        return GateDecision(True, "forced by the caller; quality gate skipped")
    if silhouette is None:
        return GateDecision(False, "refused: the silhouette is undefined (fewer than two clusters in the sample)")
    if silhouette < floor:
        return GateDecision(False, f"refused: silhouette {silhouette:.4f} is below the floor {floor:.4f}")
    if current is None:
        return GateDecision(True, f"passed: silhouette {silhouette:.4f} >= floor {floor:.4f}; no model was served")
    served = current.get("silhouette")
    if served is None:
        return GateDecision(
            True,
            f"passed: silhouette {silhouette:.4f} >= floor {floor:.4f}; "
            f"the served model {current['version']} {current.get('why', 'has no silhouette to compare with')}",
        )
    if silhouette < served - max_regression:
        return GateDecision(
            False,
            f"refused: silhouette {silhouette:.4f} is worse than the served model {current['version']} "
            f"({served:.4f}) by more than {max_regression:.4f}",
        )
    return GateDecision(
        True,
        f"passed: silhouette {silhouette:.4f} >= floor {floor:.4f} and within {max_regression:.4f} "
        f"of the served model {current['version']} ({served:.4f})",
    )
