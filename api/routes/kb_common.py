"""Shared by the knowledge-base routes: paging, and refreshing the index after a change."""

from __future__ import annotations

import logging
from typing import Annotated, Generic, TypeVar

from fastapi import BackgroundTasks, Depends, Query, Request
from pydantic import BaseModel

from api.deps import get_library
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
Search = Annotated[str | None, Query(max_length=200, description="Text in the title or external id.")]


class IndexRefresh:
    """Re-embeds and rebuilds a tenant's index after the response is sent. Deletions are hidden from
    search at once anyway, because hits are read back from the database."""

    def __init__(self, tasks: BackgroundTasks, request: Request) -> None:
        self._tasks = tasks
        self._request = request

    def after_change(self, tenant_id: str) -> None:
        self._tasks.add_task(self._run, tenant_id)

    def _run(self, tenant_id: str) -> None:
        try:
            get_library(self._request).index.refresh(tenant_id)
        except ReplykitError as err:  # model still loading: the first search rebuilds the stale index
            log.info("index refresh for tenant %s deferred: %s", tenant_id, err)


Refresh = Annotated[IndexRefresh, Depends()]
