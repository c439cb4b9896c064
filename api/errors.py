"""The one place where replykit's errors become HTTP responses."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from suggest.errors import ConfigError, InputError, ModelCacheError, ReplykitError

STATUS = {InputError: 422, ModelCacheError: 503, ConfigError: 500}


def _status(err: ReplykitError) -> int:
    for kind, status in STATUS.items():
        if isinstance(err, kind):
            return status
    return 500


async def _handle(_request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, ReplykitError)
    return JSONResponse({"error": type(err).__name__, "detail": str(err)}, status_code=_status(err))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ReplykitError, _handle)
