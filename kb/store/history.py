"""Imported ticket history, per tenant: batched upserts, streaming reads, statistics, import records.

Tickets are written with the dialect's own ``INSERT ... ON CONFLICT DO UPDATE`` (SQLite and
PostgreSQL), one statement per batch, keyed by (tenant, source, external id): importing the same
export again updates tickets in place instead of adding copies. Reads page by id (keyset), never by
OFFSET, so the last page of a million tickets costs what the first one does.

Everything here receives text that is already redacted; the store never sees a name or an address.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime
from functools import cache
from pathlib import PurePath
from typing import Any, cast

from sqlalchemy import Executable, Table, func, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from kb.db.schema import HistoryImport, HistoryTicketRow
from kb.store.common import owned
from suggest.errors import ConfigError, InputError

T = HistoryTicketRow
STATUSES = ("running", "done", "failed")
_KEY = ["tenant_id", "source", "external_id"]


@dataclass(frozen=True)
class TicketRecord:
    """One redacted ticket as it is stored (the columns of ``history_tickets`` a source fills in)."""

    source: str
    external_id: str
    subject: str | None
    text: str
    language: str
    thread: list[dict[str, Any]]
    """``{"author", "agent", "public", "created_at" (ISO or None), "text"}`` per message, in order."""
    tags: list[str]
    fields: dict[str, str]
    csat_score: float | None
    csat_label: str | None
    status: str | None
    created_at: datetime | None


_COLUMNS = tuple(f.name for f in dataclass_fields(TicketRecord))
"""Read shallowly: ``dataclasses.asdict`` deep-copies every thread, which doubled an import's time."""


@dataclass(frozen=True)
class UpsertCounts:
    inserted: int
    updated: int
    """Tickets already stored, plus repeats of one id within the batch (the last one wins)."""


@dataclass(frozen=True)
class HistoryStats:
    total: int
    by_source: dict[str, int]
    by_language: dict[str, int]
    field: str
    by_field: dict[str | None, int]
    """Tickets per value of ``fields[field]``; None counts the tickets without that field."""
    csat: dict[str, int]
    """good, bad, neutral (a rating in the middle of the scale) and none (no rating)."""


@cache
def _upsert(dialect: str) -> Executable:
    """The dialect's INSERT ... ON CONFLICT (tenant, source, external id) DO UPDATE, built once."""
    table = cast(Table, T.__table__)
    updated = [name for name in (*_COLUMNS, "imported_at", "import_id") if name not in _KEY]
    if dialect == "sqlite":
        lite = sqlite.insert(table)
        return lite.on_conflict_do_update(index_elements=_KEY, set_={n: lite.excluded[n] for n in updated})
    if dialect == "postgresql":
        pg = postgresql.insert(table)
        return pg.on_conflict_do_update(index_elements=_KEY, set_={n: pg.excluded[n] for n in updated})
    raise ConfigError(
        f"ticket history is stored with SQLite or PostgreSQL; the database is {dialect}. "
        "Set REPLYKIT_DATABASE_URL to a sqlite:/// or postgresql:// URL."
    )


def _existing(session: Session, tenant_id: str, keys: Sequence[tuple[str, str]]) -> int:
    """How many of ``keys`` (source, external id) are stored already."""
    by_source: dict[str, list[str]] = {}
    for source, external_id in keys:
        by_source.setdefault(source, []).append(external_id)
    found = 0
    for source, ids in by_source.items():
        found += (
            session.scalar(
                select(func.count())
                .select_from(T)
                .where(T.tenant_id == tenant_id, T.source == source, T.external_id.in_(ids))
            )
            or 0
        )
    return found


def upsert_tickets(
    session: Session, tenant_id: str, rows: Sequence[TicketRecord], *, import_id: int
) -> UpsertCounts:
    """Insert new tickets and update stored ones (same tenant, source and external id) in one
    statement; the caller's transaction commits them. Keep batches to a few hundred rows."""
    latest = {(row.source, row.external_id): row for row in rows}  # one statement may not hit a row twice
    if not latest:
        return UpsertCounts(0, 0)
    inserted = len(latest) - _existing(session, tenant_id, list(latest))
    now = datetime.now(UTC)
    common = {"tenant_id": tenant_id, "imported_at": now, "import_id": import_id}
    values = [{name: getattr(row, name) for name in _COLUMNS} | common for row in latest.values()]
    session.execute(_upsert(session.get_bind().dialect.name), values)
    return UpsertCounts(inserted, len(rows) - inserted)


