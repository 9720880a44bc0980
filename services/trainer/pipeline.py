"""One training run: load, choose k, fit, evaluate, build the catalog, publish, gate, point.

:func:`run_training` takes its settings, store and pointer from the caller (the RQ job in
:mod:`services.trainer.jobs`) and tells a listener as each stage starts and ends.
"""

from __future__ import annotations

import logging
from typing import Any

from services.trainer.dataset import TrainingData, load_training_data, resolve_dataset_id
from services.trainer.evaluation import evaluate
from services.trainer.fitting import FitOptions, FittedModel, fit
from services.trainer.gate import decide
from services.trainer.lineage import lineage
from services.trainer.publishing import catalog_table, model_document, publish
from services.trainer.settings import TrainerSettings
from shared.bundle import read_model_document
from shared.errors import BundleIntegrityError, ModelNotFound
from shared.ids import new_id
from shared.jobs import TrainingParameters
from shared.pointer import ModelPointer
from shared.stages import Listener, StageClock
from shared.storage import ObjectStore

log = logging.getLogger(__name__)

# A job's meta["stage"] after "queued": the stages in order, then "done" once the result is in.
STAGES = ("loading", "selecting_k", "fitting", "evaluating", "indexing", "publishing", "done")


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


def model_params(settings: TrainerSettings, request: TrainingParameters, options: FitOptions, model: FittedModel,
                 data: TrainingData) -> dict[str, Any]:  # fmt: skip
    """The ``params`` a model document records: what was asked for and what was used."""
    return {
        "k": model.k,
        "k_requested": request.k,
        "k_range": [settings.k_min, settings.k_max],
        "features": list(data.features),
        "seed": request.seed,
        "n_init": options.n_init,
        "max_iter": options.max_iter,
        "selection_sample": int(len(model.samples.fit)),
        "holdout_sample": int(len(model.samples.holdout)),
        "holdout_disjoint": model.samples.disjoint,
        "scaling": "StandardScaler",
        "algorithm": "KMeans (lloyd)",
    }


def run_training(
    settings: TrainerSettings,
    store: ObjectStore,
    pointer: ModelPointer,
    request: TrainingParameters,
    *,
    actor: str = "trainer",
    listener: Listener | None = None,
) -> dict[str, Any]:
    """Train on the dataset asked for, publish the model, and point at it if the quality gate passes."""
    clock = StageClock(listener)
    with clock.stage("loading"):
        dataset_id = resolve_dataset_id(store, request.dataset_id)
        data = load_training_data(store, dataset_id, request.feature_names)
    options = fit_options(settings, request.seed)
    model = fit(data.matrix, options, request.k, clock)
    with clock.stage("evaluating"):
        metrics = evaluate(
            model, data.tracks, options, silhouette_sample=settings.silhouette_sample, precision_queries=settings.precision_queries
        )
    with clock.stage("indexing"):
        catalog = catalog_table(data, model)
    with clock.stage("publishing"):
        version = new_id()
        params = model_params(settings, request, options, model, data)
        origin = lineage(
            dataset_id=dataset_id,
            dataset_manifest_sha256=data.manifest_sha256,
            dataset_manifest=data.manifest,
            params=params,
            timings=dict(clock.timings),
            code_version=settings.git_commit,
        )
        publish(store, model_document(version, model, data.features, params=params, metrics=metrics, lineage=origin), catalog)
        decision = decide(
            metrics["silhouette"],
            served_model(store, pointer),
            floor=settings.gate_silhouette_floor,
            max_regression=settings.gate_max_regression,
            force=request.force,
        )
        if decision.activate:
            pointer.move(version, actor=actor, reason=decision.reason)
    log.info("training done", extra={"version": version, "activated": decision.activate, "reason": decision.reason})
    return {
        "version": version,
        "dataset_id": dataset_id,
        "published": True,
        "activated": decision.activate,
        "reason": decision.reason,
        "k": model.k,
        "metrics": metrics,
        "timings": clock.timings,
    }
