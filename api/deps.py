"""FastAPI dependencies: what routes receive, swappable in tests with ``dependency_overrides``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.runtime import ModelRuntime


def get_runtime(request: Request) -> ModelRuntime:
    runtime: ModelRuntime = request.app.state.runtime
    return runtime


Runtime = Annotated[ModelRuntime, Depends(get_runtime)]