def iter_tickets(
    session: Session, tenant_id: str, *, batch: int = 1000, since: datetime | None = None
) -> Iterator[HistoryTicketRow]:
    """Every ticket of the tenant in id order (created at or after ``since``), ``batch`` rows per
    query. Rows already handed out are not kept, so memory stays at one batch."""
    if since is not None and since.tzinfo is None:
        raise InputError(f"since must be an aware datetime (UTC), found naive {since.isoformat()}")
    last = 0
    while True:
        query = select(T).where(T.tenant_id == tenant_id, T.id > last)
        if since is not None:
            query = query.where(T.created_at >= since)
        rows = session.scalars(query.order_by(T.id).limit(batch)).all()
        yield from rows
        if len(rows) < batch:
            return
        last = rows[-1].id


def count_tickets(session: Session, tenant_id: str, *, source: str | None = None) -> int:
    query = select(func.count()).select_from(T).where(T.tenant_id == tenant_id)
    if source is not None:
        query = query.where(T.source == source)
    return session.scalar(query) or 0


def _counts(session: Session, tenant_id: str, column: Any) -> dict[Any, int]:
    # Grouped by position: the same JSON path written twice would be two bind parameters, which
    # PostgreSQL does not accept as one GROUP BY expression.
    rows = session.execute(
        select(column, func.count())
        .where(T.tenant_id == tenant_id)
        .group_by(literal_column("1"))
        .order_by(func.count().desc(), literal_column("1"))
    )
    return {value: int(n) for value, n in rows}


def history_stats(session: Session, tenant_id: str, *, field: str = "intent") -> HistoryStats:
    """Counts for the admin and for choosing what to train on; one grouped query per figure."""
    csat = {"good": 0, "bad": 0, "neutral": 0, "none": 0}
    rows = session.execute(
        select(T.csat_label, T.csat_score.is_(None), func.count())
        .where(T.tenant_id == tenant_id)
        .group_by(T.csat_label, T.csat_score.is_(None))
    )
    for label, unrated, n in rows:
        csat["none" if unrated else label or "neutral"] += int(n)
    return HistoryStats(
        total=count_tickets(session, tenant_id),
        by_source=_counts(session, tenant_id, T.source),
        by_language=_counts(session, tenant_id, T.language),
        field=field,
        by_field=_counts(session, tenant_id, T.fields[field].as_string()),
        csat=csat,
    )


def start_import(
    session: Session, tenant_id: str, *, file_name: str, source: str, sha256: str
) -> HistoryImport:
    """A ``running`` import record; only the file's name is kept, never its folder."""
    record = HistoryImport(
        tenant_id=tenant_id,
        file_name=PurePath(file_name).name,
        source=source,
        sha256=sha256,
        status="running",
        counts={},
        redaction={},
        problems=[],
    )
    session.add(record)
    session.flush()
    return record


def get_import(session: Session, tenant_id: str, import_id: int) -> HistoryImport:
    hint = f"`replykit history imports --tenant {tenant_id}` lists them"
    return owned(session, HistoryImport, tenant_id, import_id, hint=hint)


def update_import(
    session: Session,
    tenant_id: str,
    import_id: int,
    *,
    counts: Mapping[str, int],
    redaction: Mapping[str, int],
    problems: Sequence[Mapping[str, str]],
    status: str = "running",
    error: str | None = None,
) -> HistoryImport:
    """Record how far an import got; a status other than ``running`` finishes it."""
    if status not in STATUSES:
        raise InputError(f"import status must be one of {', '.join(STATUSES)}, got {status!r}")
    record = get_import(session, tenant_id, import_id)
    record.counts = dict(counts)
    record.redaction = dict(redaction)
    record.problems = [dict(p) for p in problems]
    record.status = status
    record.error = error
    if status != "running":
        record.finished_at = datetime.now(UTC)
    return record


def list_imports(session: Session, tenant_id: str, *, limit: int = 50) -> list[HistoryImport]:
    """The tenant's latest imports, newest first."""
    query = (
        select(HistoryImport)
        .where(HistoryImport.tenant_id == tenant_id)
        .order_by(HistoryImport.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))
