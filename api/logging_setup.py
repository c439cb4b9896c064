"""Process-wide logging: one JSON object per line, with the request id of the request being served.

Log records carry ids, sizes, codes and timings, never ticket text or customer data; the code
logs with the standard ``logging`` module and structlog only formats, so every library's records
(uvicorn's included) come out in the same shape.
"""

from __future__ import annotations

import logging
from typing import Any

import structlog
from asgi_correlation_id.context import correlation_id


def _request_id(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    request_id = correlation_id.get()
    if request_id:
        event["request_id"] = request_id
    return event


def configure_logging(level: str, fmt: str = "json") -> None:
    chain: list[Any] = [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _request_id,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=chain,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
