"""``replykit history import/stats/imports`` on every fixture source, and the 0004 migration of an
existing database."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from api.cli import app
from kb.db.engine import database_url, make_engine
from kb.db.migrate import is_current, upgrade
from kb.store import Store
from kb.store.history import count_tickets, get_import
from kb.store.tenants import ensure_tenant, get_tenant
from suggest.config import get_settings
from tests.cli_helpers import fake_backend  # noqa: F401
from tests.cli_helpers import run_main as cli_run_main

FIXTURES = Path(__file__).parent.parent / "fixtures" / "history"
CSV_OPTIONS = [
    "--id-col=ticket_id",
    "--text-col=body",
    "--reply-col=agent_reply",
    "--subject-col=subject",
    "--customer-name-col=name",
    "--customer-email-col=email",
    "--tags-col=labels",
    "--csat-col=rating",
    "--created-col=opened",
    "--language-col=lang",
    "--field=intent=intent",
]
THREAD_OPTIONS = [
    "--thread-col=conversation",
    "--subject-col=topic",
    "--tags-col=tags",
    "--csat-col=csat",
    "--language-col=lang",
    "--field=intent=intent",
]
runner = CliRunner()
pytestmark = pytest.mark.usefixtures("fake_backend")


@pytest.fixture
def tenant() -> str:
    store = Store.from_settings(get_settings())
    with store.session() as session:
        ensure_tenant(session, "acme")
    store.close()
    return "acme"


def history(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["history", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def row(output: str, name: str) -> int:
    """The number in a summary table's row."""
    found = re.search(rf"│\s*{name}\s*│\s*([\d,]+)\s*│", output)
    assert found, f"no row {name!r} in:\n{output}"
    return int(found.group(1).replace(",", ""))


@pytest.mark.parametrize(
    ("name", "options", "read", "problem"),
    [
        ("zendesk_full_export.json", [], 3, "zendesk_full_export.json:line 4: not valid JSON"),
        (
            "zendesk_page.json",
            ["--field=intent=360001"],
            3,
            "zendesk_page.json:comments[3]: a comment without",
        ),
        ("freshdesk_tickets.json", [], 3, "freshdesk_tickets.json:ticket[2]: no ticket id"),
        ("zammad_tickets.jsonl", [], 3, "zammad_tickets.jsonl:line 4: expected a JSON object"),
        ("chatwoot_conversations.json", [], 3, "chatwoot_conversations.json:conversation[3] (id 504)"),
        ("tickets.csv", CSV_OPTIONS, 4, "tickets.csv:line 7: has 13 cells, the header has 12"),
        ("threads.jsonl", THREAD_OPTIONS, 3, "threads.jsonl:line 3: not valid JSON"),
    ],
)
def test_import_prints_the_summary_redaction_and_located_problems(
    tenant: str, name: str, options: list[str], read: int, problem: str
) -> None:
    code, output = history("import", str(FIXTURES / name), "--tenant", tenant, *options)
    assert code == 0, output
    assert "import 1: done" in output
    assert (row(output, "read"), row(output, "inserted"), row(output, "updated")) == (read, read, 0)
    assert row(output, "problems") >= 1
    assert "redaction" in output and row(output, "phone") == 0
    assert problem in " ".join(output.split())


def test_importing_again_updates_and_the_records_list_both_runs(tenant: str) -> None:
    path = str(FIXTURES / "zendesk_page.json")
    history("import", path, "--tenant", tenant)
    code, output = history("import", path, "--tenant", tenant)
    assert code == 0
    assert (row(output, "inserted"), row(output, "updated")) == (0, 3)
    assert row(output, "first_name") == 1 and row(output, "agent_name") == 1
    code, listed = history("imports", "--tenant", tenant)
    assert code == 0
    assert re.search(r"│ 2\s+│ zendesk_page\.json\s+│ zendesk .* done\s+│ 3\s+│ 0\s+│ 3\s+│ 1\s+│", listed)
    assert re.search(r"│ 1\s+│ zendesk_page\.json\s+│ zendesk .* done\s+│ 3\s+│ 3\s+│ 0\s+│ 1\s+│", listed)
    code, problems = history("imports", "--tenant", tenant, "--id", "2")
    assert "zendesk_page.json:comments[3]: a comment without 'ticket_id'" in " ".join(problems.split())


def test_stats_count_what_was_stored(tenant: str) -> None:
    history("import", str(FIXTURES / "tickets.csv"), "--tenant", tenant, *CSV_OPTIONS)
    history("import", str(FIXTURES / "zendesk_page.json"), "--tenant", tenant, "--field=intent=360001")
    code, output = history("stats", "--tenant", tenant)
    assert code == 0
    assert "7 ticket(s) stored for acme" in output
    assert (row(output, "csv"), row(output, "zendesk")) == (4, 3)
    assert row(output, "invoice_missing") == 1 and row(output, "solar_feed_in") == 1
    assert row(output, r"\(no intent\)") == 1
    assert (row(output, "good"), row(output, "bad"), row(output, "none")) == (2, 2, 3)


