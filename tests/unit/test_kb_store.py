"""The database: migrations match the models, SQLite runs in WAL mode, saves are idempotent and scoped."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from kb.db.engine import make_engine
from kb.db.migrate import is_current, upgrade
from kb.db.schema import Base, Passage
from kb.store import Store
from kb.store.articles import get_article, list_articles, save_article
from kb.store.canned import canned_versions, get_canned, save_canned
from kb.store.tenants import create_key, ensure_tenant, resolve_key, revoke_key
from suggest.errors import ConflictError, InputError, InvalidContentError, NotFoundError
from tests.kb_helpers import add, article, canned, make_library


def test_migrations_create_exactly_the_models_schema(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade(engine)
    assert is_current(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == [], "models changed without a migration: run kb.db.migrate.revise"
    upgrade(engine)  # a second run is a no-op
    assert set(inspect(engine).get_table_names()) >= {"articles", "passages", "canned_responses", "api_keys"}


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    store = Store(make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}"))
    with store.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_saving_the_same_article_twice_changes_nothing(tmp_path: Path) -> None:
    library = make_library(tmp_path)
    record = article("a", "# Title\n\nBody")
    with library.store.session() as session:
        first, status1 = save_article(session, "acme", record)
        again, status2 = save_article(session, "acme", record)
    assert (status1, status2) == ("created", "unchanged") and first.id == again.id


def test_editing_one_section_keeps_the_other_passages_embeddings(tmp_path: Path) -> None:
    library = make_library(tmp_path)
    body = "## One\n\nFirst section.\n\n## Two\n\nSecond section."
    (article_id,) = add(library, "acme", article("a", body))
    library.index.refresh("acme")
    with library.store.session() as session:
        save_article(session, "acme", article("a", body.replace("Second", "Changed")))
    report = library.index.refresh("acme")
    assert report.embedded == 1 and report.rebuilt
    with library.store.session() as session:
        passages = get_article(session, "acme", article_id).passages
        assert [p.heading for p in passages] == ["One", "Two"]
        assert all(isinstance(p, Passage) and p.embedding for p in passages)


def test_html_is_sanitised_on_save(tmp_path: Path) -> None:
    library = make_library(tmp_path)
    body = '<h2 onclick="x()">Hi</h2><p>ok<script>alert(1)</script><a href="javascript:alert(1)">l</a></p>'
    (article_id,) = add(library, "acme", article("a", body, body_format="html"))
    with library.store.session() as session:
        html = get_article(session, "acme", article_id).body_html
    assert (
        "script" not in html and "onclick" not in html and "javascript:" not in html and "<h2>Hi</h2>" in html
    )


def test_canned_responses_keep_a_version_history(tmp_path: Path) -> None:
    library = make_library(tmp_path)
    (rid,) = add(library, "acme", canned("c", {"en": "Hello"}))
    with library.store.session() as session:
        save_canned(session, "acme", canned("c", {"en": "Hello again", "nl": "Hallo"}), source="test")
        save_canned(
            session, "acme", canned("c", {"en": "Hello again", "nl": "Hallo"}), source="test"
        )  # unchanged
        versions = canned_versions(session, "acme", rid)
        response = get_canned(session, "acme", rid)
        assert [v.version for v in versions] == [1, 2] and response.version == 2
        assert versions[0].snapshot["variants"][0]["body"] == "Hello"
        assert sorted(v.language for v in response.variants) == ["en", "nl"]


def test_an_unsafe_template_is_refused_with_every_problem(tmp_path: Path) -> None:
    library = make_library(tmp_path)
    record = canned("c", {"en": "{{ x.__class__ }}", "nl": "{{ unknown }}"})
    with library.store.session() as session, pytest.raises(InvalidContentError) as caught:
        save_canned(session, "acme", record, source="test")
    fields = [field for field, _ in caught.value.problems]
    assert any("(en)" in f for f in fields) and any("(nl)" in f for f in fields)


def test_tenants_cannot_read_each_others_items(tmp_path: Path) -> None:
    library = make_library(tmp_path, tenants=("acme", "other"))
    (aid,) = add(library, "acme", article("a", "Body"))
    (cid,) = add(library, "acme", canned("c", {"en": "Hello"}))
    with library.store.session() as session:
        with pytest.raises(NotFoundError):
            get_article(session, "other", aid)
        with pytest.raises(NotFoundError):
            get_canned(session, "other", cid)
        assert list_articles(session, "other") == ([], 0)
        # the same external id in another tenant is a different item
        assert save_article(session, "other", article("a", "Body"))[1] == "created"


def test_renaming_onto_an_existing_external_id_is_a_conflict(tmp_path: Path) -> None:
    library = make_library(tmp_path)
    _, second = add(library, "acme", article("a", "One"), article("b", "Two"))
    with library.store.session() as session, pytest.raises(ConflictError, match="already belongs to article"):
        save_article(session, "acme", article("a", "Two"), article_id=second)


def test_api_keys_are_hashed_scoped_and_revocable(tmp_path: Path) -> None:
    store = Store(make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}"))
    with store.session() as session:
        ensure_tenant(session, "acme")
        key = create_key(session, "acme", "ops", ["admin"])
    with store.session() as session:
        stored = session.execute(text("SELECT key_hash FROM api_keys")).scalar()
        assert key.startswith("rk_") and stored != key and key not in str(stored)
        principal = resolve_key(session, key)
        assert principal is not None and principal.scopes == {"admin", "agent"}
        revoke_key(session, "acme", principal.key_id)
    with store.session() as session:
        assert resolve_key(session, key) is None
        with pytest.raises(InputError, match="scopes must be among"):
            create_key(session, "acme", "x", ["root"])
