"""What articles and canned responses share: tenant-checked reads, save targets, paged lists."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, TypeVar

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.interfaces import LoaderOption

from kb.db.schema import Article, CannedResponse
from suggest.errors import ConflictError, NotFoundError

SaveStatus = Literal["created", "updated", "unchanged"]
Item = TypeVar("Item", Article, CannedResponse)
_NAMES = {Article: "article", CannedResponse: "canned response"}


def owned(session: Session, model: type[Item], tenant_id: str, item_id: int, load: LoaderOption) -> Item:
    """The row, or NotFoundError when it does not exist *or belongs to another tenant*."""
    row = session.get(model, item_id, options=[load])
    if row is None or row.tenant_id != tenant_id:
        raise NotFoundError(f"no {_NAMES[model]} with id {item_id}")
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
    total = session.scalar(select(func.count()).select_from(model).where(*where)) or 0
    rows = session.scalars(
        select(model).where(*where).options(load).order_by(*order).offset(offset).limit(limit)
    )
    return list(rows), total
