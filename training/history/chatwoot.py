"""Chatwoot conversations with their messages.

Accepted: conversations as ``GET /api/v1/accounts/{a}/conversations/{id}`` returns them, each with
the full ``messages`` list of ``.../conversations/{id}/messages`` (the list endpoint carries only the
last message), as JSON Lines, a JSON array, ``{"payload": [...]}`` or ``{"data": {"payload":
[...]}}``. ``message_type`` decides the author: 0 incoming (customer), 1 outgoing (agent; system
when an agent bot sent it), 2 activity and 3 template (system). ``private`` messages are notes.
The CSAT survey answer (a 1-5 ``rating``) is read from the conversation's ``csat_survey_response``
or from the survey message's ``content_attributes``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from training.history.draft import Draft
from training.history.jsonstream import records
from training.history.types import Author, Csat, ImportProblem, Item, Progress
from training.history.values import as_dict as _dict
from training.history.values import csat_on_scale, describe, field_text, named_fields, tags, text_or_none

MESSAGE_TYPES = {
    0: Author.CUSTOMER,
    1: Author.AGENT,
    2: Author.SYSTEM,
    3: Author.SYSTEM,
    "incoming": Author.CUSTOMER,
    "outgoing": Author.AGENT,
    "activity": Author.SYSTEM,
    "template": Author.SYSTEM,
}
BOT_SENDERS = {"agentbot", "agent_bot"}
STATUSES = {0: "open", 1: "resolved", 2: "pending", 3: "snoozed"}


def _survey(message: dict[str, Any]) -> dict[str, Any]:
    submitted = _dict(_dict(message.get("content_attributes")).get("submitted_values"))
    return _dict(submitted.get("csat_survey_response"))


def _rating(draft: Draft, response: dict[str, Any]) -> Csat | None:
    rating = response.get("rating")
    if rating is None:
        return None
    try:
        return csat_on_scale(rating, 1, 5, text_or_none(response.get("feedback_message")))
    except ValueError as err:
        draft.note(f"csat_survey_response.rating: {err}; kept without a rating")
        return None


def _message(draft: Draft, n: int, message: Any) -> dict[str, Any]:
    """Adds one message; returns its CSAT survey answer (empty when it is no survey)."""
    if not isinstance(message, dict):
        draft.note(f"messages[{n}]: expected an object, found {type(message).__name__}; skipped")
        return {}
    kind = message.get("message_type")
    author = MESSAGE_TYPES.get(kind) if isinstance(kind, int | str) and not isinstance(kind, bool) else None
    if author is None:
        draft.note(
            f"messages[{n}]: expected message_type 0-3 (incoming, outgoing, activity, template), found "
            f"{describe(kind, low=0, high=3)}; the message was skipped"
        )
        return {}
    sender = _dict(message.get("sender"))
    sender_type = str(message.get("sender_type") or sender.get("type") or "").lower()
    survey = message.get("content_type") == "input_csat"
    if survey or (author is Author.AGENT and sender_type in BOT_SENDERS):
        author = Author.SYSTEM
    draft.add(
        author,
        message.get("content"),
        created_at=draft.time(message.get("created_at"), f"messages[{n}].created_at"),
        author_name=text_or_none(sender.get("available_name")) or text_or_none(sender.get("name")),
        public=message.get("private") is not True,
    )
    return _survey(message) if survey else {}


def _conversation(
    location: str, raw: dict[str, Any], field_names: Mapping[str, str] | None
) -> Iterator[Item]:
    draft = Draft("chatwoot", location)
    key = "display_id" if field_text(raw.get("display_id")) else "id"
    if not draft.identify(raw.get(key), "display_id/id"):
        yield from draft.problems_only()
        return
    meta = _dict(raw.get("meta"))
    contacts = [_dict(meta.get("sender")), _dict(raw.get("contact"))]
    messages = raw.get("messages")
    if not isinstance(messages, list):
        draft.note(f"messages: expected the conversation's messages, found {type(messages).__name__}")
        messages = []
    survey = _dict(raw.get("csat_survey_response"))
    for n, message in enumerate(messages):
        survey = _message(draft, n, message) or survey
    attributes = _dict(raw.get("additional_attributes"))
    status = raw.get("status")
    builtin = {"priority": field_text(raw.get("priority")), "channel": field_text(meta.get("channel"))}
    yield from draft.finish(
        subject=text_or_none(attributes.get("mail_subject")),
        created_at=draft.time(raw.get("created_at"), "created_at"),
        customer_names=[c.get("name") for c in contacts],
        customer_emails=[c.get("email") for c in contacts],
        tags=tags(raw.get("labels")),
        fields={k: v for k, v in builtin.items() if v}
        | named_fields(_dict(raw.get("custom_attributes")), field_names),
        csat=_rating(draft, survey),
        status=STATUSES.get(status) if isinstance(status, int) else text_or_none(status),
    )


def read_chatwoot(
    path: Path, *, field_names: Mapping[str, str] | None = None, progress: Progress | None = None
) -> Iterator[Item]:
    """Conversations from a Chatwoot export; the id is the ``display_id`` agents see (else ``id``).
    ``field_names`` maps ``custom_attributes`` keys to names and keeps only those."""
    for item in records(path, kind="conversation", progress=progress):
        if isinstance(item, ImportProblem):
            yield item
        else:
            yield from _conversation(*item, field_names)
