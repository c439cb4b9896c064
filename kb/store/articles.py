"""Saving articles: sanitise, chunk, and keep the embeddings of passages whose text did not change."""

from __future__ import annotations

import hashlib

from sqlalchemy.orm import Session, selectinload

from kb.chunking import chunk
from kb.content import sections, to_safe_html
from kb.db.schema import Article, Passage
from kb.records import ArticleIn
from kb.store.common import SaveStatus, owned, paged, save_target

_LOAD = selectinload(Article.passages)


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
    article = save_target(session, Article, tenant_id, record.external_id, item_id=article_id, load=_LOAD)
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
    return owned(session, Article, tenant_id, article_id, _LOAD)


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
    order = (Article.modified_at.desc(), Article.id)
    return paged(session, Article, where, query=query, order=order, offset=offset, limit=limit, load=_LOAD)


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
