"""One JSON error shape for every 4xx/5xx: ``{"error": {"code", "message", "details"}}``.

The API alone maps the project's error codes to HTTP statuses (:data:`ERROR_STATUS`); validation
errors name each field and, where it has one, its allowed range. No stack trace reaches a client.
"""

from __future__ import annotations

from typing import Any, Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Match

from shared.errors import (
    BundleIntegrityError,
    ConfigError,
    DatasetNotFound,
    IngestError,
    InvalidInput,
    ManifestMissing,
    ModelNotFound,
    ModelNotLoaded,
    MusicrecError,
    ObjectNotFound,
    RedisUnavailable,
    StorageError,
    StorageUnavailable,
    TrackNotFound,
    TrainingError,
)
from shared.schema import FEATURES
from services.api.responses import error_response
from services.api.schemas import FIELD_RANGES

# The project's error code -> HTTP status (codes not listed: 500).
ERROR_STATUS: dict[str, int] = {
    ConfigError.code: 500,
    InvalidInput.code: 422,
    StorageError.code: 502,
    StorageUnavailable.code: 503,
    ObjectNotFound.code: 404,
    ManifestMissing.code: 404,
    BundleIntegrityError.code: 409,
    DatasetNotFound.code: 404,
    ModelNotFound.code: 404,
    ModelNotLoaded.code: 503,
    TrackNotFound.code: 404,
    RedisUnavailable.code: 503,
    IngestError.code: 422,
    TrainingError.code: 500,
}
# HTTP status of a refusal from Starlette or FastAPI -> the error code the body names.
STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(Exception):
    """An HTTP-level refusal with its own code (auth, unknown job, oversized body...)."""

    def __init__(
        self, status: int, code: str, message: str, details: dict[str, Any] | None = None, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details = details or {}
        self.headers = dict(headers or {})


def _field_range(name: str) -> dict[str, Any]:
    spec = FEATURES.get(name)
    if spec is not None:
        return {"minimum": spec.minimum, "maximum": spec.maximum, "allowed": spec.describe()}
    if name in FIELD_RANGES:
        low, high = FIELD_RANGES[name]
        return {"minimum": low, "maximum": high, "allowed": f"{low:g} to {high:g}"}
    return {}


class InvalidQuery(Exception):
    """Query parameters that their model refused (its pydantic errors, located within the query)."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("invalid query parameters")
        self.errors = errors


def _describe(error: Mapping[str, Any], source: str | None = None) -> dict[str, Any]:
    """A validation error for the client; its location starts with its source ("body", "query",
    "path") unless ``source`` says where it is."""
    location = [str(part) for part in error.get("loc", ())]
    if source is None:
        source, where = (location[0] if location else "body"), location[1:]
    else:
        where = location
    field = ".".join(where) or source
    described: dict[str, Any] = {"field": field, "message": error.get("msg", "invalid"), "type": error.get("type")}
    if error.get("type") == "extra_forbidden":
        if where[:1] == ["features"]:
            described["message"] = f"unknown feature {where[-1]!r}; the schema has {list(FEATURES)}"
        else:
            described["message"] = f"unknown field {where[-1]!r}"
    elif where:
        described |= _field_range(where[-1])
    return described


def _where(document: object, position: object) -> str:
    """' at line L column C' of a character position in a JSON document (as Python's json says it)."""
    if not isinstance(document, str) or not isinstance(position, int):
        return ""
    line = document.count("\n", 0, position) + 1
    return f" at line {line} column {position - document.rfind(chr(10), 0, position)}"


def _validation_error(_: Request, exc: RequestValidationError) -> Response:
    errors = list(exc.errors())
    malformed = next((e for e in errors if e.get("type") == "json_invalid"), None)
    if malformed is not None:
        position = (malformed.get("loc") or (None,))[-1]
        reason = f"{(malformed.get('ctx') or {}).get('error', 'not valid JSON')}{_where(exc.body, position)}"
        details = {"reason": reason} | ({"position": position} if isinstance(position, int) else {})
        return error_response(400, "malformed_json", f"the request body is not valid JSON: {reason}", details)
    return _invalid([_describe(e) for e in errors])


def _invalid_query(_: Request, exc: InvalidQuery) -> Response:
    return _invalid([_describe(e, "query") for e in exc.errors])


def _invalid(described: list[dict[str, Any]]) -> Response:
    message = "; ".join(
        f"{d['field']}: {d['message']}" + (f" (allowed: {d['allowed']})" if "allowed" in d else "") for d in described
    )
    return error_response(422, "invalid_input", message, {"errors": described})


def _musicrec_error(_: Request, exc: MusicrecError) -> Response:
    return error_response(ERROR_STATUS.get(exc.code, 500), exc.code, exc.message, exc.details)


def _api_error(_: Request, exc: ApiError) -> Response:
    return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)


def _http_exception(request: Request, exc: HTTPException) -> Response:
    code = STATUS_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code in (404, 405) and message in ("Not Found", "Method Not Allowed"):
        message = f"{message.lower()}: {request.method} {request.url.path}"
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request))
    return error_response(exc.status_code, code, message, headers=headers or None)


def allowed_methods(request: Request) -> list[str]:
    """Every method the routes at the request's path take (each route knows only its own)."""
    methods = {
        method
        for route in request.app.router.routes
        if route.matches(request.scope)[0] != Match.NONE
        for method in getattr(route, "methods", None) or ()
    }
    return sorted(methods)


def internal_error(request_id: str | None) -> tuple[int, str, str]:
    """Status, code and message of an unexpected error (the trace goes to the log only)."""
    return 500, "internal_error", f"internal error; quote request id {request_id}"


HANDLERS = {
    RequestValidationError: _validation_error,
    InvalidQuery: _invalid_query,
    MusicrecError: _musicrec_error,
    ApiError: _api_error,
    HTTPException: _http_exception,
}


def install_error_handlers(app: FastAPI) -> None:
    """Every refusal in the one error shape; an unexpected error is the request middleware's."""
    for error, handler in HANDLERS.items():
        app.add_exception_handler(error, handler)
