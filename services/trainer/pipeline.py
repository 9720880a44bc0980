"""One training run: load, choose k, fit, evaluate, describe the clusters, ablate, measure
drift, build the catalog, publish, gate, point.

:func:`run_training` takes its settings, store and pointer from the caller (the RQ job in
:mod:`services.trainer.jobs`) and tells a listener as each stage starts and ends.
"""

from __future__ import annotations

import logging
from typing import Any

from services.trainer.ablation import ablation
from services.trainer.clustering import FittedModel, fit
from services.trainer.dataset import TrainingData, load_training_data, resolve_dataset_id
from services.trainer.evaluation import SILHOUETTE_BASIS, evaluate
from services.trainer.fitting import FitOptions
from services.trainer.gate import decide
from services.trainer.genres import label_codes, track_genres
from services.trainer.lineage import lineage
from services.trainer.publishing import catalog_table, model_document, publish
from services.trainer.segments import describe_clusters
from services.trainer.settings import TrainerSettings
from shared.bundle import read_model_document
from shared.datasets import newest_dataset_id
from shared.drift import dataset_drift
from shared.errors import BundleIntegrityError, DatasetNotFound, ModelNotFound, StorageError
from shared.ids import new_id
from shared.jobs import TrainingParameters
from shared.pointer import ModelPointer
from shared.stages import Listener, StageClock
from shared.storage import ObjectStore

log = logging.getLogger(__name__)

# A job's meta["stage"] after "queued": the stages in order, then "done" once the result is in.
STAGES = ("loading", "selecting_k", "fitting", "evaluating", "describing", "ablation", "drift", "indexing", "publishing", "done")


def served_model(store: ObjectStore, pointer: ModelPointer) -> dict[str, Any] | None:
    """The version the pointer names and its silhouette, or None when no model is served.

    The silhouette is None (with ``why``) when the document cannot be read, or when it was
    not measured as this trainer measures it (held out of the fit): the gate compares like
    with like only.
    """
    version = pointer.current()
    if version is None:
        return None
    try:
        metrics = read_model_document(store, version).metrics
    except (ModelNotFound, BundleIntegrityError) as exc:
        log.warning("the served model cannot be read", extra={"version": version, "error": exc.message})
        return {"version": version, "silhouette": None, "why": "cannot be read"}
    basis = (metrics.get("evaluation") or {}).get("silhouette_basis")
    if basis != SILHOUETTE_BASIS:
        return {"version": version, "silhouette": None, "why": "has no held-out silhouette to compare with"}
    return {"version": version, "silhouette": metrics.get("silhouette")}


def fit_options(settings: TrainerSettings, seed: int) -> FitOptions:
    return FitOptions(
        k_min=settings.k_min,
        k_max=settings.k_max,
        selection_sample=settings.selection_sample,
        holdout_sample=settings.holdout_sample,
        evaluation_sample=settings.evaluation_sample,
        n_init=settings.n_init,
        max_iter=settings.max_iter,
        seed=seed,
        max_cluster_share=settings.k_max_cluster_share,
        min_stability=settings.k_min_stability,
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
        "k_rule": {"max_cluster_share": options.max_cluster_share, "min_stability": options.min_stability},
        "selection_sample": int(len(model.samples.fit)),
        "holdout_sample": int(len(model.samples.holdout)),
        "evaluation_sample": int(len(model.samples.evaluation)),
        "scaling": "StandardScaler",
        "algorithm": "KMeans (lloyd)",
    }


def model_drift(store: ObjectStore, data: TrainingData, threshold: float) -> dict[str, Any]:
    """PSI per feature of the newest dataset against the model's own (all 0 when they are one)."""
    reference = {name: data.matrix[:, j] for j, name in enumerate(data.features)}
    try:
        newest = newest_dataset_id(store)
        return dataset_drift(store, data.dataset_id, newest, threshold, data.features, reference)
    except (DatasetNotFound, StorageError) as exc:
        log.warning("drift not measured", extra={"dataset_id": data.dataset_id, "error": exc.message})
        return {"dataset_id": data.dataset_id, "psi": None, "unavailable": {"psi": exc.message}}


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
    started_with = pointer.current()  # the pointer moves only from here (compare-and-set)
    with clock.stage("loading"):
        dataset_id = resolve_dataset_id(store, request.dataset_id)
        data = load_training_data(store, dataset_id, request.feature_names)
        genres = track_genres(data.tracks)
        artists, _ = label_codes(data.tracks.column("artist_name"))
    options = fit_options(settings, request.seed)
    model = fit(data.matrix, options, request.k, clock, genres.first)
    with clock.stage("evaluating"):
        metrics = evaluate(model, genres, artists, queries=settings.precision_queries, seed=request.seed)
    with clock.stage("describing"):
        clusters = describe_clusters(model, data.features, data.tracks, genres, artists)
    with clock.stage("ablation"):
        study = ablation(model, data.matrix, data.features, genres, artists, options,
                         holdout=settings.ablation_holdout, queries=settings.ablation_queries)  # fmt: skip
    with clock.stage("drift"):
        drift = model_drift(store, data, settings.drift_psi)
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
        document = model_document(version, model, data.features, clusters=clusters, params=params, metrics=metrics,
                                  ablation=study, drift=drift, lineage=origin)  # fmt: skip
        publish(store, document, catalog)
        decision = decide(
            metrics["silhouette"],
            served_model(store, pointer),
            floor=settings.gate_silhouette_floor,
            max_regression=settings.gate_max_regression,
            force=request.force,
        )
        activated, reason, superseded, superseded_by = decision.activate, decision.reason, False, None
        if activated and pointer.move_if(version, expected=started_with, actor=actor, reason=reason) is None:
            superseded_by = pointer.current()
            activated, superseded = False, True
            reason = (f"superseded: the pointer moved from {started_with} to {superseded_by} while this job ran, "
                      f"so it stays there (the gate had passed: {decision.reason})")  # fmt: skip
    log.info("training done", extra={"version": version, "activated": activated, "reason": reason, "superseded_by": superseded_by})
    return {
        "version": version,
        "dataset_id": dataset_id,
        "published": True,
        "activated": activated,
        "pointer_at_start": started_with,
        "superseded": superseded,
        "superseded_by": superseded_by,
        "reason": reason,
        "k": model.k,
        "metrics": metrics,
        "timings": clock.timings,
    }
