"""``replykit kb``, ``keys`` and ``demo`` through the CLI, with the fake embedder."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli import app
from kb.store import Store
from kb.store.tenants import Principal, resolve_key
from suggest.config import get_settings
from tests.cli_helpers import fake_backend  # noqa: F401
from tests.cli_helpers import run_main as cli_run_main

runner = CliRunner()


pytestmark = pytest.mark.usefixtures("fake_backend")


def run_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str]:
    """Like tests.cli_helpers.run_main, with stderr's line wrapping undone."""
    code, err = cli_run_main(monkeypatch, capsys, *args)
    return code, " ".join(err.split())


def write_article(folder: Path, name: str, language: str, title: str, body: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.{language}.md").write_text(
        f"---\nexternal_id: {name}-{language}\ncanonical_id: {name}\nlanguage: {language}\n"
        f'title: "{title}"\n---\n{body}\n',
        encoding="utf-8",
    )


@pytest.fixture
def kb_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "kb"
    write_article(
        folder,
        "parcel-tracking",
        "en",
        "Tracking your parcel",
        "## Where is my parcel\n\n"
        "Open the tracking link in your shipping e-mail to see where your parcel is.\n\n"
        "## Parcel marked delivered\n\nCheck with your neighbours and the parcel locker first.",
    )
    write_article(
        folder,
        "parcel-tracking",
        "nl",
        "Je pakket volgen",
        "## Waar is mijn pakket\n\n"
        "Open de track-and-tracelink in je verzendmail om te zien waar je pakket is.",
    )
    write_article(
        folder,
        "password-reset",
        "en",
        "Resetting your password",
        "## Forgot your password\n\nClick 'Forgot password' on the login page and follow the e-mail link.",
    )
    (folder / "ack.en.md").write_text(
        "---\ntype: canned\nexternal_id: ack\nlanguage: en\ntitle: Got it\ncategory: ack_in_hours\n"
        "variables: [ticket_number]\nauto_send: true\n---\n"
        "We saved your message as ticket {{ ticket_number }}.\n",
        encoding="utf-8",
    )
    return folder


def import_ok(path: Path, *extra: str) -> str:
    result = runner.invoke(app, ["kb", "import", str(path), "--tenant", "shop", *extra])
    assert result.exit_code == 0, result.output
    return result.stdout


def search(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["kb", "search", *args, "--tenant", "shop", "--json"])
    assert result.exit_code == 0, result.output
    payload: dict[str, Any] = json.loads(result.stdout)
    return payload


def test_import_prints_counts(kb_folder: Path) -> None:
    out = import_ok(kb_folder)
    assert "article created: 3" in out and "canned created: 1" in out
    assert "index: 5 items, 5 embedded, rebuilt" in out
    again = import_ok(kb_folder)
    assert "article unchanged: 3" in again and "0 embedded, index is up to date" in again


def test_import_with_a_bad_row_exits_1_and_names_it(kb_folder: Path) -> None:
    (kb_folder / "broken.md").write_text("no front matter here\n", encoding="utf-8")
    (kb_folder / "bad-language.md").write_text(
        "---\nexternal_id: x\nlanguage: english\ntitle: X\n---\nBody.\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["kb", "import", str(kb_folder), "--tenant", "shop"])
    assert result.exit_code == 1
    assert "article created: 3" in result.stdout and "2 row(s) not imported" in result.stdout
    assert "broken.md: expected YAML front matter" in result.stdout
    assert "bad-language.md: language:" in result.stdout


def test_search_json_ranks_the_matching_article_first(kb_folder: Path) -> None:
    import_ok(kb_folder)
    payload = search("I forgot my password and the login page does not work")
    assert payload["hits"], payload
    best = payload["hits"][0]
    assert best["kind"] == "passage" and best["group"] == "password-reset"
    assert best["heading"] == "Forgot your password" and payload["build_id"]
    assert search("where is my parcel, tracking link")["hits"][0]["group"] == "parcel-tracking"


def test_search_lang_puts_that_language_first(kb_folder: Path) -> None:
    import_ok(kb_folder)
    query = "where is my parcel, the tracking link does not work"
    assert search(query)["hits"][0]["language"] == "en"
    payload = search(query, "--lang", "nl")
    languages = [h["language"] for h in payload["hits"]]
    assert languages[0] == "nl" and "en" in languages
    assert languages == sorted(languages, key=lambda code: code != "nl")
    assert all(h["cross_language"] == (h["language"] != "nl") for h in payload["hits"])
    assert payload["language"] == "nl" and payload["fallback"] is True


def test_export_reimports_as_unchanged(kb_folder: Path, tmp_path: Path) -> None:
    import_ok(kb_folder)
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["kb", "export", str(out), "--tenant", "shop"])
    assert result.exit_code == 0, result.output
    assert "wrote 3 articles and 1 canned responses" in result.stdout
    assert len(out.read_text(encoding="utf-8").splitlines()) == 4
    again = import_ok(out)
    assert "article unchanged: 3" in again and "canned unchanged: 1" in again
    assert "created" not in again and "updated" not in again and "0 embedded" in again


def test_export_to_a_non_jsonl_path_fails_clearly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, err = run_main(monkeypatch, capsys, "kb", "export", str(tmp_path / "out.txt"), "--tenant", "shop")
    assert code == 2 and "give a path ending in .jsonl, got out.txt" in err
    assert not (tmp_path / "out.txt").exists()


def test_import_of_a_missing_path_fails_clearly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, err = run_main(monkeypatch, capsys, "kb", "import", str(tmp_path / "nowhere.csv"))
    assert code == 2 and "nowhere.csv does not exist" in err and "Traceback" not in err


def find_key(key: str) -> Principal | None:
    store = Store.from_settings(get_settings())
    try:
        with store.session() as session:
            return resolve_key(session, key)
    finally:
        store.close()


def test_keys_create_prints_a_working_admin_key() -> None:
    result = runner.invoke(app, ["keys", "create", "--tenant", "shop", "--scope", "admin"])
    assert result.exit_code == 0, result.output
    key = result.stdout.strip()
    assert key.startswith("rk_") and len(key) > 40
    principal = find_key(key)
    assert principal is not None and principal.tenant_id == "shop"
    assert principal.scopes == {"admin", "agent"}


def test_keys_create_with_a_bogus_scope_fails_clearly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run_main(monkeypatch, capsys, "keys", "create", "--tenant", "shop", "--scope", "root")
    assert code == 2 and "scopes must be among agent, admin, got root" in err


def test_demo_prints_the_same_keys_twice_from_a_private_file() -> None:
    first = runner.invoke(app, ["demo"])
    assert first.exit_code == 0, first.output
    assert "article created" in first.stdout and "canned created" in first.stdout
    keys_file = get_settings().data_dir / "demo-keys.json"
    keys = json.loads(keys_file.read_text())
    assert set(keys) == {"agent", "admin"} and all(k.startswith("rk_") for k in keys.values())
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    for scope, key in keys.items():
        assert f"{scope}: {key}" in first.stdout
    second = runner.invoke(app, ["demo"])
    assert second.exit_code == 0, second.output
    assert "article unchanged" in second.stdout and "created" not in second.stdout
    for scope, key in keys.items():
        assert f"{scope}: {key}" in second.stdout
    agent = find_key(keys["agent"])
    assert agent is not None and agent.tenant_id == "demo" and agent.scopes == {"agent"}
