"""Admin CRUD for knowledge-base articles."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import Admin
from api.deps import StoreDep
from api.routes.kb_common import Limit, Offset, Page, Refresh, Search
from kb.db.schema import Article
from kb.records import ArticleIn
from kb.store.articles import article_record, delete_article, get_article, list_articles, save_article

router = APIRouter(prefix="/v1/kb/articles", tags=["kb admin"])


class ArticleOut(ArticleIn):
    id: int
    body_html: str
    """Sanitised HTML, safe to display."""
    passages: int
    created_at: datetime
    modified_at: datetime


def _out(article: Article) -> ArticleOut:
    return ArticleOut(
        **article_record(article).model_dump(),
        id=article.id,
        body_html=article.body_html,
        passages=len(article.passages),
        created_at=article.created_at,
        modified_at=article.modified_at,
    )


@router.get("")
def list_(
    *,
    who: Admin,
    store: StoreDep,
    offset: Offset = 0,
    limit: Limit = 50,
    language: Annotated[str | None, Query(max_length=16)] = None,
    q: Search = None,
) -> Page[ArticleOut]:
    with store.session() as session:
        rows, total = list_articles(
            session, who.tenant_id, language=language, query=q, offset=offset, limit=limit
        )
        return Page(items=[_out(a) for a in rows], total=total, offset=offset, limit=limit)


@router.post("", status_code=201)
def create(record: ArticleIn, *, who: Admin, store: StoreDep, refresh: Refresh) -> ArticleOut:
    with store.session() as session:
        article, _ = save_article(session, who.tenant_id, record)
        out = _out(article)
    refresh.after_change(who.tenant_id)
    return out


@router.get("/{article_id}")
def read(article_id: int, who: Admin, store: StoreDep) -> ArticleOut:
    with store.session() as session:
        return _out(get_article(session, who.tenant_id, article_id))


@router.put("/{article_id}")
def replace(
    article_id: int,
    record: ArticleIn,
    *,
    who: Admin,
    store: StoreDep,
    refresh: Refresh,
) -> ArticleOut:
    with store.session() as session:
        article, _ = save_article(session, who.tenant_id, record, article_id=article_id)
        out = _out(article)
    refresh.after_change(who.tenant_id)
    return out


@router.delete("/{article_id}", status_code=204)
def delete(article_id: int, *, who: Admin, store: StoreDep, refresh: Refresh) -> None:
    with store.session() as session:
        delete_article(session, who.tenant_id, article_id)
    refresh.after_change(who.tenant_id)
