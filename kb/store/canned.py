"""Saving canned responses: validate templates, keep a version history, reuse unchanged embeddings."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from kb.db.schema import CannedResponse, CannedVariant, CannedVersion
from kb.records import CannedIn, canned_problems
from kb.store.common import SaveStatus, owned, paged, save_target
from suggest.errors import InvalidContentError

_LOAD = selectinload(CannedResponse.variants)


def _fill(response: CannedResponse, record: CannedIn) -> None:
    response.external_id = record.external_id
    response.title = record.title
    response.category = record.category.value
    response.intents = record.intents
    response.needs_from_customer = record.needs_from_customer
    response.variables = record.variables
    response.auto_send = record.auto_send
    response.state = record.state
    response.content_hash = record.content_hash()
    # Update variants in place by language: replacing the collection would insert the new rows
    # before deleting the old ones and trip the (response, language) unique constraint.
    by_language = {v.language: v for v in response.variants}
    wanted = {v.language for v in record.variants}
    response.variants = [v for v in response.variants if v.language in wanted]
    for variant in record.variants:
        row = by_language.get(variant.language)
        if row is None:
            row = CannedVariant(tenant_id=response.tenant_id, language=variant.language)
            response.variants.append(row)
        digest = variant.variant_hash()
        if row.content_hash != digest:
            row.title, row.body, row.content_hash = variant.title, variant.body, digest
            row.embedding = row.embedding_model = None


def save_canned(
    session: Session, tenant_id: str, record: CannedIn, *, source: str, response_id: int | None = None
) -> tuple[CannedResponse, SaveStatus]:
    """Create or update (by id, else by external id). Every change is a new version in the history."""
    problems = canned_problems(record)
    if problems:
        raise InvalidContentError(f"canned response {record.external_id!r}", problems)
    response = save_target(
        session, CannedResponse, tenant_id, record.external_id, item_id=response_id, load=_LOAD
    )
    status: SaveStatus = "updated"
    if response is None:
        response = CannedResponse(tenant_id=tenant_id, version=0, variants=[])
        session.add(response)
        status = "created"
    elif response.content_hash == record.content_hash():
        return response, "unchanged"
    _fill(response, record)
    response.version += 1
    session.flush()
    session.add(
        CannedVersion(
            response_id=response.id,
            version=response.version,
            snapshot=record.model_dump(mode="json"),
            source=source,
        )
    )
    session.flush()
    return response, status


def get_canned(session: Session, tenant_id: str, response_id: int) -> CannedResponse:
    return owned(session, CannedResponse, tenant_id, response_id, _LOAD)


def list_canned(
    session: Session,
    tenant_id: str,
    *,
    category: str | None = None,
    state: str | None = None,
    query: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[CannedResponse], int]:
    where = [CannedResponse.tenant_id == tenant_id]
    if category:
        where.append(CannedResponse.category == category)
    if state:
        where.append(CannedResponse.state == state)
    order = (CannedResponse.category, CannedResponse.external_id)
    return paged(
        session, CannedResponse, where, query=query, order=order, offset=offset, limit=limit, load=_LOAD
    )


def delete_canned(session: Session, tenant_id: str, response_id: int) -> None:
    session.delete(get_canned(session, tenant_id, response_id))
    session.flush()


def canned_versions(session: Session, tenant_id: str, response_id: int) -> list[CannedVersion]:
    get_canned(session, tenant_id, response_id)
    return list(
        session.scalars(
            select(CannedVersion)
            .where(CannedVersion.response_id == response_id)
            .order_by(CannedVersion.version)
        )
    )


def canned_record(response: CannedResponse) -> CannedIn:
    return CannedIn.model_validate(
        {
            "external_id": response.external_id,
            "title": response.title,
            "category": response.category,
            "intents": response.intents,
            "needs_from_customer": response.needs_from_customer,
            "variables": response.variables,
            "auto_send": response.auto_send,
            "state": response.state,
            "variants": [
                {"language": v.language, "title": v.title, "body": v.body} for v in response.variants
            ],
        }
    )
