"""The drafts API and CLI: mining, paging, accept (refused while markers remain), reject, admin scope,
tenant isolation. The history is imported through ``import_history`` as in production."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from api.cli.main import app
from kb.db.engine import database_url, make_engine
from kb.db.schema import ApiKey
from kb.store import Store
from kb.store.tenants import ensure_tenant
from suggest.config import get_settings
from tests.cli_helpers import (
    fake_backend,  # noqa: F401
    run_main,
)
from tests.kb_helpers import api_client, bearer, tenant_keys
from tests.unit.test_mining import INVOICE, REFUND, VISIT, _ticket
from training.history import HistoryTicket
from training.history.ingest import import_history
from training.redact import RedactionRules, Redactor


def _history(store: Store, tenant: str, tickets: list[HistoryTicket]) -> None:
    redactor = Redactor(RedactionRules())
    import_history(
        store.engine, tenant, tickets, redactor, file_name="h.jsonl", sha256="0" * 64, source="jsonl"
    )


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with api_client(tmp_path) as client:
        yield client


def _keys(client: TestClient) -> dict[str, dict[str, str]]:
    return tenant_keys(client.app, "acme", "other")  # type: ignore[arg-type]


def test_mine_review_accept_and_reject_over_http(client: TestClient) -> None:
    keys = _keys(client)
    admin = bearer(keys["acme"]["admin"])
    tickets = [_ticket(n, INVOICE) for n in range(6)] + [_ticket(n, REFUND) for n in range(6, 10)]
    tickets += [_ticket(n, VISIT, intent="visit") for n in range(10, 13)]
    _history(client.app.state.store, "acme", tickets)  # type: ignore[attr-defined]

    mined = client.post("/v1/drafts/mine", json={"min_uses": 3}, headers=admin)
    assert mined.status_code == 200, mined.text
    assert {k: mined.json()[k] for k in ("tickets", "replies", "clusters", "created")} == {
        "tickets": 13,
        "replies": 13,
        "clusters": 3,
        "created": 3,
    }
    page = client.get("/v1/drafts", params={"intent": "invoice_question", "limit": 1}, headers=admin).json()
    assert page["total"] == 2 and page["limit"] == 1
    assert [d["usage_count"] for d in page["items"]] == [6]
    visit = client.get("/v1/drafts", params={"language": "en", "intent": "visit"}, headers=admin).json()[
        "items"
    ][0]
    assert visit["markers"] == ["[DATE]"] and "no date variable" in visit["notes"][0]
    assert client.get(f"/v1/drafts/{visit['id']}", headers=admin).json()["body"] == visit["body"]

    refused = client.post(f"/v1/drafts/{visit['id']}/accept", headers=admin)
    assert refused.status_code == 422 and "[DATE]" in refused.json()["detail"]
    body = visit["body"].replace("on [DATE] between", "on a weekday between")
    accepted = client.post(
        f"/v1/drafts/{visit['id']}/accept",
        json={"body": body, "title": "Engineer visit", "category": "answer"},
        headers=admin,
    )
    assert accepted.status_code == 200, accepted.text
    canned_id = accepted.json()["canned_response_id"]
    assert accepted.json()["draft"]["status"] == "accepted"
    canned = client.get(f"/v1/kb/canned/{canned_id}", headers=admin).json()
    assert (canned["state"], canned["intents"], canned["variants"][0]["body"]) == ("active", ["visit"], body)
    found = client.post(
        "/v1/kb/search", json={"text": "engineer visit weekday", "kinds": ["canned"]}, headers=admin
    ).json()
    assert found["hits"][0]["external_id"] == canned["external_id"]

    refund = client.get("/v1/drafts", params={"intent": "invoice_question"}, headers=admin).json()["items"][1]
    rejected = client.post(f"/v1/drafts/{refund['id']}/reject", headers=admin).json()
    with client.app.state.store.session() as session:  # type: ignore[attr-defined]
        admin_id = session.scalars(
            select(ApiKey.id).where(ApiKey.tenant_id == "acme", ApiKey.name == "admin")
        ).one()
    assert rejected["status"] == "rejected" and rejected["reviewed_by"] == f"api:key {admin_id}"
    assert accepted.json()["draft"]["reviewed_by"] == f"api:key {admin_id}"
    again = client.post("/v1/drafts/mine", json={}, headers=admin).json()
    assert (again["created"], again["kept_rejected"], again["updated"]) == (0, 1, 2)
    pending = client.get("/v1/drafts", params={"status": "pending"}, headers=admin).json()
    assert [d["usage_count"] for d in pending["items"]] == [6]


def test_drafts_need_an_admin_key_of_their_own_tenant(client: TestClient) -> None:
    keys = _keys(client)
    _history(client.app.state.store, "acme", [_ticket(n, INVOICE) for n in range(3)])  # type: ignore[attr-defined]
    admin, agent = bearer(keys["acme"]["admin"]), bearer(keys["acme"]["agent"])
    assert client.post("/v1/drafts/mine", json={}, headers=agent).status_code == 403
    assert client.get("/v1/drafts", headers=agent).status_code == 403
    client.post("/v1/drafts/mine", json={}, headers=admin)
    [draft] = client.get("/v1/drafts", headers=admin).json()["items"]
    assert client.post(f"/v1/drafts/{draft['id']}/accept", headers=agent).status_code == 403
    other = bearer(keys["other"]["admin"])
    assert client.get("/v1/drafts", headers=other).json()["total"] == 0
    assert client.get(f"/v1/drafts/{draft['id']}", headers=other).status_code == 404
    assert client.post(f"/v1/drafts/{draft['id']}/reject", headers=other).status_code == 404
    assert client.get(f"/v1/drafts/{draft['id']}", headers=admin).json()["status"] == "pending"
    bad = client.post("/v1/drafts/mine", json={"threshold": 1.5, "min_uses": 0}, headers=admin)
    assert bad.status_code == 422 and {p["field"] for p in bad.json()["problems"]} == {
        "threshold",
        "min_uses",
    }


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


@pytest.mark.usefixtures("fake_backend")
def test_cli_mines_lists_shows_accepts_and_rejects(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    store = Store(make_engine(database_url(get_settings())))
    with store.session() as session:
        ensure_tenant(session, "acme")
    _history(
        store, "acme", [_ticket(n, INVOICE) for n in range(5)] + [_ticket(n, VISIT) for n in range(5, 8)]
    )
    store.close()

    code, out = _cli("mine", "--tenant", "acme", "--threshold", "0.9")
    assert code == 0, out
    assert re.search(r"│\s*created\s*│\s*2\s*│", out) and "pending drafts of acme (2 in all)" in out
    code, out = _cli("drafts", "list", "--tenant", "acme")
    assert "invoice_question" in out and "[DATE]" in out
    code, out = _cli("drafts", "show", "2", "--tenant", "acme")
    assert code == 0 and "on [DATE] between 8 and 12" in out and "no date variable" in out

    code, err = run_main(monkeypatch, capsys, "drafts", "accept", "2", "--tenant", "acme")
    assert code == 2 and "still contains [DATE]" in err
    edited = tmp_path / "body.txt"
    edited.write_text("Hi {{ customer_first_name }}, our engineer will call you to plan a visit.\n")
    code, out = _cli("drafts", "accept", "2", "--tenant", "acme", "--body-file", str(edited))
    assert code == 0, out
    assert "published as canned response mined-invoice_question-en-2" in out
    assert _cli("drafts", "reject", "1", "--tenant", "acme")[0] == 0
    code, out = _cli("drafts", "list", "--tenant", "acme", "--status", "all")
    assert "accepted" in out and "rejected" in out and "pending" not in out
