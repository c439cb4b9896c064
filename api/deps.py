"""FastAPI dependencies: what routes receive, swappable in tests with ``dependency_overrides``."""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import Depends, Request

from api.metrics import Metrics
from api.runtime import ModelRuntime
from kb.library import Library
from kb.store import Store
from suggest.errors import NotReadyError
from suggest.suggestions.engine import SuggestionEngine
from training.emotion import support_only_model
from training.tenant_models import TenantPipelines

_library_lock = threading.Lock()


def get_runtime(request: Request) -> ModelRuntime:
    runtime: ModelRuntime = request.app.state.runtime
    return runtime


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def get_library(request: Request) -> Library:
    """The library needs the model for search; until it is loaded this answers 503."""
    state = request.app.state
    if getattr(state, "library", None) is None:
        embedder = state.runtime.embedder
        if embedder is None:
            raise NotReadyError(
                f"the model is {state.runtime.status}; search is available once /readyz says ready"
            )
        with _library_lock:
            if getattr(state, "library", None) is None:
                state.library = Library(state.store, embedder, state.settings.data_dir / "index")
    library: Library = state.library
    return library


def get_engine(request: Request) -> SuggestionEngine:
    """One engine per app, built on the library once the model is loaded."""
    state = request.app.state
    if getattr(state, "engine", None) is None:
        library = get_library(request)
        with _library_lock:
            if getattr(state, "engine", None) is None:
                pipelines = TenantPipelines(
                    state.settings.data_dir, library.embedder, emotion_fallback=support_only_model
                )
                state.engine = SuggestionEngine(library.store, library.search, pipelines)
    engine: SuggestionEngine = state.engine
    return engine


def get_metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


Runtime = Annotated[ModelRuntime, Depends(get_runtime)]
StoreDep = Annotated[Store, Depends(get_store)]
LibraryDep = Annotated[Library, Depends(get_library)]
EngineDep = Annotated[SuggestionEngine, Depends(get_engine)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
