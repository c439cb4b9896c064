"""One ticket while a reader fills it in: its location, its messages and what was wrong with it.

Small faults (an unreadable time, an unknown rating) are reported and the ticket is kept without
that value: losing a whole thread for one bad timestamp would waste good history. A ticket without
an id or without a customer message cannot be used and is reported instead of yielded.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from training.history.types import Author, Csat, HistoryTicket, ImportProblem, Item, Message
from training.history.values import field_text, message_text, timestamp

NO_CUSTOMER_MESSAGE = (
    "no public customer message; the first customer message is the ticket text, so the ticket was "
    "skipped (check that the export includes the comments/messages and their authors)"
)


class Draft:
    def __init__(self, source: str, location: str) -> None:
        self.source = source
        self.location = location
        self.external_id: str | None = None
        self.messages: list[Message] = []
        self.problems: list[str] = []

    def identify(self, value: Any, key: str) -> bool:
        """Take the ticket id; False (and a problem) when it is missing."""
        self.external_id = field_text(value)
        if self.external_id is None:
            self.problems.append(
                f"no ticket id ('{key}' is missing or empty); every ticket needs one so that importing "
                "the file again updates it instead of adding a copy. The ticket was skipped"
            )
            return False
        self.location = f"{self.location} (id {self.external_id})"
        return True

    def note(self, message: str) -> None:
        self.problems.append(message)

    def time(self, value: Any, what: str, *, fix: str = "") -> datetime | None:
        """The time, or None and a problem naming ``what``; ``fix`` is what to check, when known."""
        try:
            return timestamp(value)
        except ValueError as err:
            self.note(f"{what}: {err}; kept without this time{'; ' + fix if fix else ''}")
            return None

    def add(
        self,
        author: Author,
        body: Any,
        *,
        created_at: datetime | None,
        html: bool | None = None,
        author_name: str | None = None,
        public: bool = True,
    ) -> None:
        """Append a message; empty ones (attachments only, blank notes) are left out silently."""
        text = message_text(body, html=html)
        if text:
            name = author_name if author is Author.AGENT else None
            self.messages.append(Message(author, text, created_at, name, public))

    def problems_only(self) -> Iterator[ImportProblem]:
        for message in self.problems:
            yield ImportProblem(self.location, message)

    def finish(
        self,
        *,
        subject: str | None,
        created_at: datetime | None,
        customer_names: Any = (),
        customer_emails: Any = (),
        tags: tuple[str, ...] = (),
        fields: Mapping[str, str] | None = None,
        csat: Csat | None = None,
        language: str | None = None,
        status: str | None = None,
    ) -> Iterator[Item]:
        """The problems found, then the ticket (or the reason it was skipped)."""
        yield from self.problems_only()
        if self.external_id is None:
            return
        messages = self.messages
        if all(m.created_at is not None for m in messages):
            messages = sorted(messages, key=lambda m: m.created_at or datetime.min)
        if not any(m.author is Author.CUSTOMER and m.public for m in messages):
            yield ImportProblem(self.location, NO_CUSTOMER_MESSAGE)
            return
        yield HistoryTicket(
            source=self.source,
            external_id=self.external_id,
            subject=subject,
            messages=tuple(messages),
            customer_names=_distinct(customer_names),
            customer_emails=_distinct(customer_emails),
            tags=tags,
            fields=dict(fields or {}),
            csat=csat,
            created_at=created_at or next((m.created_at for m in messages if m.created_at), None),
            language=language,
            status=status,
        )


def _distinct(values: Any) -> tuple[str, ...]:
    cleaned = (field_text(v) for v in values)
    return tuple(dict.fromkeys(v for v in cleaned if v))
