"""``/v1/models``: published model versions, the one served, and activation (operator)."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path

from shared.bundle import ModelDocument, list_versions, load_bundle, read_model_document
from shared.errors import MusicrecError
from shared.ids import ID_REGEX
from shared.pointer import ModelPointer
from services.api.dependencies import OPERATOR, OPERATOR_RESPONSES, CurrentModel, Gateway, GatewayDep
from services.api.routes.clusters import NOT_REPORTED, public_cluster
from services.api.schemas import (
    NO_MODEL, NOT_JSON, SERVICES_AWAY, STORE_AWAY, ActivationRequest, ModelList, ModelReport, PointerMove, error_responses,
)  # fmt: skip

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/models", tags=["models"])

SHOWN = {"version", "created_at", "features", "k", "metrics", "lineage", "clusters"}
HISTORY_SHOWN = 200  # the pointer's latest moves listed with the versions
REPORTED = ("ablation", "drift")  # sections an older model's report lacks


def public_model(document: ModelDocument) -> dict[str, Any]:
    return document.model_dump(include=SHOWN)


def _published_model(gateway: Gateway, version: str) -> dict[str, Any]:
    """A version's document; cached, since a published version never changes."""
    cached = gateway.model_documents.get(version)
    if cached is None:
        try:
            cached = public_model(read_model_document(gateway.store, version))
        except MusicrecError as exc:  # listed, but unusable: show why instead of hiding it
            return {"version": version, "error": {"code": exc.code, "message": exc.message}}
        gateway.model_documents[version] = cached
    return cached


@router.get("", response_model=ModelList, responses=error_responses(STORE_AWAY))
def list_models(gateway: GatewayDep) -> dict[str, Any]:
    """Every published version, oldest first; ``current`` is what the pointer names; ``history`` its
    latest moves (who moved it, when and why); ``superseded`` the versions that found it moved."""
    versions = list_versions(gateway.store)
    pointer = ModelPointer(gateway.redis)
    try:
        current, history, superseded = pointer.current(), pointer.history(HISTORY_SHOWN), pointer.superseded(HISTORY_SHOWN)
    except MusicrecError:
        current, history, superseded = gateway.holder.pointer, None, None  # Redis away: the last pointer this process read
    served = gateway.holder.model
    return {
        "models": [_published_model(gateway, v) for v in versions],
        "current": current,
        "serving": served.version if served is not None else None,
        "history": history,
        "superseded": superseded,
    }


@router.get("/current", response_model=dict[str, Any], responses=error_responses(NO_MODEL))
async def serving_model(model: CurrentModel) -> dict[str, Any]:
    """The model this process answers recommendations with."""
    return public_model(model.document) | {"loaded_at": model.loaded_at}


def model_report(document: ModelDocument) -> dict[str, Any]:
    """A version's whole report (:class:`services.api.schemas.ModelReport`)."""
    report = document.model_dump(include=SHOWN | {"params", *REPORTED})
    report["clusters"] = [public_cluster(c) for c in sorted(document.clusters, key=lambda c: c.id)]
    missing = [name for name in REPORTED if report.get(name) is None]
    return report | {name: None for name in missing} | {
        "unavailable": dict.fromkeys(missing, NOT_REPORTED)
    }


@router.get(
    "/{version}",
    response_model=ModelReport,
    responses=error_responses((404, "no such version"), (409, "the report fails verification"), (422, "the version is malformed"),
                              STORE_AWAY),
)  # fmt: skip
def published_model(version: Annotated[str, Path(pattern=ID_REGEX)], gateway: GatewayDep) -> dict[str, Any]:
    """One published version's report: parameters, clusters, held-out figures with the k selection,
    the ablation study and the drift measured when it was trained."""
    return model_report(read_model_document(gateway.store, version))


@router.post(
    "/{version}/activate",
    dependencies=OPERATOR,
    response_model=PointerMove,
    responses=OPERATOR_RESPONSES
    | error_responses(NOT_JSON, (404, "no such version"), (409, "the bundle fails verification"), (422, "the version or the body is malformed"), SERVICES_AWAY),
)
def activate(
    version: Annotated[str, Path(pattern=ID_REGEX)], gateway: GatewayDep, body: Annotated[ActivationRequest, Body(default_factory=ActivationRequest)]
) -> dict[str, Any]:
    """Promote or roll back: verify the bundle, then move the pointer with a recorded reason."""
    load_bundle(gateway.store, version)  # every sha256, the document and the catalog, or 404/409
    entry = ModelPointer(gateway.redis).move(version, actor="operator", reason=body.reason)
    gateway.reloader.wake()
    log.info("model %s activated by an operator: %s", version, body.reason)
    return entry
