"""Saving canned responses: validate templates, keep a version history, reuse unchanged embeddings."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from kb.db.schema import CannedResponse, CannedVariant, CannedVersion
from kb.records import CannedIn, canned_problems
from kb.store.articles import SaveStatus
from suggest.errors import ConflictError, InvalidContentError, NotFoundError


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
    by_external = session.scalar(
        select(CannedResponse)
        .where(CannedResponse.tenant_id == tenant_id, CannedResponse.external_id == record.external_id)
        .options(selectinload(CannedResponse.variants))
    )
    response: CannedResponse | None
    if response_id is not None:
        response = get_canned(session, tenant_id, response_id)
        if by_external is not None and by_external.id != response_id:
            raise ConflictError(
                f"external id {record.external_id!r} already belongs to canned response {by_external.id}; "
                "choose another external id"
            )
    else:
        response = by_external
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
    response = session.get(CannedResponse, response_id, options=[selectinload(CannedResponse.variants)])
    if response is None or response.tenant_id != tenant_id:
        raise NotFoundError(f"no canned response with id {response_id}")
    return response


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
    if query:
        pattern = f"%{query}%"
        where.append(or_(CannedResponse.title.ilike(pattern), CannedResponse.external_id.ilike(pattern)))
    total = session.scalar(select(func.count()).select_from(CannedResponse).where(*where)) or 0
    rows = session.scalars(
        select(CannedResponse)
        .where(*where)
        .options(selectinload(CannedResponse.variants))
        .order_by(CannedResponse.category, CannedResponse.external_id)
        .offset(offset)
        .limit(limit)
    )
    return list(rows), total


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
