"""Served suggestions and what agents did with them: the ranker's memory.

Every suggestion shown is logged with the ticket's intent, so feedback needs only the suggestion's
id: a client cannot claim acceptance for a reply it was never shown, or for another tenant's.
Feedback events carry the client's ``event_id``; delivering one twice records it once.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from rapidfuzz.distance import Levenshtein
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kb.db.schema import Feedback, ServedSuggestion
from suggest.errors import ConflictError, InputError, NotFoundError

Action = Literal["sent", "edited", "rejected"]
ACTIONS: tuple[Action, ...] = ("sent", "edited", "rejected")


@dataclass(frozen=True)
class Served:
    """One suggestion as shown; ``group`` is the canned external id or the article canonical id."""

    kind: str
    group: str
    intent: str | None
    rank: int
    score: float
    text: str | None


@dataclass(frozen=True)
class FeedbackEvent:
    event_id: str
    suggestion_id: str
    action: Action
    final_text: str | None = None
    """The reply as sent; required when ``action`` is "edited"."""


@dataclass(frozen=True)
class Acceptance:
    """How agents treated one reply for one intent."""

    sent: int = 0
    edited: int = 0
    rejected: int = 0

    @property
    def shown_with_feedback(self) -> int:
        return self.sent + self.edited + self.rejected

    @property
    def prior(self) -> float:
        """Smoothed acceptance, (sent + edited + 1) / (all + 2): 0.5 with no feedback yet, so a new
        reply is neither favoured nor buried, and a few events move it only a little."""
        return (self.sent + self.edited + 1) / (self.shown_with_feedback + 2)


def new_suggestion_id() -> str:
    return f"sg_{secrets.token_urlsafe(18)}"


def log_served(session: Session, tenant_id: str, request_id: str, served: Sequence[Served]) -> list[str]:
    """Record the suggestions of one request; returns their new ids, in order."""
    ids = [new_suggestion_id() for _ in served]
    session.add_all(
        ServedSuggestion(
            id=sid,
            tenant_id=tenant_id,
            request_id=request_id,
            kind=item.kind,
            group=item.group,
            intent=item.intent,
            rank=item.rank,
            score=item.score,
            text=item.text,
        )
        for sid, item in zip(ids, served, strict=True)
    )
    return ids


def record_feedback(session: Session, tenant_id: str, event: FeedbackEvent) -> tuple[Feedback, bool]:
    """Store one event; returns it and whether it is new. The same event again is a no-op, the
    same ``event_id`` with a different content is a ConflictError."""
    if event.action not in ACTIONS:
        raise InputError(f"action must be one of {', '.join(ACTIONS)}; got {event.action!r}")
    if event.action == "edited" and not (event.final_text or "").strip():
        raise InputError("an 'edited' event needs final_text, the reply as it was sent")
    existing = _event(session, tenant_id, event.event_id)
    if existing is not None:
        return _same(existing, event), False
    served = session.get(ServedSuggestion, event.suggestion_id)
    if served is None or served.tenant_id != tenant_id:
        raise NotFoundError(f"no suggestion with id {event.suggestion_id!r}")
    feedback = Feedback(
        tenant_id=tenant_id,
        event_id=event.event_id,
        suggestion_id=served.id,
        action=event.action,
        final_text=event.final_text,
        edit_distance=_edit_distance(served.text, event),
    )
    try:
        with session.begin_nested():  # the same event delivered twice at once: one insert wins
            session.add(feedback)
    except IntegrityError:
        winner = _event(session, tenant_id, event.event_id)
        if winner is None:
            raise
        return _same(winner, event), False
    return feedback, True


def _event(session: Session, tenant_id: str, event_id: str) -> Feedback | None:
    return session.scalar(
        select(Feedback).where(Feedback.tenant_id == tenant_id, Feedback.event_id == event_id)
    )


def _same(existing: Feedback, event: FeedbackEvent) -> Feedback:
    """``existing`` when it records ``event``; a ConflictError when the id was used for another event."""
    if (existing.suggestion_id, existing.action, existing.final_text) != (
        event.suggestion_id,
        event.action,
        event.final_text,
    ):
        raise ConflictError(
            f"feedback event {event.event_id!r} was already recorded with other content; "
            "use a new event_id for a new event"
        )
    return existing


def _edit_distance(suggested: str | None, event: FeedbackEvent) -> float | None:
    if event.action == "rejected" or suggested is None:
        return None
    if event.final_text is None:  # "sent" without a text: sent as suggested
        return 0.0
    return round(float(Levenshtein.normalized_distance(suggested, event.final_text)), 4)


def acceptance(session: Session, tenant_id: str, intent: str | None) -> dict[str, Acceptance]:
    """Per reply (``kind:group``), the feedback counts for tickets of ``intent``."""
    return acceptance_for(session, tenant_id, [intent]).get(intent, {})


def acceptance_for(
    session: Session, tenant_id: str, intents: Iterable[str | None]
) -> dict[str | None, dict[str, Acceptance]]:
    """``acceptance`` for several intents in one query (a batch has many). Only the latest event per
    served suggestion counts, so an agent who edits and then rejects counts once."""
    wanted = set(intents)
    named = [i for i in wanted if i is not None]
    which = [ServedSuggestion.intent.in_(named)] if named else []
    if None in wanted:
        which.append(ServedSuggestion.intent.is_(None))
    if not which:
        return {}
    latest = (
        select(Feedback.suggestion_id, func.max(Feedback.id).label("last"))
        .where(Feedback.tenant_id == tenant_id)
        .group_by(Feedback.suggestion_id)
        .subquery()
    )
    rows = session.execute(
        select(
            ServedSuggestion.intent,
            ServedSuggestion.kind,
            ServedSuggestion.group,
            Feedback.action,
            func.count(),
        )
        .join(latest, latest.c.suggestion_id == ServedSuggestion.id)
        .join(Feedback, Feedback.id == latest.c.last)
        .where(ServedSuggestion.tenant_id == tenant_id, or_(*which))
        .group_by(ServedSuggestion.intent, ServedSuggestion.kind, ServedSuggestion.group, Feedback.action)
    )
    counts: dict[str | None, dict[str, dict[str, int]]] = {}
    for intent, kind, group, action, n in rows:
        counts.setdefault(intent, {}).setdefault(f"{kind}:{group}", {})[action] = int(n)
    return {
        intent: {key: Acceptance(**by_action) for key, by_action in replies.items()}
        for intent, replies in counts.items()
    }
