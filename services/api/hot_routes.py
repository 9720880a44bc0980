"""The routes called most, answered straight from the request middleware.

``POST /v1/recommendations`` and ``GET /healthz`` skip FastAPI's routing, dependency
solving, request objects and exception middleware, which cost more than the search itself.
They answer exactly as their FastAPI routes do (those stay, for the OpenAPI document and any
request this table does not match): the same answer functions, the same error responses
through :func:`services.api.errors.handled_error`, and ``scope["route"]`` set to the route,
so metrics name it as usual.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.requests import ClientDisconnect, Request
from starlette.types import Receive, Scope, Send

from services.api.errors import handled_error

Answer = Callable[[Any, bytes], Awaitable[bytes]]  # (app, request body) -> JSON body of a 200


@dataclass(frozen=True)
class HotRoute:
    route: APIRoute
    answer: Answer
    reads_body: bool


def hot_routes(app: FastAPI, answers: dict[tuple[str, str], tuple[Answer, bool]]) -> dict[tuple[str, str], HotRoute]:
    """The table the middleware looks up by (method, path); each must be a route of ``app``."""
    table = {}
    for (method, path), (answer, reads_body) in answers.items():
        [route] = [r for r in app.routes if isinstance(r, APIRoute) and r.path == path and method in r.methods]
        table[(method, path)] = HotRoute(route, answer, reads_body)
    return table


async def read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def serve(hot: HotRoute, scope: Scope, receive: Receive, send: Send) -> None:
    scope["route"] = hot.route
    try:
        body = await hot.answer(scope["app"], await read_body(receive) if hot.reads_body else b"")
    except Exception as exc:
        response = handled_error(Request(scope, receive), exc)
        if response is None:
            raise
        await response(scope, receive, send)
        return
    headers = [(b"content-length", b"%d" % len(body)), (b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
