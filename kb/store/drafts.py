"""Mined reply drafts, per tenant: saving a mining run's clusters, listing, accepting and rejecting.

A draft is matched to the one stored before it by fingerprint, and a cluster knows the fingerprints
of all its replies, not only of its representative: when more history moves the medoid to another
reply of the same cluster, mining again still updates the old draft (or leaves a rejected one
rejected) instead of offering it a second time. Accepting goes through ``save_canned``, the path
every canned response takes, so a draft is published only by an explicit accept and only valid.

Two requests at once must not both act: a review changes the draft with a conditional UPDATE on its
status (no row changed: a ConflictError), and mining that finds a draft stored by another run since
it read the stored ones merges again with what is there now.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from pydantic import ValidationError
from sqlalchemy import ColumnElement, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kb.db.schema import CannedResponse, ReplyDraft
from kb.records import CannedIn
from kb.store.canned import save_canned
from kb.store.common import owned, page_of
from kb.templates import template_problems, used_variables
from kb.vocabulary import SLUG, VARIABLES, Category
from suggest.errors import ConflictError, InputError, InvalidContentError

DraftStatus = Literal["pending", "accepted", "rejected"]
STATUSES: tuple[DraftStatus, ...] = ("pending", "accepted", "rejected")
SaveOutcome = Literal["created", "updated", "kept_rejected", "merged"]
_SPACE = re.compile(r"\s+")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def normalise_body(body: str) -> str:
    """What two templates must share to count as the same reply: NFC, case-folded, one space."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", body)).strip().casefold()


def draft_fingerprint(intent: str | None, language: str, body: str) -> str:
    key = "\x1f".join((intent or "", language, normalise_body(body)))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class MinedDraft:
    """One cluster of a mining run, as the store saves it."""

    intent: str | None
    language: str
    title: str
    body: str
    variables: tuple[str, ...]
    markers: tuple[str, ...]
    usage_count: int
    coverage: float
    examples: tuple[str, ...]
    members: frozenset[str] = frozenset()
    """Fingerprints of every distinct reply in the cluster (the body's own is added)."""

    @property
    def fingerprint(self) -> str:
        return draft_fingerprint(self.intent, self.language, self.body)


@dataclass(frozen=True)
class DraftEdit:
    """What an admin may change when accepting; None keeps the draft's value."""

    title: str | None = None
    body: str | None = None
    category: Category = Category.ANSWER
    intents: Sequence[str] | None = None
    """None: the draft's intent (when it is a slug); ``[]``: no intent."""
    language: str | None = None
    external_id: str | None = None


def _same_group(intent: str | None, language: str) -> list[ColumnElement[bool]]:
    return [
        ReplyDraft.intent.is_(None) if intent is None else ReplyDraft.intent == intent,
        ReplyDraft.language == language,
    ]


def save_mined(
    session: Session, tenant_id: str, intent: str | None, language: str, drafts: Sequence[MinedDraft]
) -> list[SaveOutcome]:
    """Store one (intent, language) group's clusters, largest first. A cluster that contains a stored
    draft's reply updates its counts (a rejected one is left alone: it is never offered again);
    otherwise it becomes a new pending draft.

    Another mining run of the tenant may store one of the same drafts after this one read the stored
    drafts: the insert then breaks the unique fingerprint, and the merge is done once more against
    what is stored now (a third run at the same moment is a ConflictError)."""
    for attempt in range(2):
        stored = _stored(session, tenant_id, intent, language)
        try:
            with session.begin_nested():  # the reads stay outside: see _stored
                return _merge(session, tenant_id, intent, language, drafts, stored=stored)
        except IntegrityError:
            if attempt:
                break
    raise ConflictError(
        f"other mining runs of tenant {tenant_id!r} saved the same drafts while this one did; this "
        "intent and language's drafts were not saved (earlier ones were). Run mining once more: it "
        "updates the stored drafts."
    )


