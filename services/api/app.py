"""The API gateway: ``create_app(settings)`` builds a FastAPI app; the model loads in lifespan."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

from fastapi import FastAPI
from starlette.types import ASGIApp

from shared.pointer import connect
from shared.storage import ObjectStore
from services.api.access_log import AccessLog
from services.api.dependencies import Gateway
from services.api.errors import install_error_handlers
from services.api.holder import ModelHolder
from services.api.hot_routes import hot_routes
from services.api.metrics import ApiMetrics
from services.api.middleware import RequestContextMiddleware
from services.api.reloader import ModelReloader
from services.api.responses import OrjsonResponse
from services.api.routes import ROUTERS, health, recommendations
from services.api.schemas import REQUEST_SCHEMAS
from services.api.settings import ApiSettings

log = logging.getLogger(__name__)

# answered by the middleware itself: (method, path) -> (answer, reads its body)
HOT_ANSWERS = {("POST", "/v1/recommendations"): (recommendations.answer, True), ("GET", "/healthz"): (health.liveness, False)}

DESCRIPTION = """Music recommendations from audio features.

Read routes are public. Training jobs and model activation are operator routes: send
`Authorization: Bearer <MUSICREC_OPERATOR_TOKEN>`. Every error has the shape
`{"error": {"code", "message", "details"}}` and every response an `X-Request-ID` header.
"""


class GatewayApp(FastAPI):
    """FastAPI with the request-context middleware outermost: around FastAPI's own error and
    body-limit layers, so the routes it answers itself pass through nothing else."""

    request_context: dict[str, Any]  # the middleware's arguments, set by create_app

    def build_middleware_stack(self) -> ASGIApp:
        return RequestContextMiddleware(super().build_middleware_stack(), **self.request_context)


def create_app(settings: ApiSettings) -> FastAPI:
    metrics = ApiMetrics()
    access_log = AccessLog() if settings.access_log else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = ObjectStore.from_settings(settings)
        client = connect(settings.redis_url)
        holder = ModelHolder()
        reloader = ModelReloader(settings, store, client, holder, metrics)
        search_pool = None
        if settings.search_threads:
            search_pool = ThreadPoolExecutor(max_workers=settings.search_threads, thread_name_prefix="catalog-search")
        app.state.gateway = Gateway(settings, metrics, store, client, holder, reloader, search_pool)
        reloader.start()
        if not await asyncio.to_thread(reloader.wait_first_attempt, settings.startup_wait_seconds):
            log.warning("no model after %gs; serving without one until it loads", settings.startup_wait_seconds)
        try:
            yield
        finally:
            await asyncio.to_thread(reloader.stop)
            if search_pool is not None:
                search_pool.shutdown(wait=True)
            client.close()
            if access_log is not None:
                access_log.flush()

    app = GatewayApp(
        title="musicrec API",
        version="1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        default_response_class=OrjsonResponse,
        telemetry={"tracing": False, "metrics": False, "logs": False},  # Prometheus metrics are our own
    )
    install_error_handlers(app)
    for router in ROUTERS:  # flat, not include_router(): matching nested routers costs per request
        app.router.routes.extend(router.routes)
    app.request_context = {
        "metrics": metrics,
        "max_body_bytes": settings.max_body_bytes,
        "access_log": access_log,
        "hot_routes": hot_routes(app, HOT_ANSWERS),
    }
    _document_request_bodies(app)
    return app


def _document_request_bodies(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict:
        schema = generate()  # cached by FastAPI after the first call
        schema.setdefault("components", {}).setdefault("schemas", {}).update(REQUEST_SCHEMAS)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def app_from_environment() -> FastAPI:
    """For ``uvicorn services.api.app:app_from_environment --factory``."""
    return create_app(ApiSettings())
