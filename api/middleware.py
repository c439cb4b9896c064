"""ASGI middleware: the body-size limit and the access log.

Both are plain ASGI (no BaseHTTPMiddleware), so they cost microseconds and see chunked bodies.
The limit answers 413 before any heavy work: from Content-Length when it is sent, else as soon as
the streamed body passes the limit.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("replykit.access")


TOO_LARGE = "PayloadTooLarge"


def _too_large(limit: int) -> str:
    return f"the request body is over the {limit:,}-byte limit; send less (e.g. fewer tickets per batch)"


async def _send_413(send: Send, limit: int) -> None:
    body = json.dumps({"error": TOO_LARGE, "detail": _too_large(limit)}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await _send_413(send, self.max_bytes)
            return
        received = 0

        async def limited() -> Message:
            """Counts a streamed (chunked) body; the HTTPException passes through FastAPI's body
            parsing untouched and becomes the 413 response."""
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise HTTPException(413, _too_large(self.max_bytes))
            return message

        await self.app(scope, limited, send)


class AccessLog:
    """One line per request: method, route template, status and milliseconds; never the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: dict[str, Any] = {"code": 500}

        async def tracked(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        finally:
            route = scope.get("route")
            log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "route": getattr(route, "path", "unmatched"),
                    "status": status["code"],
                    "ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
