"""Freshdesk tickets with their conversations.

Accepted: tickets as ``GET /api/v2/tickets/{id}?include=conversations,requester`` returns them,
as JSON Lines, a JSON array or ``{"tickets": [...]}``. The ticket's ``description`` is its first
message; ``conversations`` are the replies and notes after it. Freshdesk keeps satisfaction ratings
apart (``/api/v2/surveys/satisfaction_ratings``); a ticket that carries them as
``satisfaction_rating`` or ``satisfaction_ratings`` gets a CSAT, the others none.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from training.history.draft import Draft
from training.history.jsonstream import records
from training.history.types import Author, Csat, ImportProblem, Item, Progress
from training.history.values import (
    as_dict,
    csat_from_score,
    describe,
    field_text,
    language_code,
    named_fields,
    person,
    tags,
    text_or_none,
)

TICKET_SOURCES = {1: "email", 2: "portal", 3: "phone", 7: "chat", 9: "feedback_widget", 10: "outbound_email"}
OUTBOUND_EMAIL = 10
"""A ticket an agent started: its description is the agent's, not the customer's."""
STATUSES = {2: "open", 3: "pending", 4: "resolved", 5: "closed"}
PRIORITIES = {1: "low", 2: "medium", 3: "high", 4: "urgent"}
NOTE, SURVEY_FEEDBACK, FORWARD = 2, 6, 8
"""Conversation ``source`` values: notes and forwards never count as replies; survey feedback is
the rating form's text, not part of the conversation."""
RATINGS = {-103: 0.0, -102: 1 / 6, -101: 2 / 6, 100: 0.5, 101: 4 / 6, 102: 5 / 6, 103: 1.0}
"""Freshdesk's survey answers (-103 extremely unhappy … 103 extremely happy) on 0..1."""


def _code(mapping: Mapping[int, str], value: Any) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and int(value) in mapping:
        return mapping[int(value)]
    return field_text(value)


def _csat(draft: Draft, raw: dict[str, Any]) -> Csat | None:
    rating = raw.get("satisfaction_rating")
    listed = raw.get("satisfaction_ratings")
    if isinstance(listed, list) and listed:
        rating = listed[-1]  # the latest answer counts
    if not isinstance(rating, dict):
        return None
    answers = rating.get("ratings")
    value = answers.get("default_question") if isinstance(answers, dict) else None
    if isinstance(value, int | float) and not isinstance(value, bool) and int(value) in RATINGS:
        return csat_from_score(RATINGS[int(value)], text_or_none(rating.get("feedback")))
    number = isinstance(value, int | float) and not isinstance(value, bool)
    draft.note(
        f"satisfaction rating: expected one of Freshdesk's answers ({', '.join(map(str, sorted(RATINGS)))}), "
        f"found {'another number' if number else describe(value)}; kept without a rating"
    )
    return None


def _conversation(draft: Draft, n: int, conv: Any) -> tuple[str | None, str | None]:
    """Adds one reply or note; returns the customer's (name, e-mail) when the customer wrote it."""
    if not isinstance(conv, dict):
        draft.note(f"conversations[{n}]: expected an object, found {type(conv).__name__}; skipped")
        return None, None
    source = conv.get("source")
    incoming = conv.get("incoming") is True
    author = Author.SYSTEM if source == SURVEY_FEEDBACK else Author.CUSTOMER if incoming else Author.AGENT
    name, email = person(conv.get("from_email"))
    user = conv.get("user")  # an exporter may embed the agent or contact
    if isinstance(user, dict):
        name, email = text_or_none(user.get("name")) or name, text_or_none(user.get("email")) or email
    html = text_or_none(conv.get("body")) is not None
    draft.add(
        author,
        conv.get("body") if html else conv.get("body_text"),
        html=html or None,
        created_at=draft.time(conv.get("created_at"), f"conversations[{n}].created_at"),
        author_name=name,
        public=conv.get("private") is not True and source not in (NOTE, FORWARD),
    )
    return (name, email) if author is Author.CUSTOMER else (None, None)


def _ticket(location: str, raw: dict[str, Any], field_names: Mapping[str, str] | None) -> Iterator[Item]:
    draft = Draft("freshdesk", location)
    if not draft.identify(raw.get("id"), "id"):
        yield from draft.problems_only()
        return
    requester = as_dict(raw.get("requester"))
    names = [requester.get("name"), raw.get("name")]
    emails = [requester.get("email"), raw.get("email")]
    created_at = draft.time(raw.get("created_at"), "created_at")
    html = text_or_none(raw.get("description")) is not None
    draft.add(
        Author.AGENT if raw.get("source") == OUTBOUND_EMAIL else Author.CUSTOMER,
        raw.get("description") if html else raw.get("description_text"),
        html=html or None,
        created_at=created_at,
    )
    conversations = raw.get("conversations") or []
    if not isinstance(conversations, list):
        draft.note(f"conversations: expected a list, found {type(conversations).__name__}; ignored")
        conversations = []
    for n, conv in enumerate(conversations):
        name, email = _conversation(draft, n, conv)
        names.append(name)
        emails.append(email)
    custom = as_dict(raw.get("custom_fields"))
    builtin = {
        "type": field_text(raw.get("type")),
        "priority": _code(PRIORITIES, raw.get("priority")),
        "channel": _code(TICKET_SOURCES, raw.get("source")),
    }
    yield from draft.finish(
        subject=text_or_none(raw.get("subject")),
        created_at=created_at,
        customer_names=names,
        customer_emails=emails,
        tags=tags(raw.get("tags")),
        fields={k: v for k, v in builtin.items() if v} | named_fields(custom, field_names),
        csat=_csat(draft, raw),
        language=language_code(requester.get("language")),
        status=_code(STATUSES, raw.get("status")),
    )


def read_freshdesk(
    path: Path, *, field_names: Mapping[str, str] | None = None, progress: Progress | None = None
) -> Iterator[Item]:
    """Tickets from a Freshdesk export. ``field_names`` maps ``custom_fields`` keys to names
    (``{"cf_reason": "intent"}``) and keeps only those; without it all are kept under their keys."""
    for item in records(path, kind="ticket", progress=progress):
        if isinstance(item, ImportProblem):
            yield item
        else:
            yield from _ticket(*item, field_names)
