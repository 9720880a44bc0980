"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Any

import redis
from fastapi import APIRouter, Depends
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.responses import Response

from services.api.dependencies import Gateway, gateway
from services.api.responses import OrjsonResponse, error_response

router = APIRouter(tags=["operations"])


LIVE = b'{"status":"ok"}'


@router.get("/healthz")
async def healthz() -> Response:
    """Liveness only: the process answers."""
    return Response(LIVE, media_type="application/json")


async def liveness(app: Any, body: bytes) -> bytes:
    """The fast path's answer (:mod:`services.api.hot_routes`)."""
    return LIVE


def _redis_reachable(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False


@router.get("/readyz", responses={503: {"description": "no model is loaded yet"}})
def readyz(gateway: Gateway = Depends(gateway)) -> Response:
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


@router.get("/metrics", response_class=Response)
async def metrics(gateway: Gateway = Depends(gateway)) -> Response:
    """Requests, latency, the served model version, reloads and reload failures."""
    return Response(gateway.metrics.render(), media_type=CONTENT_TYPE_LATEST)
