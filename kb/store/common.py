"""What the tenant-scoped stores share: tenant-checked reads, save targets, paged lists."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, TypeVar

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.interfaces import LoaderOption

from kb.db.schema import Article, Base, CannedResponse, HistoryImport, ReplyDraft, TrainingJob
from suggest.errors import ConflictError, NotFoundError

SaveStatus = Literal["created", "updated", "unchanged"]
Item = TypeVar("Item", Article, CannedResponse)
"""What ``save_target`` and ``paged`` work on: rows with a title and an external id."""
Owned = TypeVar("Owned", Article, CannedResponse, TrainingJob, ReplyDraft, HistoryImport)
"""Rows that belong to one tenant and are read by id."""
Row = TypeVar("Row", bound=Base)
_NAMES = {
    Article: "article",
    CannedResponse: "canned response",
    TrainingJob: "training job",
    ReplyDraft: "reply draft",
    HistoryImport: "history import",
}


def owned(
    session: Session,
    model: type[Owned],
    tenant_id: str,
    item_id: int,
    load: LoaderOption | None = None,
    *,
    hint: str = "",
    fresh: bool = False,
) -> Owned:
    """The row, or NotFoundError when it does not exist *or belongs to another tenant* (``hint``, when
    given, says where to find the right id). ``fresh`` reads the row again even when the session holds
    it: for rows that conditional UPDATEs change behind the session's back."""
    row = session.get(model, item_id, options=None if load is None else [load], populate_existing=fresh)
    if row is None or row.tenant_id != tenant_id:
        raise NotFoundError(f"no {_NAMES[model]} with id {item_id}" + (f"; {hint}" if hint else ""))
    return row


def save_target(
    session: Session,
    model: type[Item],
    tenant_id: str,
    external_id: str,
    *,
    item_id: int | None,
    load: LoaderOption,
) -> Item | None:
    """The row a save updates: by id (the API), else by external id (imports); None means create.

    Renaming onto another row's external id is a ConflictError."""
    by_external = session.scalar(
        select(model).where(model.tenant_id == tenant_id, model.external_id == external_id).options(load)
    )
    if item_id is None:
        return by_external
    row = owned(session, model, tenant_id, item_id, load)
    if by_external is not None and by_external.id != item_id:
        raise ConflictError(
            f"external id {external_id!r} already belongs to {_NAMES[model]} {by_external.id}; "
            "choose another external id"
        )
    return row


def paged(
    session: Session,
    model: type[Item],
    where: list[ColumnElement[bool]],
    *,
    query: str | None,
    order: Sequence[Any],
    offset: int,
    limit: int,
    load: LoaderOption,
) -> tuple[list[Item], int]:
    """A page of rows matching ``where`` (and ``query`` in title or external id), and the total."""
    if query:
        pattern = f"%{query}%"
        where = [*where, or_(model.title.ilike(pattern), model.external_id.ilike(pattern))]
    return page_of(session, model, where, order=order, offset=offset, limit=limit, load=load)


def page_of(
    session: Session,
    model: type[Row],
    where: Sequence[ColumnElement[bool]],
    *,
    order: Sequence[Any],
    offset: int,
    limit: int,
    load: LoaderOption | None = None,
) -> tuple[list[Row], int]:
    """A page of any table's rows matching ``where``, and how many match in all."""
    total = session.scalar(select(func.count()).select_from(model).where(*where)) or 0
    rows = select(model).where(*where).order_by(*order).offset(offset).limit(limit)
    if load is not None:
        rows = rows.options(load)
    return list(session.scalars(rows)), total
