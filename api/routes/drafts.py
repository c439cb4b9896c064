"""Canned-reply drafts mined from the history (admin scope): mine, review, accept or reject.

Mining runs inside the request for now (a few minutes for a large history; it could become a
background job like training). Accepting saves a canned response the way ``/v1/kb/canned`` does and
refreshes the index after the response; nothing is published without that explicit accept.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Admin, actor
from api.deps import LibraryDep, StoreDep
from api.routes.kb_common import Limit, Offset, Page, Refresh
from kb.db.schema import ReplyDraft
from kb.records import Identifier, Language, Slug, Title
from kb.store.drafts import DraftEdit, DraftStatus, accept_draft, get_draft, list_drafts, reject_draft
from kb.vocabulary import Category
from training.mining import DEFAULT_THRESHOLD, MiningOptions, load_mining_rules, marker_notes, mine_drafts

router = APIRouter(prefix="/v1/drafts", tags=["drafts"])


class MineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label_field: str = Field(
        "intent", min_length=1, max_length=64, description="The field holding the intent."
    )
    min_uses: int = Field(3, ge=1, le=100_000, description="Clusters used fewer times are not offered.")
    threshold: float = Field(
        DEFAULT_THRESHOLD, gt=0.0, le=1.0, description="Cosine similarity at which replies count as one."
    )


class MineOut(BaseModel):
    tickets: int
    replies: int = Field(description="Tickets with a first public agent reply.")
    too_long: int
    forgotten: int
    groups: int = Field(description="(intent, language) groups with replies.")
    clusters: int
    created: int
    updated: int
    kept_rejected: int = Field(description="Clusters of rejected drafts: not offered again.")
    merged: int


class DraftOut(BaseModel):
    id: int
    intent: str | None
    language: str
    title: str
    body: str
    variables: list[str]
    markers: list[str]
    notes: list[str] = Field(description="What to resolve before accepting.")
    usage_count: int
    coverage: float
    examples: list[str] = Field(description="External ids of tickets that got this reply.")
    status: DraftStatus
    canned_id: str | None
    created_at: datetime
    updated_at: datetime
    reviewed_at: datetime | None
    reviewed_by: str | None


class AcceptIn(BaseModel):
    """Everything optional: the draft's own title and body, category ``answer``, its intent."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    body: str | None = Field(default=None, min_length=1, max_length=10_000)
    category: Category = Category.ANSWER
    intents: list[Slug] | None = Field(default=None, max_length=50)
    language: Language | None = None
    external_id: Identifier | None = None


class AcceptOut(BaseModel):
    draft: DraftOut
    canned_response_id: int


def _out(row: ReplyDraft) -> DraftOut:
    return DraftOut(
        id=row.id,
        intent=row.intent,
        language=row.language,
        title=row.title,
        body=row.body,
        variables=row.variables,
        markers=row.markers,
        notes=marker_notes(row.markers, row.body),
        usage_count=row.usage_count,
        coverage=row.coverage,
        examples=row.examples,
        status=row.status,  # type: ignore[arg-type]  # the column holds only these three
        canned_id=row.canned_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        reviewed_at=row.reviewed_at,
        reviewed_by=row.reviewed_by,
    )


@router.post("/mine")
def mine(body: MineIn, request: Request, who: Admin, library: LibraryDep) -> MineOut:
    """Mine the tenant's imported history into pending drafts; run again to update the counts."""
    rules = load_mining_rules(request.app.state.settings.data_dir, who.tenant_id)
    options = MiningOptions(
        label_field=body.label_field, min_uses=body.min_uses, threshold=body.threshold, rules=rules
    )
    summary = mine_drafts(library.store, who.tenant_id, library.embedder, options)
    return MineOut.model_validate(asdict(summary))


@router.get("")
def list_(
    *,
    who: Admin,
    store: StoreDep,
    offset: Offset = 0,
    limit: Limit = 50,
    status: DraftStatus | None = None,
    intent: Annotated[str | None, Query(max_length=200)] = None,
    unlabelled: Annotated[bool, Query(description="Only drafts of tickets without an intent.")] = False,
    language: Annotated[str | None, Query(max_length=16)] = None,
) -> Page[DraftOut]:
    """Most used first."""
    with store.session() as session:
        rows, total = list_drafts(
            session,
            who.tenant_id,
            status=status,
            intent=intent,
            unlabelled=unlabelled,
            language=language,
            offset=offset,
            limit=limit,
        )
        return Page(items=[_out(r) for r in rows], total=total, offset=offset, limit=limit)


@router.get("/{draft_id}")
def read(draft_id: int, who: Admin, store: StoreDep) -> DraftOut:
    with store.session() as session:
        return _out(get_draft(session, who.tenant_id, draft_id))


@router.post("/{draft_id}/accept")
def accept(
    draft_id: int, who: Admin, store: StoreDep, refresh: Refresh, body: AcceptIn | None = None
) -> AcceptOut:
    """Publish the draft as an active canned response; 422 while markers such as [DATE] remain."""
    edit = DraftEdit(**(body or AcceptIn()).model_dump())
    with store.session() as session:
        response = accept_draft(session, who.tenant_id, draft_id, edit, reviewer=actor(who))
        out = AcceptOut(
            draft=_out(get_draft(session, who.tenant_id, draft_id)), canned_response_id=response.id
        )
    refresh.after_change(who.tenant_id)
    return out


@router.post("/{draft_id}/reject")
def reject(draft_id: int, who: Admin, store: StoreDep) -> DraftOut:
    """Mining again will not offer this reply again."""
    with store.session() as session:
        return _out(reject_draft(session, who.tenant_id, draft_id, reviewer=actor(who)))
