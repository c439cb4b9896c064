"""Zendesk tickets with their comments.

Accepted (docs/history-import.md has the fields):
- Zendesk's full JSON export: one ticket per line, its ``comments`` inline (the file is JSON Lines
  even when it is named ``.json``);
- a JSON array of such tickets;
- API pages (``GET /api/v2/incremental/tickets/cursor.json?include=users``) saved as
  ``{"tickets": [...], "users": [...], "comments": [...]}``: comments inline in each ticket or in a
  top-level ``comments`` array with ``ticket_id``; ``users`` (optional) tell end-users from agents.

Side-loaded ``users`` and top-level ``comments`` are read in a first pass and held in memory (a page
holds at most 1,000 tickets); inline comments stream, so the full export may be any size.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ijson

from suggest.errors import InputError
from training.history.draft import Draft
from training.history.jsonstream import records, side_items, sniff
from training.history.types import Author, Csat, ImportProblem, Item, Progress
from training.history.values import (
    csat_from_label,
    csat_on_scale,
    describe,
    field_text,
    language_code,
    named_fields,
    tags,
    text_or_none,
)

SYSTEM_CHANNELS = {"rule", "system"}
"""``via.channel`` of comments written by triggers and automations."""
SYSTEM_USER = "-1"
"""Zendesk's own author id on system comments."""
AGENT_ROLES = {"agent", "admin"}
UNRATED = {"offered", "unoffered"}


@dataclass(frozen=True)
class _User:
    role: str | None
    name: str | None
    email: str | None
    locale: str | None


def _user(raw: Any) -> _User | None:
    if not isinstance(raw, dict):
        return None
    return _User(
        text_or_none(raw.get("role")),
        text_or_none(raw.get("name")),
        text_or_none(raw.get("email")),
        text_or_none(raw.get("locale")),
    )


def _side_loads(path: Path) -> tuple[dict[str, _User], dict[str, list[Any]], list[ImportProblem]]:
    users: dict[str, _User] = {}
    comments: dict[str, list[Any]] = {}
    problems: list[ImportProblem] = []
    try:
        for raw in side_items(path, "users.item"):
            user, user_id = _user(raw), field_text(raw.get("id")) if isinstance(raw, dict) else None
            if user and user_id:
                users[user_id] = user
        for n, raw in enumerate(side_items(path, "comments.item")):
            ticket_id = field_text(raw.get("ticket_id")) if isinstance(raw, dict) else None
            if ticket_id is None:
                problems.append(
                    ImportProblem(
                        f"{path.name}:comments[{n}]",
                        "a comment without 'ticket_id' cannot be matched to its ticket; it was skipped",
                    )
                )
            else:
                comments.setdefault(ticket_id, []).append(raw)
    except ijson.JSONError:
        pass  # the ticket pass reports where the file breaks
    return users, comments, problems


def _via(raw: dict[str, Any]) -> dict[str, Any]:
    via = raw.get("via")
    return via if isinstance(via, dict) else {}


def _author(comment: dict[str, Any], requester_id: str | None, users: Mapping[str, _User]) -> Author:
    author_id = field_text(comment.get("author_id"))
    if author_id == SYSTEM_USER or _via(comment).get("channel") in SYSTEM_CHANNELS:
        return Author.SYSTEM
    embedded = _user(comment.get("author"))
    known = embedded if embedded and embedded.role else users.get(author_id or "")
    if known and known.role == "end-user":
        return Author.CUSTOMER
    if known and known.role in AGENT_ROLES:
        return Author.AGENT
    if author_id is not None and author_id == requester_id:
        return Author.CUSTOMER
    return Author.AGENT


def _comment(
    draft: Draft, n: int, comment: Any, requester_id: str | None, users: Mapping[str, _User]
) -> tuple[str | None, str | None]:
    """Adds the comment; returns the customer's (name, e-mail) when a customer wrote it."""
    if not isinstance(comment, dict):
        draft.note(f"comments[{n}]: expected a comment object, found {type(comment).__name__}; skipped")
        return None, None
    author = _author(comment, requester_id, users)
    known = _user(comment.get("author")) or users.get(field_text(comment.get("author_id")) or "")
    body, html = text_or_none(comment.get("body")) or text_or_none(comment.get("plain_body")), None
    if body is None:
        body, html = comment.get("html_body"), True
    draft.add(
        author,
        body,
        html=html,
        created_at=draft.time(comment.get("created_at"), f"comments[{n}].created_at"),
        author_name=known.name if known else None,
        public=comment.get("public") is not False,
    )
    if author is Author.CUSTOMER and known:
        return known.name, known.email
    return None, None


