"""Storing an export: every text redacted, the language told, written in batches that each commit.

``import_history`` consumes the readers' stream and holds one batch at a time, so memory stays flat
for any export; a crash loses at most the batch in flight, and importing the file again fixes it
(tickets are keyed by source and external id). The customer's names and e-mail addresses and the
agents' names serve redaction and are then dropped. The CSAT comment is not stored: free text that
nothing trains on is only a privacy risk.

``labelled_examples`` reads the stored tickets back as training examples for the heads, and
``sentiment_examples`` / ``escalation_examples`` read the sentiment, emotions and escalated fields
(mining reads its replies with ``training.mining.replies``).
"""

from __future__ import annotations

import logging
import re
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from kb.db.engine import session_factory
from kb.store.history import TicketRecord, iter_tickets, start_import, update_import, upsert_tickets
from kb.store.tenants import get_tenant
from suggest.analysis.emotion import SENTIMENTS
from suggest.analysis.types import EMOTIONS
from suggest.language import UNDETERMINED, detect_language
from training.data import Example, parse_label
from training.history.types import Author, HistoryTicket, ImportProblem
from training.history.values import language_code
from training.redact import PLACEHOLDERS, RedactionReport, RedactionRules, Redactor
from training.tenant_config import load_tenant_yaml, tenant_file

log = logging.getLogger(__name__)
MAX_PROBLEMS_KEPT = 200
MAX_EXTERNAL_ID = 200
_ISO_639 = re.compile(r"[a-z]{2,3}")
_PLACEHOLDER = re.compile(r"\[[A-Z][A-Z0-9_]*\]")

Sessions = Engine | sessionmaker[Session]


@dataclass
class ImportSummary:
    import_id: int
    status: str = "running"
    read: int = 0
    """Tickets read from the file (problems that skipped a whole record are not tickets)."""
    inserted: int = 0
    updated: int = 0
    problem_count: int = 0
    problems: list[ImportProblem] = field(default_factory=list)
    """The first ``MAX_PROBLEMS_KEPT`` problems."""
    redaction: dict[str, int] = field(default_factory=dict)

    @property
    def imported(self) -> int:
        return self.inserted + self.updated

    def counts(self, inserted: int = 0, updated: int = 0) -> dict[str, int]:
        return {
            "read": self.read,
            "inserted": self.inserted + inserted,
            "updated": self.updated + updated,
            "problems": self.problem_count,
        }


REDACTION_FILE = "redaction.yaml"


def redaction_file(data_dir: Path, tenant: str) -> Path:
    return tenant_file(data_dir, tenant, REDACTION_FILE)


def load_redaction_rules(data_dir: Path, tenant: str) -> RedactionRules:
    """The tenant's ``redaction.yaml`` (docs/redaction.md), or the default rules when it has none."""
    rules = load_tenant_yaml(data_dir, tenant, REDACTION_FILE, RedactionRules, what="redaction rules")
    return RedactionRules() if rules is None else rules


class _TicketRedactor:
    """Redacts every text of one ticket with its own names, adding the counts to the import's report."""

    def __init__(self, redactor: Redactor, report: RedactionReport, ticket: HistoryTicket) -> None:
        self._redactor = redactor
        self._report = report
        self._names = ticket.customer_names
        self._agents = tuple(
            dict.fromkeys(
                m.author_name for m in ticket.messages if m.author is Author.AGENT and m.author_name
            )
        )
        self._emails = [e for e in ticket.customer_emails if "@" in e]

    def __call__(self, text: str) -> str:
        known: Counter[str] = Counter()
        for email in self._emails:  # first: the pattern may miss an address (``kim@intranet``)
            text, n = re.subn(re.escape(email), PLACEHOLDERS["email"], text, flags=re.IGNORECASE)
            known["email"] += n
        result = self._redactor.redact(text, names=self._names, agent_names=self._agents)
        self._report.add(result.counts + known)
        return result.text


def _language(ticket: HistoryTicket, redacted: str) -> str:
    """The export's language when it is an ISO 639 code, else detected from the redacted text without
    its placeholders: names are no evidence of a language, and the placeholders are English words."""
    given = language_code(ticket.language)
    if given and _ISO_639.fullmatch(given):
        return given
    return detect_language(_PLACEHOLDER.sub(" ", redacted)).code


