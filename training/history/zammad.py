"""Zammad tickets with their articles.

Accepted: tickets as ``GET /api/v1/tickets/{id}?expand=true`` returns them, each with an
``articles`` list as ``GET /api/v1/ticket_articles/by_ticket/{id}?expand=true`` returns it, as JSON
Lines, a JSON array or ``{"tickets": [...]}``. An article's author is its ``sender`` (``Customer``,
``Agent``, ``System``; or ``sender_id`` 2, 1, 3 when not expanded); ``internal`` articles and
``note`` articles never count as replies. Zammad has no satisfaction rating, so CSAT is None.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from training.history.draft import Draft
from training.history.jsonstream import records
from training.history.types import Author, ImportProblem, Item, Progress
from training.history.values import describe, field_text, named_fields, person, tags, text_or_none

SENDERS = {"customer": Author.CUSTOMER, "agent": Author.AGENT, "system": Author.SYSTEM}
SENDER_IDS = {1: Author.AGENT, 2: Author.CUSTOMER, 3: Author.SYSTEM}
"""Zammad's seeded ``Ticket::Article::Sender`` ids."""
STATES = {1: "new", 2: "open", 3: "pending reminder", 4: "closed", 5: "merged", 7: "pending close"}


def _sender(article: dict[str, Any]) -> Author | None:
    sender = article.get("sender")
    if isinstance(sender, str):
        return SENDERS.get(sender.strip().lower())
    sender_id = article.get("sender_id")
    if isinstance(sender_id, int | float) and not isinstance(sender_id, bool):
        return SENDER_IDS.get(int(sender_id))
    return None


def _article(draft: Draft, n: int, article: Any) -> tuple[str | None, str | None]:
    """Adds one article; returns the customer's (name, e-mail) when the customer wrote it."""
    if not isinstance(article, dict):
        draft.note(f"articles[{n}]: expected an object, found {type(article).__name__}; skipped")
        return None, None
    author = _sender(article)
    if author is None:
        found = article.get("sender", article.get("sender_id"))
        draft.note(
            f"articles[{n}]: expected the sender Customer, Agent or System (sender_id 2, 1, 3), found "
            f"{describe(found, low=1, high=3)}; the article was skipped"
        )
        return None, None
    content_type = text_or_none(article.get("content_type"))
    name, email = person(article.get("from"))
    draft.add(
        author,
        article.get("body"),
        html=None if content_type is None else content_type.lower() == "text/html",
        created_at=draft.time(article.get("created_at"), f"articles[{n}].created_at"),
        author_name=name,
        public=article.get("internal") is not True and text_or_none(article.get("type")) != "note",
    )
    return (name, email) if author is Author.CUSTOMER else (None, None)


def _customer(raw: dict[str, Any]) -> tuple[str | None, str | None]:
    customer = raw.get("customer")
    if isinstance(customer, dict):
        full = " ".join(p for p in (text_or_none(customer.get(k)) for k in ("firstname", "lastname")) if p)
        return full or None, text_or_none(customer.get("email"))
    text = text_or_none(customer)  # expanded: the customer's login, usually the e-mail address
    return None, (text if text and "@" in text else None)


def _ticket(location: str, raw: dict[str, Any], field_names: Mapping[str, str] | None) -> Iterator[Item]:
    draft = Draft("zammad", location)
    if not draft.identify(raw.get("id"), "id"):
        yield from draft.problems_only()
        return
    name, email = _customer(raw)
    names, emails = [name], [email]
    articles = raw.get("articles")
    if not isinstance(articles, list):
        draft.note(f"articles: expected a list of the ticket's articles, found {type(articles).__name__}")
        articles = []
    for n, article in enumerate(articles):
        name, email = _article(draft, n, article)
        names.append(name)
        emails.append(email)
    builtin = {k: field_text(raw.get(k)) for k in ("number", "group", "priority")}
    extra = named_fields(raw, field_names) if field_names else {}
    state = raw.get("state")
    state_id = raw.get("state_id")
    if state is None and isinstance(state_id, int) and not isinstance(state_id, bool):
        state = STATES.get(state_id)
    yield from draft.finish(
        subject=text_or_none(raw.get("title")),
        created_at=draft.time(raw.get("created_at"), "created_at"),
        customer_names=names,
        customer_emails=emails,
        tags=tags(raw.get("tags")),
        fields={k: v for k, v in builtin.items() if v} | extra,
        language=None,
        status=text_or_none(state),
    )


def read_zammad(
    path: Path, *, field_names: Mapping[str, str] | None = None, progress: Progress | None = None
) -> Iterator[Item]:
    """Tickets from a Zammad export. Zammad's custom attributes sit beside the standard ones, so
    ``field_names`` (attribute → name, e.g. ``{"category": "intent"}``) says which to keep."""
    for item in records(path, kind="ticket", progress=progress):
        if isinstance(item, ImportProblem):
            yield item
        else:
            yield from _ticket(*item, field_names)
