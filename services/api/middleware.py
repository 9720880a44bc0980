"""The gateway's two ASGI middlewares; everything else a request meets is an ordinary FastAPI route.

- :class:`RequestContextMiddleware` (outermost): gives every request an id (the caller's
  ``X-Request-ID`` when well-formed, else a new one) and returns it in the ``X-Request-ID``
  header; counts and times the request (``/metrics``) and writes its access line on the
  ``services.api.access`` logger; answers an unexpected error with the JSON 500 (the trace goes
  to the log only, with the request id).
- :class:`BodySizeLimitMiddleware`: refuses a request body over the limit with 413, from its
  ``Content-Length`` before anything is read, or as soon as a body without one grows past it.
  A path may have a limit of its own (catalog uploads).
"""

from __future__ import annotations

import logging
import random
import re
import time

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.api.errors import internal_error
from services.api.metrics import ApiMetrics
from services.api.responses import error_response

log = logging.getLogger(__name__)
access = logging.getLogger("services.api.access")

REQUEST_ID_HEADER = b"x-request-id"
_WELL_FORMED_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,128}$")


def _new_request_id() -> str:
    """32 random hex digits, like a uuid4's, without a system call per request."""
    return f"{random.getrandbits(128):032x}"


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None


class HttpMiddleware:
    """A pure ASGI middleware that handles HTTP requests and passes everything else (lifespan) on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.handle(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


class RequestContextMiddleware(HttpMiddleware):
    def __init__(self, app: ASGIApp, metrics: ApiMetrics, access_log: bool = True) -> None:
        super().__init__(app)
        self.metrics = metrics
        self.access_log = access_log

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        incoming = _header(scope, REQUEST_ID_HEADER)
        request_id = incoming.decode() if incoming and _WELL_FORMED_ID.match(incoming) else _new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        id_header = (REQUEST_ID_HEADER, request_id.encode())
        status, responded = 500, False

        async def send_with_id(message: Message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status, responded = message["status"], True
                message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled error", extra={"request_id": request_id, "path": scope["path"]})
            if not responded:
                await error_response(*internal_error(request_id))(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = scope.get("route")
            method, path = scope["method"], scope["path"]
            self.metrics.observe_request(method, route.path if route is not None else "unmatched", status, seconds)
            if self.access_log:
                access.info(
                    "%s %s %d", method, path, status,
                    extra={"request_id": request_id, "method": method, "path": path, "status": status,
                           "duration_ms": round(seconds * 1000, 3)},
                )  # fmt: skip


class BodySizeLimitMiddleware(HttpMiddleware):
    def __init__(self, app: ASGIApp, max_body_bytes: int, path_limits: dict[str, int] | None = None) -> None:
        super().__init__(app)
        self.limit = max_body_bytes
        self.path_limits = path_limits or {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.path_limits.get(scope["path"], self.limit)
        length = _header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            message = f"the request body ({int(length)} bytes) is larger than the limit of {limit} bytes"
            await error_response(413, "payload_too_large", message)(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise HTTPException(413, f"the request body is larger than the limit of {limit} bytes")
            return message

        await self.app(scope, limited_receive, send)
