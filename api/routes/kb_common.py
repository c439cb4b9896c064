"""Shared by the knowledge-base routes: paging and refreshing the index after a change."""

from __future__ import annotations

import logging
from typing import Annotated, Generic, TypeVar

from fastapi import BackgroundTasks, Query, Request
from pydantic import BaseModel

from suggest.errors import ReplykitError

log = logging.getLogger(__name__)
T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    offset: int
    limit: int


Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Limit = Annotated[int, Query(ge=1, le=200)]


def _refresh(request: Request, tenant_id: str) -> None:
    from api.deps import get_library

    try:
        get_library(request).index.refresh(tenant_id)
    except ReplykitError as err:  # model still loading: the first search rebuilds the stale index
        log.info("index refresh for tenant %s deferred: %s", tenant_id, err)


def schedule_refresh(tasks: BackgroundTasks, request: Request, tenant_id: str) -> None:
    """Re-embed and rebuild after the response is sent. Deletions are hidden from search at once
    anyway, because hits are read back from the database."""
    tasks.add_task(_refresh, request, tenant_id)
