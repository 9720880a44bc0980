"""What routes reach through ``Depends``: the gateway's parts and the serving model."""

from __future__ import annotations

import asyncio
import hmac
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable, TypeVar

import redis
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.storage import ObjectStore
from services.api.errors import ApiError
from services.api.holder import ModelHolder
from services.api.metrics import ApiMetrics
from services.api.model import ServingModel
from services.api.reloader import ModelReloader
from services.api.settings import ApiSettings

T = TypeVar("T")


@dataclass
class Gateway:
    """Everything one API process holds, built in the app's lifespan."""

    settings: ApiSettings
    metrics: ApiMetrics
    store: ObjectStore
    redis: redis.Redis
    holder: ModelHolder
    reloader: ModelReloader
    search_pool: ThreadPoolExecutor | None  # None: searches run on the event loop
    model_documents: dict[str, dict[str, Any]] = field(default_factory=dict)  # published = immutable

    async def search(self, function: Callable[..., T], *args: Any) -> T:
        """Run a catalog search on the search threads (the k-d tree releases the GIL), or inline."""
        if self.search_pool is None:
            return function(*args)
        return await asyncio.get_running_loop().run_in_executor(self.search_pool, partial(function, *args))


async def gateway(request: Request) -> Gateway:
    return request.app.state.gateway


async def current_model(request: Request) -> ServingModel:
    """The model this request runs on, taken once; 503 when none is loaded."""
    return request.app.state.gateway.holder.current()


_bearer = HTTPBearer(auto_error=False, description="the operator token (MUSICREC_OPERATOR_TOKEN)")


async def require_operator(
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer), gateway: Gateway = Depends(gateway)
) -> None:
    """Operator routes: 401 without a bearer token, 403 with a wrong one or when none is configured."""
    expected = gateway.settings.operator_token
    if expected is None:
        raise ApiError(403, "operator_routes_disabled", "operator routes are disabled: MUSICREC_OPERATOR_TOKEN is not set")
    if credentials is None:
        raise ApiError(
            401, "unauthorized", "this operator route needs the header 'Authorization: Bearer <operator token>'",
            headers={"WWW-Authenticate": "Bearer"},
        )  # fmt: skip
    if not hmac.compare_digest(credentials.credentials.encode(), expected.get_secret_value().encode()):
        raise ApiError(403, "forbidden", "the operator token is not valid")
