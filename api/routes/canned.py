"""Admin CRUD for canned responses, their version history and a rendered preview."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.auth import Admin
from api.deps import StoreDep
from api.routes.kb_common import Limit, Offset, Page, Refresh, Search
from kb.db.schema import CannedResponse
from kb.records import CannedIn, Language
from kb.store.canned import (
    canned_record,
    canned_versions,
    delete_canned,
    get_canned,
    list_canned,
    save_canned,
)
from kb.templates import render_template
from kb.vocabulary import VARIABLES, Category
from suggest.errors import NotFoundError

router = APIRouter(prefix="/v1/kb/canned", tags=["kb admin"])


class CannedOut(CannedIn):
    id: int
    version: int
    created_at: datetime
    modified_at: datetime


class VersionOut(BaseModel):
    version: int
    source: str
    created_at: datetime
    snapshot: dict[str, Any]


class PreviewIn(BaseModel):
    language: Language
    values: dict[str, str] = Field(default_factory=dict, description="Overrides of the sample values.")


class PreviewOut(BaseModel):
    language: str
    text: str
    missing: list[str]


def _out(response: CannedResponse) -> CannedOut:
    return CannedOut(
        **canned_record(response).model_dump(),
        id=response.id,
        version=response.version,
        created_at=response.created_at,
        modified_at=response.modified_at,
    )


@router.get("")
def list_(
    *,
    who: Admin,
    store: StoreDep,
    offset: Offset = 0,
    limit: Limit = 50,
    category: Category | None = None,
    state: Literal["active", "archived"] | None = None,
    q: Search = None,
) -> Page[CannedOut]:
    with store.session() as session:
        rows, total = list_canned(
            session, who.tenant_id, category=category, state=state, query=q, offset=offset, limit=limit
        )
        return Page(items=[_out(r) for r in rows], total=total, offset=offset, limit=limit)


@router.post("", status_code=201)
def create(record: CannedIn, *, who: Admin, store: StoreDep, refresh: Refresh) -> CannedOut:
    with store.session() as session:
        response, _ = save_canned(session, who.tenant_id, record, source="api")
        out = _out(response)
    refresh.after_change(who.tenant_id)
    return out


@router.get("/{response_id}")
def read(response_id: int, who: Admin, store: StoreDep) -> CannedOut:
    with store.session() as session:
        return _out(get_canned(session, who.tenant_id, response_id))


@router.put("/{response_id}")
def replace(
    response_id: int,
    record: CannedIn,
    *,
    who: Admin,
    store: StoreDep,
    refresh: Refresh,
) -> CannedOut:
    """Save a new version; archive with ``"state": "archived"``."""
    with store.session() as session:
        response, _ = save_canned(session, who.tenant_id, record, source="api", response_id=response_id)
        out = _out(response)
    refresh.after_change(who.tenant_id)
    return out


@router.delete("/{response_id}", status_code=204)
def delete(response_id: int, *, who: Admin, store: StoreDep, refresh: Refresh) -> None:
    with store.session() as session:
        delete_canned(session, who.tenant_id, response_id)
    refresh.after_change(who.tenant_id)


@router.get("/{response_id}/versions")
def versions(response_id: int, who: Admin, store: StoreDep) -> list[VersionOut]:
    with store.session() as session:
        return [
            VersionOut(version=v.version, source=v.source, created_at=v.created_at, snapshot=v.snapshot)
            for v in canned_versions(session, who.tenant_id, response_id)
        ]


@router.post("/{response_id}/preview")
def preview(response_id: int, body: PreviewIn, who: Admin, store: StoreDep) -> PreviewOut:
    """Render one language variant with sample values, as an admin would check it before saving."""
    with store.session() as session:
        response = get_canned(session, who.tenant_id, response_id)
        variant = next((v for v in response.variants if v.language == body.language), None)
        if variant is None:
            have = ", ".join(v.language for v in response.variants)
            raise NotFoundError(
                f"canned response {response_id} has no '{body.language}' variant; it has {have}"
            )
        samples = {name: VARIABLES[name].sample for name in response.variables} | body.values
        rendered = render_template(variant.body, response.variables, samples)
    return PreviewOut(language=variant.language, text=rendered.text, missing=list(rendered.missing))
