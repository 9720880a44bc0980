"""Per-request context as one plain ASGI middleware (cheaper than a stack of them).

It gives every request an id (the caller's ``X-Request-ID`` when well-formed, else a new
one), returns it in the ``X-Request-ID`` header and writes it in the access log line,
refuses bodies over the size limit with 413, turns any unhandled exception into the JSON
500 shape (the trace goes to the log only), and counts and times every request. The routes
of ``hot_routes`` are answered right here (:mod:`services.api.hot_routes`).
"""

from __future__ import annotations

import logging
import random
import re
import time

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.api.access_log import AccessLog
from services.api.errors import internal_error
from services.api.hot_routes import HotRoute, serve
from services.api.metrics import ApiMetrics
from services.api.responses import error_body

log = logging.getLogger(__name__)

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


class RequestContextMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        metrics: ApiMetrics,
        max_body_bytes: int,
        access_log: AccessLog | None = None,
        hot_routes: dict[tuple[str, str], HotRoute] | None = None,
    ) -> None:
        self.app = app
        self.hot_routes = hot_routes or {}
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        incoming = _header(scope, REQUEST_ID_HEADER)
        request_id = incoming.decode() if incoming and _WELL_FORMED_ID.match(incoming) else _new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        id_header = (REQUEST_ID_HEADER, request_id.encode())
        status = 500
        responded = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status, responded = message["status"], True
                message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        limit = self.max_body_bytes
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise HTTPException(413, f"the request body is larger than the limit of {limit} bytes")
            return message

        try:
            length = _header(scope, b"content-length")
            if length is not None and length.isdigit() and int(length) > limit:
                await self._refuse(send_with_id, 413, "payload_too_large",
                                   f"the request body ({int(length)} bytes) is larger than the limit of {limit} bytes")  # fmt: skip
            elif (hot := self.hot_routes.get((scope["method"], scope["path"]))) is not None:
                await serve(hot, scope, limited_receive, send_with_id)
            else:
                await self.app(scope, limited_receive, send_with_id)
        except Exception:
            log.exception("unhandled error", extra={"request_id": request_id, "path": scope["path"]})
            if not responded:
                await self._refuse(send_with_id, *internal_error(request_id))
        finally:
            seconds = time.perf_counter() - started
            route = scope.get("route")
            self.metrics.observe_request(scope["method"], route.path if route is not None else "unmatched", status, seconds)
            if self.access_log is not None:
                self.access_log.write(scope["method"], scope["path"], status, request_id, seconds)

    @staticmethod
    async def _refuse(send: Send, status: int, code: str, message: str) -> None:
        body = error_body(code, message)
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
