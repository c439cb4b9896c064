"""What a helpdesk export becomes: tickets with their threads, or located problems.

Every reader yields ``HistoryTicket | ImportProblem`` one at a time, so storage, redaction and the
CLI never need a whole export in memory. Problems reuse the knowledge-base importers' ``RowProblem``
(``location``, ``message``), so one report format serves every import command.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal

from kb.importers.common import RowProblem

ImportProblem = RowProblem
"""A record (or part of one) that was not imported as given: where it is and why."""

Progress = Callable[[int, int], None]
"""Called now and then with ``(bytes read, file size in bytes)``; drives a progress bar."""


class Author(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    SYSTEM = "system"
    """Bots, automations, triggers, activity lines and notes written by integrations."""


@dataclass(frozen=True)
class Message:
    author: Author
    text: str
    """Plain text; HTML was converted and quoted earlier messages (blockquotes) left out."""
    created_at: datetime | None
    """Timezone-aware UTC, or None when the export has no (readable) time for it."""
    author_name: str | None = None
    """The agent's display name (agent messages only): redaction uses it to find signatures."""
    public: bool = True
    """False for internal notes: they are kept but never count as a reply."""


@dataclass(frozen=True)
class Csat:
    """A customer satisfaction rating normalised to 0..1, whatever scale the helpdesk used."""

    score: float | None
    label: Literal["good", "bad"] | None
    comment: str | None = None


@dataclass(frozen=True)
class HistoryTicket:
    source: str
    """"zendesk", "freshdesk", "zammad", "chatwoot", "csv" or "jsonl"."""
    external_id: str
    subject: str | None
    messages: tuple[Message, ...]
    """In time order (source order when some message has no time)."""
    customer_names: tuple[str, ...] = ()
    """From the ticket's customer fields; redaction uses them, storage never keeps them."""
    customer_emails: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    fields: Mapping[str, str] = field(default_factory=dict)
    csat: Csat | None = None
    created_at: datetime | None = None
    language: str | None = None
    status: str | None = None

    @property
    def ticket_text(self) -> str | None:
        """The first public customer message: what the customer asked."""
        return next(
            (m.text for m in self.messages if m.author is Author.CUSTOMER and m.public),
            None,
        )

    def agent_replies(self) -> list[Message]:
        return [m for m in self.messages if m.author is Author.AGENT and m.public]


Item = HistoryTicket | ImportProblem
Reader = Callable[..., Iterator[Item]]
"""``read_<source>(path, **options)``: a generator of tickets and problems."""
