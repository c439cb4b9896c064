"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import Runtime

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up and serving HTTP; says nothing about models."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
def readyz(runtime: Runtime) -> JSONResponse:
    """200 once the model is loaded and warmed up; 503 while loading or after a failure."""
    body: dict[str, object] = {"status": runtime.status}
    if runtime.embedder is not None:
        body |= {
            "model": runtime.embedder.name,
            "dim": runtime.embedder.dim,
            "load_seconds": runtime.load_seconds,
        }
        return JSONResponse(body)
    if runtime.error:
        body["error"] = runtime.error
    return JSONResponse(body, status_code=503)
