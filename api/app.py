"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import FastAPI

from api.errors import install_error_handlers
from api.metrics import Metrics
from api.middleware import AccessLog, BodyLimit
from api.routes import articles, canned, drafts, feedback, health, kb_search, models, suggest
from api.routes import settings as settings_routes
from api.routes import training as training_routes
from api.runtime import EmbedderFactory, ModelRuntime
from kb.store import Store
from suggest.config import Settings, get_settings

log = logging.getLogger(__name__)


JOBS_STOP_S = 10.0
"""How long shutdown waits for a running training job to reach its next check and requeue itself."""
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def _safe_request_id(value: str) -> bool:
    """A caller's X-Request-ID is kept when it is a short plain token (it goes into logs and the
    database); anything else is replaced by a fresh id."""
    return bool(REQUEST_ID.match(value))


def _default_factory(settings: Settings) -> EmbedderFactory:
    from suggest.embed.loader import load_embedder

    return lambda: load_embedder(settings, step=log.info, warn=log.warning, isolate_build=True)


def create_app(settings: Settings | None = None, embedder_factory: EmbedderFactory | None = None) -> FastAPI:
    """Build the app. Tests pass ``embedder_factory`` to serve a fake instead of the real model."""
    settings = settings or get_settings()
    runtime = ModelRuntime(embedder_factory or _default_factory(settings))
    store = Store.from_settings(settings)  # migrates the database before the first request
    jobs = training_routes.make_worker(settings, store, runtime)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        runtime.start()
        if settings.jobs_worker == "thread":
            jobs.start()
        yield
        await asyncio.to_thread(jobs.stop, JOBS_STOP_S)
        store.close()

    app = FastAPI(
        title="replykit", summary="Reply suggestions for support teams, on your own CPU.", lifespan=lifespan
    )
    app.state.settings = settings
    app.state.runtime = runtime
    app.state.store = store
    app.state.jobs = jobs
    app.state.library = None
    app.state.engine = None
    app.state.metrics = Metrics()
    install_error_handlers(app)
    for module in (health, suggest, feedback, articles, canned, kb_search, settings_routes, models, drafts):
        app.include_router(module.router)
    app.include_router(training_routes.router)
    app.state.metrics.install(app, settings.metrics_token)
    # Outermost last: the request id exists before anything logs; the size limit runs before parsing.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(AccessLog)
    app.add_middleware(CorrelationIdMiddleware, header_name="X-Request-ID", validator=_safe_request_id)
    return app
