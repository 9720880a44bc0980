"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Any

import redis
from fastapi import APIRouter
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.responses import Response

from services.api.dependencies import GatewayDep
from services.api.responses import OrjsonResponse, error_response
from services.api.schemas import NO_MODEL, Readiness, error_responses

router = APIRouter(tags=["operations"])


@router.get("/healthz", responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}})
async def healthz() -> dict[str, str]:
    """Liveness only: the process answers."""
    return {"status": "ok"}


def _redis_reachable(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False


@router.get("/readyz", response_model=Readiness, responses=error_responses(NO_MODEL))
def readyz(gateway: GatewayDep) -> Response:
    """200 once a model is loaded, with the version, Redis and MinIO reachability and the last reload error."""
    holder = gateway.holder
    model = holder.model
    details: dict[str, Any] = {
        "ready": model is not None,
        "model_version": model.version if model is not None else None,
        "loaded_at": model.loaded_at if model is not None else None,
        "pointer": holder.pointer,
        "redis": {"reachable": _redis_reachable(gateway.redis)},
        "object_store": {"reachable": gateway.store.ping()},
        "last_reload_error": holder.failure.public() if holder.failure is not None else None,
    }
    if model is None:
        try:
            holder.current()
        except Exception as exc:  # ModelNotLoaded: its message says why
            return error_response(503, "not_ready", str(exc), details)
    return OrjsonResponse(details)


@router.get("/metrics", response_class=Response, responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
async def metrics(gateway: GatewayDep) -> Response:
    """Requests, latency, the served model version, reloads and reload failures."""
    return Response(gateway.metrics.render(), media_type=CONTENT_TYPE_LATEST)
