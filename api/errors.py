"""The one place where replykit's errors become HTTP responses.

Every error body has the same shape: ``{"error", "detail"}``, plus ``problems`` (a list of
``{"field", "message"}``) for validation failures, whether pydantic or our own rules found them.
"""

from __future__ import annotations

from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.middleware import TOO_LARGE
from suggest.errors import (
    ConfigError,
    ConflictError,
    InputError,
    InvalidContentError,
    ModelCacheError,
    NotFoundError,
    NotReadyError,
    ReplykitError,
)
from training.registry import GateRefused

STATUS = {
    GateRefused: 409,  # before InputError, its base: the request was fine, the candidate is not
    InputError: 422,
    NotFoundError: 404,
    ConflictError: 409,
    NotReadyError: 503,
    ModelCacheError: 503,
    ConfigError: 500,
}


def _status(err: ReplykitError) -> int:
    for kind, status in STATUS.items():
        if isinstance(err, kind):
            return status
    return 500


async def _handle(_request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, ReplykitError)
    body: dict[str, object] = {"error": type(err).__name__, "detail": str(err)}
    if isinstance(err, InvalidContentError):
        body["problems"] = [{"field": field, "message": message} for field, message in err.problems]
    headers = {"Retry-After": "5"} if isinstance(err, NotReadyError) else None
    return JSONResponse(body, status_code=_status(err), headers=headers)


def _problem(error: dict[str, object]) -> dict[str, str]:
    loc = [str(p) for p in error["loc"]]  # type: ignore[attr-defined]
    if error["type"] == "json_invalid":  # its loc ends in a character offset, not a field
        return {"field": "body", "message": f"{error['msg']} at character {loc[-1]}; send valid JSON"}
    return {"field": ".".join(p for p in loc if p != "body") or "body", "message": str(error["msg"])}


async def _handle_validation(_request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, RequestValidationError)
    problems = [_problem(e) for e in err.errors()]
    detail = f"the request is invalid ({len(problems)} problem(s)); see problems"
    return JSONResponse({"error": "InvalidRequest", "detail": detail, "problems": problems}, status_code=422)


async def _handle_http(_request: Request, err: Exception) -> JSONResponse:
    """401, 403, 404 for unknown routes, 405, 413: the same body shape as every other error."""
    assert isinstance(err, StarletteHTTPException)
    name = TOO_LARGE if err.status_code == 413 else HTTPStatus(err.status_code).phrase.replace(" ", "")
    body = {"error": name, "detail": err.detail}
    return JSONResponse(body, status_code=err.status_code, headers=getattr(err, "headers", None))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ReplykitError, _handle)
    app.add_exception_handler(StarletteHTTPException, _handle_http)
    app.add_exception_handler(RequestValidationError, _handle_validation)
