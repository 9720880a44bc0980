"""JSON responses rendered with orjson, and the one error body shape."""

from __future__ import annotations

from typing import Any, Mapping

import orjson
from starlette.responses import JSONResponse, Response


class OrjsonResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def error_body(code: str, message: str, details: Mapping[str, Any] | None = None) -> bytes:
    return orjson.dumps({"error": {"code": code, "message": message, "details": dict(details or {})}})


def error_response(
    status: int, code: str, message: str, details: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(error_body(code, message, details), status_code=status, headers=headers, media_type="application/json")
