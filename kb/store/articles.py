"""Saving articles: sanitise, chunk, and keep the embeddings of passages whose text did not change."""

from __future__ import annotations

import hashlib
from typing import Literal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from kb.chunking import chunk
from kb.content import sections, to_safe_html
from kb.db.schema import Article, Passage
from kb.records import ArticleIn
from suggest.errors import ConflictError, NotFoundError

SaveStatus = Literal["created", "updated", "unchanged"]


def _passage_hash(embedding_text: str) -> str:
    return hashlib.sha256(embedding_text.encode()).hexdigest()


def _fill(article: Article, record: ArticleIn) -> None:
    article.external_id = record.external_id
    article.canonical_id = record.canonical_id or record.external_id
    article.language = record.language
    article.title = record.title
    article.body = record.body
    article.body_format = record.body_format
    article.body_html = to_safe_html(record.body, record.body_format)
    article.url = record.url
    article.tags = record.tags
    article.updated_at = record.updated_at
    article.content_hash = record.content_hash()
    old = {p.content_hash: p for p in article.passages}
    fresh: list[Passage] = []
    for passage in chunk(sections(article.body_html)):
        digest = _passage_hash(passage.embedding_text(record.title))
        kept = old.get(digest)
        fresh.append(
            Passage(
                tenant_id=article.tenant_id,
                ordinal=passage.ordinal,
                heading=passage.heading,
                text=passage.text,
                content_hash=digest,
                embedding=kept.embedding if kept else None,
                embedding_model=kept.embedding_model if kept else None,
            )
        )
    article.passages = fresh


def save_article(
    session: Session, tenant_id: str, record: ArticleIn, article_id: int | None = None
) -> tuple[Article, SaveStatus]:
    """Create or update by ``article_id`` (API) or else by external id (imports)."""
    by_external = session.scalar(
        select(Article)
        .where(Article.tenant_id == tenant_id, Article.external_id == record.external_id)
        .options(selectinload(Article.passages))
    )
    article: Article | None
    if article_id is not None:
        article = get_article(session, tenant_id, article_id)
        if by_external is not None and by_external.id != article_id:
            raise ConflictError(
                f"external id {record.external_id!r} already belongs to article {by_external.id}; "
                "choose another external id"
            )
    else:
        article = by_external
    if article is None:
        article = Article(tenant_id=tenant_id, passages=[])
        _fill(article, record)
        session.add(article)
        session.flush()
        return article, "created"
    if article.content_hash == record.content_hash():
        return article, "unchanged"
    _fill(article, record)
    session.flush()
    return article, "updated"


def get_article(session: Session, tenant_id: str, article_id: int) -> Article:
    article = session.get(Article, article_id, options=[selectinload(Article.passages)])
    if article is None or article.tenant_id != tenant_id:
        raise NotFoundError(f"no article with id {article_id}")
    return article


def list_articles(
    session: Session,
    tenant_id: str,
    *,
    language: str | None = None,
    query: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[Article], int]:
    """A page of articles (newest change first) and the total that match."""
    where = [Article.tenant_id == tenant_id]
    if language:
        where.append(Article.language == language)
    if query:
        pattern = f"%{query}%"
        where.append(or_(Article.title.ilike(pattern), Article.external_id.ilike(pattern)))
    total = session.scalar(select(func.count()).select_from(Article).where(*where)) or 0
    rows = session.scalars(
        select(Article)
        .where(*where)
        .order_by(Article.modified_at.desc(), Article.id)
        .offset(offset)
        .limit(limit)
    )
    return list(rows), total


def delete_article(session: Session, tenant_id: str, article_id: int) -> None:
    session.delete(get_article(session, tenant_id, article_id))
    session.flush()


def article_record(article: Article) -> ArticleIn:
    """The record that would recreate ``article``; export and the API's read model use it."""
    return ArticleIn(
        external_id=article.external_id,
        canonical_id=article.canonical_id,
        language=article.language,
        title=article.title,
        body=article.body,
        body_format="html" if article.body_format == "html" else "markdown",
        url=article.url,
        tags=list(article.tags),
        updated_at=article.updated_at,
    )
