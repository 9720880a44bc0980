"""One training run: load, choose k, fit, evaluate, build the catalog, publish, gate, point.

:func:`run_training` takes its settings, store and pointer from the caller (the RQ job in
:mod:`services.trainer.jobs`) and reports each stage through a callback as it enters it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from services.trainer.dataset import TrainingData, load_training_data, resolve_dataset_id
from services.trainer.evaluation import evaluate
from services.trainer.fitting import FitOptions, check_k, fit
from services.trainer.gate import decide
from services.trainer.lineage import lineage
from services.trainer.publishing import catalog_table, model_document, publish
from services.trainer.settings import TrainerSettings
from shared.bundle import read_model_document
from shared.errors import BundleIntegrityError, InvalidInput, ModelNotFound
from shared.ids import new_id
from shared.pointer import ModelPointer
from shared.schema import FEATURE_NAMES, validate_feature_names
from shared.storage import ObjectStore

log = logging.getLogger(__name__)

STAGES = ("loading", "selecting_k", "fitting", "evaluating", "indexing", "publishing", "done")


@dataclass(frozen=True)
class TrainingRequest:
    dataset_id: str | None = None
    k: int | None = None
    features: tuple[str, ...] = FEATURE_NAMES
    seed: int = 0
    force: bool = False
    actor: str = "trainer"

    @classmethod
    def checked(
        cls,
        dataset_id: str | None = None,
        k: int | None = None,
        features: Sequence[str] | None = None,
        seed: int = 0,
        force: bool = False,
        actor: str = "trainer",
    ) -> "TrainingRequest":
        """Validate what can be checked before any data is read; raises :class:`InvalidInput`."""
        if isinstance(features, str):
            raise InvalidInput(f"features must be a list of feature names, got the string {features!r}")
        names = FEATURE_NAMES if features is None else validate_feature_names(features)
        if k is not None:
            check_k(k, rows=k)
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
            raise InvalidInput(f"seed must be an integer from 0 to 2**32-1, got {seed!r}", details={"field": "seed"})
        if not isinstance(force, bool):
            raise InvalidInput(f"force must be true or false, got {force!r}", details={"field": "force"})
        return cls(dataset_id, k, names, seed, force, actor)


class Stages:
    """Enters stages in order, timing each and reporting it to ``report``."""

    def __init__(self, report: Callable[[str], None]) -> None:
        self.report = report
        self.timings: dict[str, float] = {}
        self._current: tuple[str, float] | None = None

    def enter(self, stage: str) -> None:
        self._close()
        self._current = (stage, time.perf_counter())
        self.report(stage)

    def finish(self) -> None:
        self._close()
        self.report("done")

    def _close(self) -> None:
        if self._current:
            name, started = self._current
            self.timings[name] = round(time.perf_counter() - started, 3)
            self._current = None


def served_model(store: ObjectStore, pointer: ModelPointer) -> dict[str, Any] | None:
    """The version the pointer names and its silhouette (None when unreadable), or None."""
    version = pointer.current()
    if version is None:
        return None
    try:
        return {"version": version, "silhouette": read_model_document(store, version).metrics.get("silhouette")}
    except (ModelNotFound, BundleIntegrityError) as exc:
        log.warning("the served model cannot be read", extra={"version": version, "error": exc.message})
        return {"version": version, "silhouette": None}


def fit_options(settings: TrainerSettings, seed: int) -> FitOptions:
    return FitOptions(
        k_min=settings.k_min,
        k_max=settings.k_max,
        selection_sample=settings.selection_sample,
        holdout_sample=settings.holdout_sample,
        n_init=settings.n_init,
        max_iter=settings.max_iter,
        seed=seed,
    )


def run_training(
    settings: TrainerSettings,
    store: ObjectStore,
    pointer: ModelPointer,
    request: TrainingRequest,
    report: Callable[[str], None] = lambda stage: None,
) -> dict[str, Any]:
    stages = Stages(report)
    stages.enter("loading")
    dataset_id = resolve_dataset_id(store, request.dataset_id)
    data: TrainingData = load_training_data(store, dataset_id, request.features)
    options = fit_options(settings, request.seed)
    model = fit(data.matrix, options, request.k, on_stage=stages.enter)
    stages.enter("evaluating")
    metrics = evaluate(
        model,
        data.tracks,
        options,
        silhouette_sample=settings.silhouette_sample,
        precision_queries=settings.precision_queries,
    )
    stages.enter("indexing")
    catalog = catalog_table(data, model)
    stages.enter("publishing")
    version = new_id()
    params = {
        "k": model.k,
        "k_requested": request.k,
        "k_range": [settings.k_min, settings.k_max],
        "features": list(request.features),
        "seed": request.seed,
        "n_init": options.n_init,
        "max_iter": options.max_iter,
        "selection_sample": int(len(model.samples.fit)),
        "holdout_sample": int(len(model.samples.holdout)),
        "holdout_disjoint": model.samples.disjoint,
        "scaling": "StandardScaler",
        "algorithm": "KMeans (lloyd)",
    }
    origin = lineage(
        dataset_id=dataset_id,
        dataset_manifest_sha256=data.manifest_sha256,
        dataset_manifest=data.manifest,
        params=params,
        timings=dict(stages.timings),
        code_version=settings.git_commit,
    )
    document = model_document(version, model, request.features, params=params, metrics=metrics, lineage=origin)
    publish(store, document, catalog)
    decision = decide(
        metrics["silhouette"],
        served_model(store, pointer),
        floor=settings.gate_silhouette_floor,
        max_regression=settings.gate_max_regression,
        force=request.force,
    )
    if decision.activate:
        pointer.move(version, actor=request.actor, reason=decision.reason)
    stages.finish()
    log.info("training done", extra={"version": version, "activated": decision.activate, "reason": decision.reason})
    return {
        "version": version,
        "dataset_id": dataset_id,
        "published": True,
        "activated": decision.activate,
        "reason": decision.reason,
        "k": model.k,
        "metrics": metrics,
        "timings": stages.timings,
    }
