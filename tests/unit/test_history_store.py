"""Stored ticket history: idempotent upserts, keyset streaming, tenant scoping, statistics, and the
import around them (redaction before storage, located problems, failed batches, flat memory)."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from kb.db.engine import make_engine
from kb.store import Store
from kb.store.history import (
    TicketRecord,
    count_tickets,
    get_import,
    history_stats,
    iter_tickets,
    list_imports,
    start_import,
    upsert_tickets,
)
from kb.store.tenants import ensure_tenant
from suggest.errors import ConfigError, NotFoundError
from tests.unit.test_history_import_tabular import CSV_COLUMNS as TABULAR_CSV_COLUMNS
from tests.unit.test_history_import_tabular import FIXTURES
from training.data import parse_label
from training.history import ColumnMap, ImportProblem, Item, ingest, read_history
from training.history.ingest import (
    MAX_PROBLEMS_KEPT,
    import_history,
    labelled_examples,
    load_redaction_rules,
)
from training.mining import load_mining_rules
from training.mining.replies import label_of
from training.redact import Redactor

CSV_COLUMNS = TABULAR_CSV_COLUMNS.model_copy(update={"fields": {"intent": "intent"}})
THREAD_COLUMNS = ColumnMap(
    thread="thread",
    subject="subject",
    customer_name="name",
    customer_email="email",
    tags="tags",
    language="lang",
    fields={"intent": "intent", "contact": "contact"},
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}"))
    with store.session() as session:
        ensure_tenant(session, "acme")
        ensure_tenant(session, "other")
    yield store
    store.close()


def record(external_id: str, **values: Any) -> TicketRecord:
    defaults: dict[str, Any] = {
        "source": "csv",
        "external_id": external_id,
        "subject": None,
        "text": f"question {external_id}",
        "language": "en",
        "thread": [],
        "tags": [],
        "fields": {},
        "csat_score": None,
        "csat_label": None,
        "status": None,
        "created_at": None,
    }
    return TicketRecord(**(defaults | values))


def new_import(session: Session, tenant: str = "acme") -> int:
    return start_import(session, tenant, file_name="/home/maria/export.csv", source="csv", sha256="0" * 64).id


def run_import(store: Store, items: Iterator[Item] | list[Item], **options: Any) -> ingest.ImportSummary:
    return import_history(
        store.engine,
        "acme",
        items,
        Redactor(),
        **({"file_name": "export.jsonl", "sha256": "f" * 64, "source": "jsonl"} | options),
    )


def test_importing_the_same_export_twice_updates_the_rows_instead_of_adding_copies(store: Store) -> None:
    path = FIXTURES / "zendesk_full_export.json"
    first = run_import(store, read_history(path), source="zendesk", batch_size=2)
    with store.session() as session:
        before = {r.external_id: r.id for r in iter_tickets(session, "acme")}
    again = run_import(store, read_history(path), source="zendesk", batch_size=2)
    with store.session() as session:
        after = {r.external_id: (r.id, r.import_id) for r in iter_tickets(session, "acme")}
        records = list_imports(session, "acme")
    assert (first.inserted, first.updated) == (3, 0)
    assert (again.inserted, again.updated) == (0, 3)
    assert {k: v[0] for k, v in after.items()} == before  # same rows, same ids
    assert {v[1] for v in after.values()} == {again.import_id}
    assert [r.id for r in records] == [again.import_id, first.import_id]
    assert records[0].counts == {"read": 3, "inserted": 0, "updated": 3, "problems": again.problem_count}


def test_an_id_repeated_within_one_batch_keeps_the_last_ticket(store: Store) -> None:
    with store.session() as session:
        import_id = new_import(session)
        counts = upsert_tickets(
            session,
            "acme",
            [record("1", text="old"), record("2"), record("1", text="new")],
            import_id=import_id,
        )
        texts = {r.external_id: r.text for r in iter_tickets(session, "acme")}
    assert (counts.inserted, counts.updated) == (2, 1)
    assert texts == {"1": "new", "2": "question 2"}


def test_the_same_id_from_two_sources_is_two_tickets(store: Store) -> None:
    with store.session() as session:
        import_id = new_import(session)
        upsert_tickets(session, "acme", [record("7"), record("7", source="zendesk")], import_id=import_id)
        assert count_tickets(session, "acme") == 2
        assert count_tickets(session, "acme", source="zendesk") == 1


def test_iteration_pages_by_id_in_order_without_offset(store: Store) -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with store.session() as session:
        import_id = new_import(session)
        rows = [record(f"t{n:02d}", created_at=start + timedelta(days=n)) for n in range(25)]
        upsert_tickets(session, "acme", rows, import_id=import_id)
    statements: list[tuple[str, Any]] = []
    event.listen(store.engine, "before_cursor_execute", lambda *a: statements.append((a[2], a[3])))
    with store.session() as session:
        seen = list(iter_tickets(session, "acme", batch=4))
        recent = [
            r.external_id for r in iter_tickets(session, "acme", batch=4, since=start + timedelta(days=20))
        ]
    ids = [r.id for r in seen]
    assert ids == sorted(ids) and len(set(ids)) == 25
    assert [r.external_id for r in seen] == [f"t{n:02d}" for n in range(25)]
    assert recent == ["t20", "t21", "t22", "t23", "t24"]
    assert seen[0].created_at == start  # tz-aware UTC back from SQLite
    pages = [(sql, params) for sql, params in statements if "FROM history_tickets" in sql]
    assert len(pages) == 7 + 2  # 25 rows in pages of 4, then 5 rows in pages of 4
    assert all(
        "history_tickets.id > ?" in sql for sql, _ in pages
    )  # keyset: each page starts after the last id
    assert all(params[-1] == 0 for _, params in pages)  # SQLite's LIMIT ? OFFSET ?: never skipping rows


def test_another_tenant_sees_nothing(store: Store) -> None:
    run_import(store, read_history(FIXTURES / "freshdesk_tickets.json"), source="freshdesk")
    with store.session() as session:
        acme_import = list_imports(session, "acme")[0].id
        assert count_tickets(session, "acme") == 3
        assert count_tickets(session, "other") == 0
        assert list(iter_tickets(session, "other")) == []
        assert list_imports(session, "other") == []
        assert history_stats(session, "other").by_source == {}
        assert labelled_examples(session, "other", "type") == []
        with pytest.raises(NotFoundError, match="no history import"):
            get_import(session, "other", acme_import)


def test_stats_count_sources_languages_field_values_and_csat(store: Store) -> None:
    with store.session() as session:
        import_id = new_import(session)
        rows = [
            record("1", language="en", fields={"intent": "billing"}, csat_score=1.0, csat_label="good"),
            record("2", language="en", fields={"intent": "billing"}, csat_score=0.0, csat_label="bad"),
            record("3", language="nl", fields={"intent": "outage"}, csat_score=0.5),
            record("4", language="el", source="zendesk", fields={"type": "question"}),
        ]
        upsert_tickets(session, "acme", rows, import_id=import_id)
        stats = history_stats(session, "acme", field="intent")
    assert stats.total == 4
    assert stats.by_source == {"csv": 3, "zendesk": 1}
    assert stats.by_language == {"en": 2, "el": 1, "nl": 1}
    assert stats.by_field == {"billing": 2, None: 1, "outage": 1}
    assert stats.csat == {"good": 1, "bad": 1, "neutral": 1, "none": 1}


def _pii_export(path: Path) -> Path:
    thread = [
        {
            "author": "customer",
            "text": "Hi, I'm Maria Papadopoulou (maria.p@example.gr). My invoice for May is far too high, "
            "please call me on +30 210 123 4567.",
            "created_at": "2024-05-01T08:00:00Z",
        },
        {
            "author": "agent",
            "author_name": "Nikos Georgiou",
            "public": False,
            "text": "Maria's number checked.",
        },
        {
            "author": "agent",
            "author_name": "Nikos Georgiou",
            "text": "Dear Maria, we called +30 210 123 4567.\n\nKind regards,\nNikos Georgiou",
        },
        {"author": "customer", "text": "Thanks Nikos!"},
    ]
    rows = [
        {
            "id": "P-1",
            "subject": "Invoice of Maria Papadopoulou",
            "thread": thread,
            "name": "Maria Papadopoulou",
            "email": "maria.p@example.gr",
            "tags": ["billing", "Papadopoulou"],
            "contact": "maria.p@example.gr",
            "intent": "billing",
        },
        {
            "id": "P-2",
            "thread": [{"author": "customer", "text": "Please write to kim@intranet about my invoice."}],
            "email": "kim@intranet",  # an address the pattern cannot see: the ticket's own field finds it
            "lang": "en",
        },
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_nothing_personal_reaches_any_column_of_any_row(store: Store, tmp_path: Path) -> None:
    path = _pii_export(tmp_path / "pii.jsonl")
    summary = run_import(store, read_history(path, "jsonl", columns=THREAD_COLUMNS))
    with store.engine.connect() as connection:
        stored = [
            str(value)
            for table in ("history_tickets", "history_imports")
            for row in connection.execute(text(f"SELECT * FROM {table}"))
            for value in row
        ]
    dump = "\n".join(stored).lower()
    for secret in (
        "maria",
        "papadopoulou",
        "nikos",
        "georgiou",
        "example.gr",
        "210 123 4567",
        "kim@intranet",
    ):
        assert secret not in dump, secret
    assert summary.inserted == 2
    assert summary.redaction["email"] == 3 and summary.redaction["phone"] == 2
    assert summary.redaction["agent_name"] >= 2 and summary.redaction["first_name"] >= 2
    with store.session() as session:
        first = next(iter_tickets(session, "acme"))
    assert (
        first.text
        == "Hi, I'm [NAME] ([EMAIL]). My invoice for May is far too high, please call me on [PHONE]."
    )
    assert first.thread[2] == {
        "author": "agent",
        "agent": True,
        "public": True,
        "created_at": None,
        "text": "Dear [FIRST_NAME], we called [PHONE].\n\nKind regards,\n[AGENT_NAME]",
    }
    assert first.tags == ["billing", "[NAME]"] and first.fields["contact"] == "[EMAIL]"
    assert first.language == "en"  # detected: the export gave none


def test_problems_are_counted_kept_with_their_locations_and_capped(store: Store) -> None:
    summary = run_import(
        store,
        read_history(FIXTURES / "tickets.csv", "csv", columns=CSV_COLUMNS),
        source="csv",
        file_name="/home/maria/tickets.csv",
    )
    with store.session() as session:
        stored = get_import(session, "acme", summary.import_id)
    assert summary.status == stored.status == "done"
    assert stored.file_name == "tickets.csv"  # never the folder: paths can name people
    assert summary.problem_count == len(summary.problems) == 5
    assert stored.problems[0] == {"location": "tickets.csv:line 5", "message": summary.problems[0].message}
    assert [p["location"] for p in stored.problems][2:] == [
        "tickets.csv:line 7",
        "tickets.csv:line 8 (id T-6)",
        "tickets.csv:line 9 (id T-7)",
    ]
    many: list[Item] = [ImportProblem(f"big.jsonl:line {n}", "not valid JSON") for n in range(250)]
    capped = run_import(store, iter(many))
    with store.session() as session:
        kept = get_import(session, "acme", capped.import_id).problems
    assert capped.problem_count == 250 and len(kept) == MAX_PROBLEMS_KEPT
    assert kept[-1]["location"] == f"big.jsonl:line {MAX_PROBLEMS_KEPT - 1}"
    assert capped.imported == 0 and capped.status == "done"


class DiskFullError(Exception):
    pass


def test_a_failing_batch_marks_the_import_failed_and_keeps_the_batches_before_it(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = upsert_tickets

    def fail_second(session: Session, tenant: str, rows: Any, *, import_id: int) -> Any:
        calls.append(len(rows))
        if len(calls) == 2:
            raise DiskFullError("disk full")
        return real(session, tenant, rows, import_id=import_id)

    monkeypatch.setattr(ingest, "upsert_tickets", fail_second)
    with pytest.raises(DiskFullError):
        run_import(store, read_history(FIXTURES / "zendesk_page.json"), source="zendesk", batch_size=2)
    with store.session() as session:
        (failed,) = list_imports(session, "acme")
        assert (failed.status, failed.error) == ("failed", "DiskFullError")
        assert failed.finished_at is not None
        assert failed.counts["inserted"] == 2 == count_tickets(session, "acme")


def test_memory_stays_flat_on_a_large_stream(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    body = "My invoice looks wrong, please check the meter reading of last month. " * 4
    with path.open("w", encoding="utf-8") as f:
        for n in range(20_000):
            f.write(json.dumps({"id": f"t{n}", "text": body, "lang": "en"}) + "\n")
    columns = ColumnMap(text="text", language="lang")
    run_import(
        store, read_history(FIXTURES / "threads.jsonl", "jsonl", columns=THREAD_COLUMNS)
    )  # warm caches
    tracemalloc.start()
    try:
        summary = run_import(store, read_history(path, "jsonl", columns=columns), batch_size=100)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert summary.inserted == 20_000
    assert peak < path.stat().st_size / 3, f"peak {peak:,} bytes for a {path.stat().st_size:,}-byte export"


def test_labelled_examples_from_the_stored_history(store: Store) -> None:
    with store.session() as session:
        import_id = new_import(session)
        rows = [
            record("1", fields={"intent": " billing "}),
            record("2", fields={"intent": "OOS"}, language="und"),
            record("3", fields={"intent": " "}),
            record("4", fields={"type": "question"}),
        ]
        upsert_tickets(session, "acme", rows, import_id=import_id)
        examples = labelled_examples(session, "acme")
    assert [(e.text, e.label, e.language) for e in examples] == [
        ("question 1", "billing", "en"),
        ("question 2", None, None),  # out of scope; "und" is no language
        ("question 3", None, "en"),
    ]


def test_redaction_rules_come_from_the_tenant_file(tmp_path: Path) -> None:
    assert load_redaction_rules(tmp_path, "acme").custom == {}
    folder = tmp_path / "tenants" / "acme"
    folder.mkdir(parents=True)
    (folder / "redaction.yaml").write_text("custom:\n  order_number: 'HP-[0-9]{4}'\n", encoding="utf-8")
    rules = load_redaction_rules(tmp_path, "acme")
    assert Redactor(rules).redact("order HP-2026").text == "order [ORDER_NUMBER]"
    (folder / "redaction.yaml").write_text("phone_regions: [XX]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"acme/redaction\.yaml.*phone_regions"):
        load_redaction_rules(tmp_path, "acme")
    (folder / "redaction.yaml").write_text("custom: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not readable YAML"):
        load_redaction_rules(tmp_path, "acme")


@pytest.mark.parametrize(
    ("load", "file_name", "settings"),
    [
        (load_redaction_rules, "redaction.yaml", "custom, postal_countries, phone_regions, ambiguous_names"),
        (load_mining_rules, "mining.yaml", "order_patterns"),
    ],
)
def test_tenant_yaml_files_fail_alike_naming_the_file_and_the_field(
    tmp_path: Path, load: Callable[[Path, str], BaseModel], file_name: str, settings: str
) -> None:
    defaults = load(tmp_path, "acme")  # no file
    path = tmp_path / "tenants" / "acme" / file_name
    path.parent.mkdir(parents=True)
    path.write_text("", encoding="utf-8")
    assert load(tmp_path, "acme") == defaults
    path.write_text("- a list\n", encoding="utf-8")
    with pytest.raises(
        ConfigError, match=rf"acme/{file_name} must hold a mapping of settings \({settings}\)"
    ):
        load(tmp_path, "acme")
    path.write_text("colour: blue\n", encoding="utf-8")
    with pytest.raises(
        ConfigError,
        match=rf"acme/{file_name}: the \w+ rules are invalid: colour: Extra inputs are not permitted\. Fix",
    ):
        load(tmp_path, "acme")


@pytest.mark.parametrize(
    ("value", "label"),
    [(" billing ", "billing"), ("OOS", None), ("Out-Of-Scope", None), ("  ", None), (None, None), (7, "7")],
)
def test_files_history_and_mining_read_labels_alike(value: object, label: str | None) -> None:
    assert parse_label(value) == label
    assert label_of({"intent": value}, "intent") == label