def test_an_export_with_nothing_usable_exits_1(tenant: str, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("id,body\n1,\n2,\n", encoding="utf-8")
    code, output = history("import", str(path), "--tenant", tenant, "--text-col", "body")
    assert code == 1
    assert row(output, "problems") == 2
    assert "empty.csv:line 2 (id 1): column 'body' is missing or empty" in " ".join(output.split())


CUSTOMER_TEXT = "Hi, this is Maria Jansen (maria.jansen@example.com); my meter 4417 broke on Tuesday"
CUSTOMER_WORDS = ("maria", "jansen", "@", "example.com", "meter", "4417", "tuesday")


def test_problems_never_quote_a_mis_mapped_cell(tenant: str, tmp_path: Path) -> None:
    """--created-col and --csat-col point at a column of customer text: the problems name the column,
    what was expected and what kind of value was found, in the output and in the stored record."""
    path = tmp_path / "export.csv"
    path.write_text(f'id,body,note\nT-1,Where is my bill?,"{CUSTOMER_TEXT}"\n', encoding="utf-8")
    options = ["--text-col=body", "--created-col=note", "--csat-col=note"]
    code, output = history("import", str(path), "--tenant", tenant, *options)
    assert code == 0, output
    assert row(output, "problems") == 2
    code, listed = history("imports", "--tenant", tenant, "--id", "1")
    assert code == 0
    store = Store.from_settings(get_settings())
    with store.session() as session:
        stored = [p["message"] for p in get_import(session, tenant, 1).problems]
    store.close()
    assert len(stored) == 2
    assert stored[0].startswith("column 'note': expected a timestamp") and "--created-col" in stored[0]
    assert stored[1].startswith("column 'note': expected a rating") and "--csat-col" in stored[1]
    assert all(f"a text of {len(CUSTOMER_TEXT)} characters" in message for message in stored)
    for shown in (*stored, output, listed):
        squashed = "".join(shown.split()).lower()  # table wrapping cannot split a word out of sight
        assert [word for word in CUSTOMER_WORDS if word in squashed] == []


def test_usage_errors_say_what_to_do(
    tenant: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(FIXTURES / "zendesk_page.json")
    code, err = cli_run_main(monkeypatch, capsys, "history", "import", path, "--tenant", "nobody")
    assert code == 2 and "no tenant 'nobody'; create it with" in " ".join(err.split())
    code, err = cli_run_main(
        monkeypatch, capsys, "history", "import", path, "--tenant", tenant, "--text-col", "x"
    )
    assert code == 2 and "--text-col name columns of csv and jsonl tables" in " ".join(err.split())
    csv = str(FIXTURES / "tickets.csv")
    code, err = cli_run_main(monkeypatch, capsys, "history", "import", csv, "--tenant", tenant)
    assert code == 2 and "name either the message column" in " ".join(err.split())
    code, err = cli_run_main(
        monkeypatch,
        capsys,
        "history",
        "import",
        csv,
        "--tenant",
        tenant,
        "--text-col=body",
        "--field",
        "intent",
    )
    assert code == 2 and "--field expects NAME=COLUMN" in " ".join(err.split())
    code, err = cli_run_main(
        monkeypatch, capsys, "history", "import", csv, "--tenant", tenant, "--text-col=text"
    )
    assert code == 2 and "tickets.csv has no column 'id', 'text'; its columns are ticket_id" in " ".join(
        err.split()
    )
    code, listed = history("imports", "--tenant", tenant)
    assert re.search(r"│ 1\s+│ tickets\.csv\s+│ csv .* failed \(InputError\)", listed)  # the record says so
    code, err = cli_run_main(
        monkeypatch, capsys, "history", "import", csv, "--tenant", tenant, "--source=kayako"
    )
    assert code == 2 and "unknown source 'kayako'; expected one of zendesk" in " ".join(err.split())


def test_the_cli_upgrades_an_existing_0003_database_and_keeps_its_tenants() -> None:
    engine = make_engine(database_url(get_settings()))
    upgrade(engine, "0003")  # a database as the previous release left it
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO tenants (id, name, default_language, created_at) "
                "VALUES ('old', 'Old', 'nl', '2026-01-01 00:00:00')"
            )
        )
    assert "history_tickets" not in inspect(engine).get_table_names()
    code, output = history("import", str(FIXTURES / "freshdesk_tickets.json"), "--tenant", "old")
    assert code == 0, output
    assert is_current(engine)
    indexes = {i["name"] for i in inspect(engine).get_indexes("history_tickets")}
    assert {"ix_history_tickets_tenant_id_created_at", "ix_history_tickets_tenant_id_language"} <= indexes
    with Store(engine, migrate=False).session() as session:
        assert count_tickets(session, "old") == 3
        assert get_tenant(session, "old").default_language == "nl"
