"""Builders for knowledge-base tests: a Library on a temporary SQLite file, small records, and the API
on the fake embedder with agent and admin keys."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.runtime import EmbedderFactory
from kb.db.engine import make_engine
from kb.index.vectors import IndexKind
from kb.library import Library
from kb.records import ArticleIn, CannedIn
from kb.store import Store
from kb.store.articles import save_article
from kb.store.canned import save_canned
from kb.store.tenants import create_key, ensure_tenant
from suggest.config import load_settings
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


def make_app(
    data_dir: Path, *, embedder_factory: EmbedderFactory = HashingEmbedder, **settings: object
) -> FastAPI:
    """The API on a private data folder and the fake embedder; ``settings`` override the rest."""
    return create_app(load_settings(data_dir=data_dir, embed_backend="fake", **settings), embedder_factory)


@contextmanager
def api_client(data_dir: Path) -> Iterator[TestClient]:
    """A started API whose embedder is loaded, so no request races the warm-up and gets a 503."""
    with TestClient(make_app(data_dir)) as client:
        assert client.app.state.runtime.wait(10)  # type: ignore[attr-defined]
        yield client


def tenant_keys(app: FastAPI, *tenants: str) -> dict[str, dict[str, str]]:
    """A fresh agent and admin key per tenant (tenants created if missing), each named after its scope."""
    keys: dict[str, dict[str, str]] = {}
    with app.state.store.session() as session:
        for tenant in tenants:
            ensure_tenant(session, tenant)
            keys[tenant] = {s: create_key(session, tenant, s, [s]) for s in ("agent", "admin")}
    return keys


def bearer(key: str) -> dict[str, str]:
    """Headers that authenticate with ``key`` the way clients are documented to."""
    return {"Authorization": f"Bearer {key}"}