def _stored(session: Session, tenant_id: str, intent: str | None, language: str) -> dict[str, ReplyDraft]:
    """The group's stored drafts by fingerprint, as stored now. Read before the savepoint: in SQLite a
    read inside it would pin a snapshot that a concurrent run's commit makes too old to write from."""
    rows = session.scalars(
        select(ReplyDraft)
        .where(ReplyDraft.tenant_id == tenant_id, *_same_group(intent, language))
        .execution_options(populate_existing=True)
    )
    return {row.fingerprint: row for row in rows}


def _merge(
    session: Session,
    tenant_id: str,
    intent: str | None,
    language: str,
    drafts: Sequence[MinedDraft],
    *,
    stored: dict[str, ReplyDraft],
) -> list[SaveOutcome]:
    claimed: set[int] = set()
    outcomes: list[SaveOutcome] = []
    now = datetime.now(UTC)
    for draft in sorted(drafts, key=lambda d: -d.usage_count):
        own = draft.fingerprint
        candidates = [own, *sorted(draft.members - {own})]
        row = next((stored[fp] for fp in candidates if fp in stored and stored[fp].id not in claimed), None)
        if row is None and own in stored:  # its reply already went to a larger cluster of this run
            outcomes.append("merged")
            continue
        if row is None:
            row = ReplyDraft(
                tenant_id=tenant_id,
                intent=intent,
                language=language,
                title=draft.title,
                body=draft.body,
                variables=list(draft.variables),
                markers=list(draft.markers),
                fingerprint=own,
                status="pending",
                usage_count=draft.usage_count,
                coverage=draft.coverage,
                examples=list(draft.examples),
            )
            session.add(row)
            session.flush()
            stored[own] = row
            outcomes.append("created")
        elif row.status == "rejected":
            outcomes.append("kept_rejected")
        else:
            row.usage_count, row.coverage = draft.usage_count, draft.coverage
            row.examples, row.updated_at = list(draft.examples), now
            outcomes.append("updated")
        claimed.add(row.id)
    session.flush()
    return outcomes


def get_draft(session: Session, tenant_id: str, draft_id: int) -> ReplyDraft:
    """The draft as stored now (reviews change it with conditional UPDATEs), tenant-checked."""
    return owned(session, ReplyDraft, tenant_id, draft_id, hint="list them with GET /v1/drafts", fresh=True)


def list_drafts(
    session: Session,
    tenant_id: str,
    *,
    status: DraftStatus | None = None,
    intent: str | None = None,
    unlabelled: bool = False,
    language: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[ReplyDraft], int]:
    """A page of drafts, most used first, and the total. ``unlabelled`` lists the drafts without intent."""
    if status is not None and status not in STATUSES:
        raise InputError(f"draft status must be one of {', '.join(STATUSES)}, got {status!r}")
    where = [ReplyDraft.tenant_id == tenant_id]
    if status:
        where.append(ReplyDraft.status == status)
    if unlabelled:
        where.append(ReplyDraft.intent.is_(None))
    elif intent:
        where.append(ReplyDraft.intent == intent)
    if language:
        where.append(ReplyDraft.language == language)
    order = [ReplyDraft.usage_count.desc(), ReplyDraft.id]
    return page_of(session, ReplyDraft, where, order=order, offset=offset, limit=limit)


def _intents(draft: ReplyDraft, given: Sequence[str] | None) -> list[str]:
    if given is not None:
        return list(given)
    if draft.intent is None:
        return []
    if SLUG.match(draft.intent):
        return [draft.intent]
    raise InputError(
        f"the draft's intent {draft.intent!r} is not a slug (a-z, 0-9, _), so it cannot be a canned "
        f"response's intent; pass intents explicitly (e.g. ['{_slug(draft.intent)}']), or [] for none"
    )


def _slug(text: str) -> str:
    slug = _NOT_SLUG.sub("_", text.casefold()).strip("_")[:60]
    return slug if SLUG.match(slug) else "reply"


def _check_markers(draft: ReplyDraft, title: str, body: str) -> None:
    left = [m for m in draft.markers if m in body or m in title]
    if left:
        raise InputError(
            f"draft {draft.id} still contains {', '.join(left)}: markers stand for values from single "
            "tickets (dates, redacted e-mail addresses, ...) that no variable can fill. Edit the title "
            "and body to replace or remove them, then accept again."
        )