def to_record(ticket: HistoryTicket, redactor: Redactor, report: RedactionReport) -> TicketRecord:
    """The ticket as stored: redacted texts, no names, no addresses."""
    clean = _TicketRedactor(redactor, report, ticket)
    thread: list[dict[str, Any]] = []
    text: str | None = None
    for message in ticket.messages:
        redacted = clean(message.text)
        if text is None and message.author is Author.CUSTOMER and message.public:
            text = redacted
        thread.append(
            {
                "author": message.author.value,
                "agent": message.author is Author.AGENT,
                "public": message.public,
                "created_at": message.created_at.isoformat() if message.created_at else None,
                "text": redacted,
            }
        )
    if text is None:  # the readers yield no such ticket; refuse rather than store an empty one
        raise ValueError(f"ticket {ticket.external_id} has no public customer message")
    csat = ticket.csat
    return TicketRecord(
        source=ticket.source,
        external_id=ticket.external_id,
        subject=clean(ticket.subject) if ticket.subject else None,
        text=text,
        language=_language(ticket, text),
        thread=thread,
        tags=[clean(tag) for tag in ticket.tags],
        fields={name: clean(value) for name, value in ticket.fields.items()},
        csat_score=csat.score if csat else None,
        csat_label=csat.label if csat else None,
        status=ticket.status[:64] if ticket.status else None,
        created_at=ticket.created_at,
    )


class _Import:
    """One import's running state; every write goes through ``flush`` in its own transaction."""

    def __init__(self, sessions: sessionmaker[Session], tenant: str, import_id: int) -> None:
        self.sessions = sessions
        self.tenant = tenant
        self.summary = ImportSummary(import_id)
        self.report = RedactionReport()
        self.batch: list[TicketRecord] = []

    def problem(self, problem: ImportProblem) -> None:
        self.summary.problem_count += 1
        if len(self.summary.problems) < MAX_PROBLEMS_KEPT:
            self.summary.problems.append(problem)

    def save(self, status: str = "running", error: str | None = None) -> None:
        with self.sessions.begin() as session:
            self._record(session, self.summary.counts(), status, error)

    def flush(self) -> None:
        with self.sessions.begin() as session:
            written = upsert_tickets(session, self.tenant, self.batch, import_id=self.summary.import_id)
            self._record(session, self.summary.counts(written.inserted, written.updated))
        self.summary.inserted += written.inserted
        self.summary.updated += written.updated
        self.batch.clear()

    def _record(
        self, session: Session, counts: dict[str, int], status: str = "running", error: str | None = None
    ) -> None:
        self.summary.redaction = self.report.as_dict()
        problems = [{"location": p.location, "message": p.message} for p in self.summary.problems]
        update_import(
            session,
            self.tenant,
            self.summary.import_id,
            counts=counts,
            redaction=self.summary.redaction,
            problems=problems,
            status=status,
            error=error,
        )


def import_history(
    target: Sessions,
    tenant: str,
    items: Iterable[HistoryTicket | ImportProblem],
    redactor: Redactor,
    *,
    file_name: str,
    sha256: str,
    source: str,
    progress: Callable[[ImportSummary], None] | None = None,
    batch_size: int = 500,
) -> ImportSummary:
    """Redact and store every ticket of ``items``; problems are counted and the first ones kept.
    The import record ends ``done``, or ``failed`` with the error's class name before it is re-raised."""
    sessions = session_factory(target) if isinstance(target, Engine) else target
    with sessions.begin() as session:
        get_tenant(session, tenant)
        import_id = start_import(session, tenant, file_name=file_name, source=source, sha256=sha256).id
    run = _Import(sessions, tenant, import_id)
    try:
        for item in items:
            if isinstance(item, ImportProblem):
                run.problem(item)
                continue
            run.summary.read += 1
            if len(item.external_id) > MAX_EXTERNAL_ID:
                run.problem(
                    ImportProblem(
                        f"{PurePath(file_name).name} (id {item.external_id[:40]}…)",
                        f"the ticket id has {len(item.external_id)} characters, at most {MAX_EXTERNAL_ID} "
                        "are stored; ticket skipped",
                    )
                )
                continue
            run.batch.append(to_record(item, redactor, run.report))
            if len(run.batch) >= batch_size:
                run.flush()
                if progress:
                    progress(run.summary)
        if run.batch:
            run.flush()
        run.summary.status = "done"
        run.save("done")
    except BaseException as err:
        run.summary.status = "failed"
        try:
            run.save("failed", type(err).__name__)
        except Exception as save_err:  # the database itself may be what failed; keep the first error
            log.warning("could not mark history import %s failed (%s)", import_id, type(save_err).__name__)
        raise
    if progress:
        progress(run.summary)
    return run.summary