def _csat(draft: Draft, rating: Any) -> Csat | None:
    if not isinstance(rating, dict):
        return None
    score = rating.get("score")
    comment = text_or_none(rating.get("comment"))
    if score is None or (isinstance(score, str) and score.strip().lower() in UNRATED):
        return None
    if isinstance(score, str) and (labelled := csat_from_label(score, comment)):
        return labelled
    try:
        return csat_on_scale(score, 1, 5, comment)
    except ValueError:
        number = isinstance(score, int | float) and not isinstance(score, bool)
        draft.note(
            "satisfaction_rating.score: expected good, bad, offered, unoffered or a whole number from 1 "
            f"to 5, found {describe(score, low=1, high=5) if number else describe(score)}; "
            "kept without a rating"
        )
        return None


def _custom_fields(raw: dict[str, Any], names: Mapping[str, str] | None) -> dict[str, str]:
    listed = raw.get("custom_fields") if isinstance(raw.get("custom_fields"), list) else raw.get("fields")
    pairs = ((field_text(f.get("id")), f.get("value")) for f in listed or [] if isinstance(f, dict))
    by_id = {key: value for key, value in pairs if key}
    fields = {
        name: value
        for name, value in (
            ("type", field_text(raw.get("type"))),
            ("priority", field_text(raw.get("priority"))),
            ("channel", field_text(_via(raw).get("channel"))),
        )
        if value
    }
    return fields | named_fields(by_id, names)


def _ticket(
    location: str,
    raw: dict[str, Any],
    users: Mapping[str, _User],
    side_comments: list[Any] | None,
    field_names: Mapping[str, str] | None,
) -> Iterator[Item]:
    draft = Draft("zendesk", location)
    if not draft.identify(raw.get("id"), "id"):
        yield from draft.problems_only()
        return
    requester_id = field_text(raw.get("requester_id"))
    requester = _user(raw.get("requester")) or users.get(requester_id or "")
    names = [requester.name if requester else None]
    emails = [requester.email if requester else None]
    source = _via(raw).get("source")
    sender = source.get("from") if isinstance(source, dict) else None
    if isinstance(sender, dict):
        names.append(sender.get("name"))
        emails.append(sender.get("address"))
    created_at = draft.time(raw.get("created_at"), "created_at")
    comments = raw.get("comments", side_comments)
    if isinstance(comments, list) and comments:
        for n, comment in enumerate(comments):
            name, email = _comment(draft, n, comment, requester_id, users)
            names.append(name)
            emails.append(email)
    else:
        if comments is not None and not isinstance(comments, list):
            draft.note(f"comments: expected a list, found {type(comments).__name__}; used the description")
        draft.add(Author.CUSTOMER, raw.get("description"), created_at=created_at)
    yield from draft.finish(
        subject=text_or_none(raw.get("subject")) or text_or_none(raw.get("raw_subject")),
        created_at=created_at,
        customer_names=names,
        customer_emails=emails,
        tags=tags(raw.get("tags")),
        fields=_custom_fields(raw, field_names),
        csat=_csat(draft, raw.get("satisfaction_rating")),
        language=language_code(requester.locale) if requester else None,
        status=text_or_none(raw.get("status")),
    )


def read_zendesk(
    path: Path, *, field_names: Mapping[str, str] | None = None, progress: Progress | None = None
) -> Iterator[Item]:
    """Tickets from a Zendesk export. ``field_names`` maps custom field ids to names (``{"360001":
    "intent"}``) and keeps only those; without it every custom field is kept under its id."""
    try:
        page = sniff(path).container == "tickets"
    except InputError:
        page = False  # records() reports it
    users: dict[str, _User] = {}
    comments: dict[str, list[Any]] = {}
    if page:
        users, comments, problems = _side_loads(path)
        yield from problems
    for item in records(path, kind="ticket", progress=progress):
        if isinstance(item, ImportProblem):
            yield item
            continue
        location, raw = item
        side = comments.pop(field_text(raw.get("id")) or "", None)
        yield from _ticket(location, raw, users, side, field_names)