def _variables(body: str) -> list[str]:
    """The variables the body reads; it must parse first, so the admin gets Jinja's own message."""
    problems = template_problems(body, VARIABLES.keys())
    if problems:
        raise InvalidContentError("the edited body", [("body", p) for p in problems])
    return sorted(used_variables(body))


def _accepted(draft: ReplyDraft, instead: str) -> ConflictError:
    return ConflictError(
        f"draft {draft.id} was accepted already as canned response {draft.canned_id!r}; {instead}"
    )


def _review(session: Session, tenant_id: str, draft_id: int, reviewer: str, **values: object) -> bool:
    """Change a draft that is not accepted (pending or rejected) in one conditional UPDATE, so that
    of two reviews at once only one acts; False when the draft is accepted by now."""
    result = session.execute(
        update(ReplyDraft)
        .where(
            ReplyDraft.id == draft_id,
            ReplyDraft.tenant_id == tenant_id,
            ReplyDraft.status.in_(("pending", "rejected")),
        )
        .values(reviewed_at=datetime.now(UTC), reviewed_by=reviewer[:200], **values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def accept_draft(
    session: Session, tenant_id: str, draft_id: int, edit: DraftEdit, *, reviewer: str
) -> CannedResponse:
    """Publish the draft as an active canned response (validated like any save), or refuse while
    markers remain. The caller refreshes the index, as after any canned-response save."""
    draft = get_draft(session, tenant_id, draft_id)
    if draft.status == "accepted":
        raise _accepted(draft, "edit that response instead")
    title = edit.title if edit.title is not None else draft.title
    body = edit.body if edit.body is not None else draft.body
    _check_markers(draft, title, body)
    language = edit.language or draft.language
    external_id = edit.external_id or f"mined-{_slug(draft.intent or 'reply')}-{language}-{draft.id}"
    try:
        record = CannedIn.model_validate(
            {
                "external_id": external_id,
                "title": title,
                "category": edit.category,
                "intents": _intents(draft, edit.intents),
                "variables": _variables(body),
                "state": "active",
                "variants": [{"language": language, "title": title, "body": body}],
            }
        )
    except ValidationError as err:
        problems = [(".".join(map(str, e["loc"])) or "draft", str(e["msg"])) for e in err.errors()]
        raise InvalidContentError(f"draft {draft_id} as a canned response", problems) from None
    # Marked accepted first, so a concurrent accept loses at once (409). Safe because the caller's
    # session is one transaction (Store.session uses sessionmaker.begin): the conflict below rolls
    # the mark back with everything else.
    if not _review(session, tenant_id, draft_id, reviewer, status="accepted", canned_id=record.external_id):
        raise _accepted(get_draft(session, tenant_id, draft_id), "edit that response instead")
    exists = session.scalar(
        select(CannedResponse.id).where(
            CannedResponse.tenant_id == tenant_id, CannedResponse.external_id == record.external_id
        )
    )
    if exists is not None:
        raise ConflictError(
            f"a canned response with external id {record.external_id!r} exists already (id {exists}); "
            "pass another external_id to accept this draft as a new response"
        )
    response, _ = save_canned(session, tenant_id, record, source="mined")
    session.refresh(draft)  # the session's copy, as the UPDATE left it
    return response


def reject_draft(session: Session, tenant_id: str, draft_id: int, *, reviewer: str) -> ReplyDraft:
    """Mark a draft rejected; later mining runs do not offer its replies again. An accepted draft is
    a ConflictError: its canned response is what to archive."""
    archive = "archive that response (state 'archived') instead of rejecting the draft"
    draft = get_draft(session, tenant_id, draft_id)
    if draft.status == "accepted":
        raise _accepted(draft, archive)
    if not _review(session, tenant_id, draft_id, reviewer, status="rejected"):
        raise _accepted(get_draft(session, tenant_id, draft_id), archive)
    session.refresh(draft)
    return draft
