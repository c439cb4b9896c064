"""Choose a reader by source name, or tell the source from the file itself.

Sniffing reads the first record only and looks for keys each helpdesk's export always has; a file
that matches none (or several equally) is refused with what was found, so nothing is imported
under a wrong reading.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from suggest.errors import InputError
from training.history.chatwoot import read_chatwoot
from training.history.freshdesk import read_freshdesk
from training.history.jsonstream import first_record, sniff
from training.history.tabular import ColumnMap, read_csv, read_jsonl
from training.history.types import Item, Progress, Reader
from training.history.zammad import read_zammad
from training.history.zendesk import read_zendesk

READERS: dict[str, Reader] = {
    "zendesk": read_zendesk,
    "freshdesk": read_freshdesk,
    "zammad": read_zammad,
    "chatwoot": read_chatwoot,
    "csv": read_csv,
    "jsonl": read_jsonl,
}
SOURCES = tuple(READERS)
TABULAR = ("csv", "jsonl")

_TICKET_MARKERS: dict[str, frozenset[str]] = {
    "zendesk": frozenset({"requester_id", "submitter_id", "raw_subject", "satisfaction_rating", "via"}),
    "freshdesk": frozenset(
        {"conversations", "description_text", "responder_id", "fr_due_by", "fr_escalated"}
    ),
    "zammad": frozenset({"articles", "state_id", "group_id", "customer_id", "article_count", "owner_id"}),
    "chatwoot": frozenset({"display_id", "inbox_id", "contact_inbox", "agent_last_seen_at", "can_reply"}),
}
_MESSAGE_MARKERS: dict[str, tuple[str, frozenset[str]]] = {
    "zendesk": ("comments", frozenset({"author_id", "html_body", "plain_body", "public"})),
    "freshdesk": ("conversations", frozenset({"incoming", "private", "body_text", "from_email"})),
    "zammad": ("articles", frozenset({"sender", "sender_id", "internal", "content_type"})),
    "chatwoot": ("messages", frozenset({"message_type", "content_attributes", "sender_type"})),
}


def _score(source: str, record: dict[str, Any]) -> int:
    score = len(_TICKET_MARKERS[source] & record.keys())
    key, markers = _MESSAGE_MARKERS[source]
    listed = record.get(key)
    if isinstance(listed, list) and listed and isinstance(listed[0], dict):
        score += 2 * len(markers & listed[0].keys())
    return score


def detect_source(path: Path) -> str:
    """``zendesk``, ``freshdesk``, ``zammad``, ``chatwoot``, ``csv`` or ``jsonl`` (JSON Lines with
    none of the helpdesks' keys: a table the admin maps with columns). Raises InputError otherwise."""
    if not path.is_file():
        raise InputError(f"{path} does not exist or is not a file; expected a helpdesk export.")
    if path.suffix.lower() == ".csv":
        return "csv"
    layout = sniff(path)
    record = first_record(path)
    if record is None:
        raise InputError(f"{path.name} holds no ticket objects; expected a helpdesk export of tickets.")
    scores = {source: _score(source, record) for source in _TICKET_MARKERS}
    best = max(scores.values())
    winners = [s for s, v in scores.items() if v == best]
    if best >= 2 and len(winners) == 1:
        return winners[0]
    if best < 2 and layout.form == "lines":
        return "jsonl"
    keys = ", ".join(sorted(record)[:20])
    raise InputError(
        f"cannot tell which helpdesk {path.name} comes from: its first record has the keys {keys}. "
        f"Name the source with --source ({', '.join(SOURCES)}); see docs/history-import.md for "
        "the shapes each one accepts."
    )


def reader_for(source: str) -> Reader:
    try:
        return READERS[source.strip().lower()]
    except KeyError:
        raise InputError(f"unknown source {source!r}; expected one of {', '.join(SOURCES)}.") from None


def read_history(
    path: Path,
    source: str | None = None,
    *,
    columns: ColumnMap | None = None,
    field_names: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> Iterator[Item]:
    """Tickets and problems from one export file; the source is sniffed when not given.
    Raises InputError (before reading) when the file or the options cannot work."""
    if not path.is_file():
        raise InputError(f"{path} does not exist or is not a file; expected a helpdesk export.")
    name = (source or detect_source(path)).strip().lower()
    reader = reader_for(name)
    if name in TABULAR:
        if columns is None:
            raise InputError(
                f"{path.name} is a {name.upper()} table: name its columns, at least the message column "
                "(--text-col) or the thread column (--thread-col)."
            )
        return reader(path, columns=columns, progress=progress)
    if columns is not None:
        raise InputError(
            f"column names apply to csv and jsonl tables, not to {name} exports; leave them out."
        )
    return reader(path, field_names=field_names, progress=progress)
