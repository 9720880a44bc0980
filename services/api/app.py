"""The API gateway: ``create_app(settings)`` builds a FastAPI app; the model loads in lifespan."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from shared.pointer import connect
from shared.storage import ObjectStore
from services.api.dependencies import Gateway
from services.api.errors import install_error_handlers
from services.api.holder import ModelHolder
from services.api.metrics import ApiMetrics
from services.api.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from services.api.reloader import ModelReloader
from services.api.routes import ROUTERS
from services.api.routes.datasets import UPLOAD_PATH
from services.api.settings import ApiSettings

log = logging.getLogger(__name__)

UI_DIR = Path(__file__).with_name("ui")  # the dashboard: static pages that call the public API

DESCRIPTION = """Music recommendations from audio features.

Read routes are public. Training jobs and model activation are operator routes: send
`Authorization: Bearer <MUSICREC_OPERATOR_TOKEN>`. Every error has the shape
`{"error": {"code", "message", "details"}}` and every response an `X-Request-ID` header.
The dashboard, pages that call these routes, is at `/ui/`.
"""


def create_app(settings: ApiSettings) -> FastAPI:
    metrics = ApiMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = ObjectStore.from_settings(settings)
        client = connect(settings.redis_url)
        holder = ModelHolder()
        reloader = ModelReloader(settings, store, client, holder, metrics)
        app.state.gateway = Gateway(settings, metrics, store, client, holder, reloader)
        reloader.start()
        if not await asyncio.to_thread(reloader.wait_first_attempt, settings.startup_wait_seconds):
            log.warning("no model after %gs; serving without one until it loads", settings.startup_wait_seconds)
        try:
            yield
        finally:
            await asyncio.to_thread(reloader.stop)
            client.close()

    app = FastAPI(
        title="musicrec API",
        version="1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        telemetry={"tracing": False, "metrics": False, "logs": False},  # Prometheus metrics are our own
    )
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    app.add_middleware(
        BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes, path_limits={UPLOAD_PATH: settings.upload_max_bytes}
    )
    app.add_middleware(RequestContextMiddleware, metrics=metrics, access_log=settings.access_log)  # outermost

    @app.get("/", include_in_schema=False)
    async def dashboard() -> RedirectResponse:
        return RedirectResponse("/ui/")

    app.mount("/ui", StaticFiles(directory=UI_DIR, html=True), name="ui")
    return app


def app_from_environment() -> FastAPI:
    """For ``uvicorn services.api.app:app_from_environment --factory``."""
    return create_app(ApiSettings())
