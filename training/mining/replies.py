"""The replies mining learns from: each ticket's first public agent reply, read one language at a time.

Why the first reply: it is the one that answers what the customer asked (the ticket's text, which
the intent label describes). Later replies answer follow-up questions, and the label no longer
says what they are about; internal notes are never replies. A ticket the agents never answered
publicly gives nothing.

Why one language at a time: ``history_tickets`` has an index on (tenant, language) and none on a
label inside the JSON fields, so one keyset pass per language reads every ticket exactly once in
total, while the miner holds only that language's groups.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.db.schema import HistoryTicketRow
from training.data import parse_label

T = HistoryTicketRow
MAX_LABEL = 200
"""``reply_drafts.intent`` holds 200 characters; a longer label is cut."""


@dataclass(frozen=True)
class FirstReply:
    label: str | None
    """``fields[label_field]``; None when missing, empty or out of scope (``none``, ``oos``, ...)."""
    external_id: str
    subject: str | None
    text: str


def first_reply(thread: Sequence[Mapping[str, Any]]) -> str | None:
    """The first public agent message after the first public customer message, or None."""
    asked = False
    for message in thread:
        if not message.get("public"):
            continue
        if message.get("author") == "customer":
            asked = True
        elif asked and message.get("agent") and str(message.get("text") or "").strip():
            return str(message["text"])
    return None


def label_of(fields: Mapping[str, Any], label_field: str) -> str | None:
    label = parse_label(fields.get(label_field))
    return None if label is None else label[:MAX_LABEL]


def languages(session: Session, tenant_id: str) -> list[str]:
    """The languages the tenant's history has, from the (tenant, language) index."""
    query = select(T.language).where(T.tenant_id == tenant_id).distinct().order_by(T.language)
    return list(session.scalars(query))


def iter_first_replies(
    session: Session, tenant_id: str, language: str, label_field: str, *, batch: int = 500
) -> Iterator[tuple[int, FirstReply | None]]:
    """``(tickets read so far, the ticket's first reply or None)`` for each ticket in ``language``,
    keyset-paged by id: memory stays at one batch of rows."""
    last, read = 0, 0
    columns = (T.id, T.external_id, T.subject, T.fields, T.thread)
    while True:
        rows = session.execute(
            select(*columns)
            .where(T.tenant_id == tenant_id, T.language == language, T.id > last)
            .order_by(T.id)
            .limit(batch)
        ).all()
        for row_id, external_id, subject, fields, thread in rows:
            read += 1
            text = first_reply(thread)
            reply = (
                None
                if text is None
                else FirstReply(label_of(fields, label_field), external_id, subject, text)
            )
            yield read, reply
            last = row_id
        if len(rows) < batch:
            return
