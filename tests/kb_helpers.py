"""Builders for knowledge-base tests: a Library on a temporary SQLite file, and small records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kb.db.engine import make_engine
from kb.index.vectors import IndexKind
from kb.library import Library
from kb.records import ArticleIn, CannedIn
from kb.store import Store
from kb.store.articles import save_article
from kb.store.canned import save_canned
from kb.store.tenants import ensure_tenant
from suggest.embed.fake import HashingEmbedder


def make_library(
    tmp_path: Path, *, kind: IndexKind | None = None, tenants: tuple[str, ...] = ("acme",)
) -> Library:
    library = Library(
        Store(make_engine(f"sqlite:///{tmp_path / 'kb.sqlite'}")),
        HashingEmbedder(),
        tmp_path / "index",
        index_kind=kind,
    )
    with library.store.session() as session:
        for tenant in tenants:
            ensure_tenant(session, tenant)
    return library


def article(external_id: str, body: str, *, language: str = "en", **fields: Any) -> ArticleIn:
    return ArticleIn.model_validate(
        {
            "external_id": external_id,
            "language": language,
            "title": external_id.replace("-", " "),
            "body": body,
        }
        | fields
    )


def canned(external_id: str, bodies: dict[str, str], **fields: Any) -> CannedIn:
    variants = [
        {"language": lang, "title": f"{external_id} {lang}", "body": body} for lang, body in bodies.items()
    ]
    base = {"external_id": external_id, "title": external_id, "category": "answer", "variants": variants}
    return CannedIn.model_validate(base | fields)


def add(library: Library, tenant: str, *records: ArticleIn | CannedIn) -> list[int]:
    """Save records directly (no import source) and return their ids."""
    ids = []
    with library.store.session() as session:
        for record in records:
            if isinstance(record, ArticleIn):
                ids.append(save_article(session, tenant, record)[0].id)
            else:
                ids.append(save_canned(session, tenant, record, source="test")[0].id)
    return ids
