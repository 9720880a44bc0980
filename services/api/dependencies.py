"""What routes reach through ``Depends``: the gateway's parts, the serving model, the operator check."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from redis import Redis

from shared.storage import ObjectStore
from services.api.errors import ApiError
from services.api.holder import ModelHolder
from services.api.metrics import ApiMetrics
from services.api.model import ServingModel
from services.api.reloader import ModelReloader
from services.api.settings import ApiSettings


@dataclass
class Gateway:
    """Everything one API process holds, built in the app's lifespan."""

    settings: ApiSettings
    metrics: ApiMetrics
    store: ObjectStore
    redis: Redis
    holder: ModelHolder
    reloader: ModelReloader
    model_documents: dict[str, dict[str, Any]] = field(default_factory=dict)  # published = immutable


async def gateway(request: Request) -> Gateway:
    return request.app.state.gateway


async def current_model(request: Request) -> ServingModel:
    """The model this request runs on, taken once; 503 when none is loaded."""
    return request.app.state.gateway.holder.current()


GatewayDep = Annotated[Gateway, Depends(gateway)]
CurrentModel = Annotated[ServingModel, Depends(current_model)]

_bearer = HTTPBearer(auto_error=False, description="the operator token (MUSICREC_OPERATOR_TOKEN)")


async def require_operator(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)], gateway: GatewayDep
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


OPERATOR = [Depends(require_operator)]
OPERATOR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "no operator token was sent"},
    403: {"description": "the operator token is wrong, or operator routes are disabled"},
}
