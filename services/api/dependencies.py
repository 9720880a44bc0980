"""What routes reach through ``Depends``: the gateway's parts, the serving model, the operator check."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Annotated, Any, Awaitable, Callable, TypeVar, get_origin

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ValidationError
from redis import Redis

from shared.storage import ObjectStore
from services.api.errors import ApiError, InvalidQuery
from services.api.holder import ModelHolder
from services.api.metrics import ApiMetrics
from services.api.model import ServingModel
from services.api.reloader import ModelReloader
from services.api.settings import ApiSettings


M = TypeVar("M", bound=BaseModel)


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


def query_model(model: type[M]) -> Callable[[Request], Awaitable[M]]:
    """A dependency that reads the query string into ``model`` in one validation (FastAPI's own
    query models check each field on every request: several times slower for one with tens of
    optional fields); refusals name each field. :func:`query_parameters` documents it."""
    lists = {name for name, info in model.model_fields.items() if get_origin(info.annotation) is list}

    async def parse(request: Request) -> M:
        query = request.query_params
        try:
            return model.model_validate({name: query.getlist(name) if name in lists else query[name] for name in query})
        except ValidationError as exc:
            raise InvalidQuery(exc.errors(include_url=False)) from None

    return parse


def query_parameters(model: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI ``parameters`` of a route whose query :func:`query_model` reads, for ``openapi_extra``."""
    schema = model.model_json_schema()
    parameters = []
    for name, property_schema in schema["properties"].items():
        parameter: dict[str, Any] = {
            "name": name, "in": "query", "required": name in schema.get("required", ()),
            "schema": {k: v for k, v in property_schema.items() if k not in ("title", "description")},
        }  # fmt: skip
        if "description" in property_schema:
            parameter["description"] = property_schema["description"]
        if property_schema.get("type") == "array":
            parameter |= {"style": "form", "explode": True}
        parameters.append(parameter)
    return {"parameters": parameters}


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