def labelled_examples(session: Session, tenant: str, label_field: str = "intent") -> list[Example]:
    """The tenant's stored tickets as training examples: the redacted ticket text and
    ``fields[label_field]``. An empty or out-of-scope label (``none``, ``oos``, ...) gives an
    out-of-scope example (label None); tickets without the field are left out."""
    return [
        Example(
            row.text,
            parse_label(row.fields[label_field]),
            None if row.language == UNDETERMINED else row.language,
        )
        for row in iter_tickets(session, tenant)
        if label_field in row.fields
    ]


def unlabelled_texts(session: Session, tenant: str, label_field: str, limit: int) -> list[str]:
    """The (redacted) texts of the tenant's latest ``limit`` stored tickets without the label
    field, for self-training (training/self_training.py)."""
    latest: deque[str] = deque(maxlen=limit)
    latest.extend(row.text for row in iter_tickets(session, tenant) if label_field not in row.fields)
    return list(latest)


@dataclass(frozen=True)
class HeadExample(Example):
    """A stored ticket labelled for the sentiment/emotion or escalation heads. ``label`` is the
    sentiment (None: not labelled) or ``escalated`` / ``not_escalated``."""

    emotions: frozenset[str] | None = None
    """None: the ticket says nothing about emotions; empty: labelled with none."""


@dataclass
class HeadLabels:
    examples: list[HeadExample]
    skipped: int = 0
    """Tickets whose label could not be read (an unknown value): left out, never guessed."""


ESCALATED = "escalated"
NOT_ESCALATED = "not_escalated"
_TRUE, _FALSE = frozenset({"true", "yes", "1", "y"}), frozenset({"false", "no", "0", "n"})
_LIST_SEPARATOR = re.compile(r"[,;]")


def _emotion_set(value: object) -> frozenset[str] | None:
    """An emotions cell as a set of known names; None when any name is unknown."""
    names = {part.strip().casefold() for part in _LIST_SEPARATOR.split(str(value))} - {""}
    return frozenset(names) if names <= set(EMOTIONS) else None


def _language_of(language: str) -> str | None:
    return None if language == UNDETERMINED else language


def sentiment_examples(
    session: Session, tenant: str, sentiment_field: str = "sentiment", emotions_field: str = "emotions"
) -> HeadLabels:
    """Tickets labelled with a sentiment and/or emotions. A ticket with an unknown sentiment or an
    unknown emotion name loses that label (counted in ``skipped``); one left with neither is out."""
    out = HeadLabels([])
    for row in iter_tickets(session, tenant):
        if sentiment_field not in row.fields and emotions_field not in row.fields:
            continue
        sentiment: str | None = None
        emotions: frozenset[str] | None = None
        bad = False
        if sentiment_field in row.fields:
            value = str(row.fields[sentiment_field]).strip().casefold()
            sentiment = value if value in SENTIMENTS else None
            bad = sentiment is None
        if emotions_field in row.fields:
            emotions = _emotion_set(row.fields[emotions_field])
            bad = bad or emotions is None
        out.skipped += bad
        if sentiment is not None or emotions is not None:
            out.examples.append(HeadExample(row.text, sentiment, _language_of(row.language), emotions))
    return out


def escalation_examples(session: Session, tenant: str, escalation_field: str = "escalated") -> HeadLabels:
    """Tickets labelled escalated or not (true/false, yes/no, 1/0, y/n in any case)."""
    out = HeadLabels([])
    for row in iter_tickets(session, tenant):
        if escalation_field not in row.fields:
            continue
        value = str(row.fields[escalation_field]).strip().casefold()
        label = ESCALATED if value in _TRUE else NOT_ESCALATED if value in _FALSE else None
        if label is None:
            out.skipped += 1
            continue
        out.examples.append(HeadExample(row.text, label, _language_of(row.language)))
    return out
