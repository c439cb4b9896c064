"""The FastAPI application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.errors import install_error_handlers
from api.routes import articles, canned, health, kb_search
from api.runtime import EmbedderFactory, ModelRuntime
from kb.store import Store
from suggest.config import Settings, get_settings

log = logging.getLogger(__name__)


def _default_factory(settings: Settings) -> EmbedderFactory:
    from suggest.embed.loader import load_embedder

    return lambda: load_embedder(settings, step=log.info, warn=log.warning, isolate_build=True)


def create_app(settings: Settings | None = None, embedder_factory: EmbedderFactory | None = None) -> FastAPI:
    """Build the app. Tests pass ``embedder_factory`` to serve a fake instead of the real model."""
    settings = settings or get_settings()
    runtime = ModelRuntime(embedder_factory or _default_factory(settings))
    store = Store.from_settings(settings)  # migrates the database before the first request

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        runtime.start()
        yield
        store.close()

    app = FastAPI(
        title="replykit", summary="Reply suggestions for support teams, on your own CPU.", lifespan=lifespan
    )
    app.state.settings = settings
    app.state.runtime = runtime
    app.state.store = store
    app.state.library = None
    install_error_handlers(app)
    for module in (health, articles, canned, kb_search):
        app.include_router(module.router)
    return app
