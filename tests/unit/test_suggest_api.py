"""/v1/suggest, /v1/suggest/batch, /v1/feedback, /v1/settings/hours and /metrics over HTTP, with the
fake embedder: shapes, scopes, tenant isolation, and a clear 4xx for every kind of bad input."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.logging_setup import configure_logging
from kb.library import Library
from kb.store.tenants import create_key, ensure_tenant
from suggest.config import load_settings
from suggest.embed.fake import HashingEmbedder
from tests.kb_helpers import add
from tests.suggest_helpers import HOURS, REPLIES, TENANT, make_engine

REFUND = {"ticket": {"id": "T-1", "text": "I want a refund for my order, please refund my money"}}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = load_settings(data_dir=tmp_path, embed_backend="fake", batch_max=3, max_body_bytes=20_000)
    app = create_app(settings, embedder_factory=HashingEmbedder)
    with TestClient(app) as client:
        assert app.state.runtime.wait(10)
        library = Library(app.state.store, app.state.runtime.embedder, tmp_path / "index")
        with app.state.store.session() as session:
            ensure_tenant(session, TENANT)
            ensure_tenant(session, "other")
        add(library, TENANT, *REPLIES)
        library.index.refresh(TENANT)
        app.state.library = library
        app.state.engine = make_engine(library)  # the small intent model trained for the tests
        yield client


def keys(client: TestClient) -> dict[str, str]:
    with client.app.state.store.session() as session:  # type: ignore[attr-defined]
        return {
            "agent": create_key(session, TENANT, "a", ["agent"]),
            "admin": create_key(session, TENANT, "b", ["admin"]),
            "other": create_key(session, "other", "c", ["agent"]),
        }


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def suggest(client: TestClient, key: str, body: dict[str, Any]) -> Any:
    response = client.post("/v1/suggest", json=body, headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()


def test_suggest_returns_analysis_suggestions_and_escalation(client: TestClient) -> None:
    key = keys(client)["agent"]
    response = client.post("/v1/suggest", json=REFUND, headers=auth(key) | {"X-Request-ID": "abc123"})
    assert response.status_code == 200
    body = response.json()
    assert response.headers["X-Request-ID"] == "abc123" == body["request_id"]
    assert body["analysis"]["intent"]["label"] == "refund"
    assert body["escalation"] == body["analysis"]["escalation"]
    first = body["suggestions"][0]
    assert first["id"].startswith("sg_") and first["kind"] == "canned"
    assert {"text", "score", "language", "missing_variables", "explanation"} <= set(first)
    assert first["explanation"]["why"]
    assert body["versions"]["embedder"] == "hashing-fake-384" and body["versions"]["index"]


def test_suggest_needs_an_agent_key(client: TestClient) -> None:
    assert client.post("/v1/suggest", json=REFUND).status_code == 401
    assert client.post("/v1/suggest", json=REFUND, headers=auth("rk_nope")).status_code == 401


def test_another_tenant_never_gets_this_tenants_replies(client: TestClient) -> None:
    other = suggest(client, keys(client)["other"], REFUND)
    assert other["suggestions"] == [] and other["abstained"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ticket": {"text": "   \n "}}, None),
        ({"ticket": {"text": "<p>&nbsp;</p>", "html": True}}, None),
        ({"ticket": {"text": 42}}, "ticket.text"),
        ({"ticket": {"text": "refund"}, "k": 0}, "k"),
        ({"ticket": {"text": "refund"}, "k": "three"}, "k"),
        ({"ticket": {"text": "refund", "thread_count": -1}}, "ticket.thread_count"),
        ({"ticket": {"text": "refund"}, "history": [{"author": "bot", "text": "hi"}]}, "history.0.author"),
        ({"ticket": {"text": "refund"}, "surprise": 1}, "surprise"),
        ({}, "ticket"),
    ],
)
def test_bad_input_is_a_422_that_names_the_problem(
    client: TestClient, body: dict[str, Any], field: str | None
) -> None:
    response = client.post("/v1/suggest", json=body, headers=auth(keys(client)["agent"]))
    assert response.status_code == 422, response.text
    if field is None:
        assert "no text to analyse" in response.json()["detail"]
    else:
        assert field in [p["field"] for p in response.json()["problems"]]


def test_non_json_bodies_are_422_not_500(client: TestClient) -> None:
    headers = auth(keys(client)["agent"])
    for content, kind in ((b"{not json", "application/json"), (b"<html>refund</html>", "text/html")):
        response = client.post("/v1/suggest", content=content, headers=headers | {"Content-Type": kind})
        assert response.status_code == 422, response.text


def test_a_body_over_the_limit_is_413_before_parsing(client: TestClient) -> None:
    headers = auth(keys(client)["agent"])
    big = {"ticket": {"text": "refund " * 5_000}}
    response = client.post("/v1/suggest", json=big, headers=headers)
    assert response.status_code == 413 and response.json()["error"] == "PayloadTooLarge"

    def chunks() -> Iterator[bytes]:  # no Content-Length: the streamed size is counted
        yield b'{"ticket": {"text": "'
        for _ in range(30):
            yield b"refund " * 200
        yield b'"}}'

    streamed = client.post(
        "/v1/suggest", content=chunks(), headers=headers | {"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413 and streamed.json()["error"] == "PayloadTooLarge"
    assert "20,000-byte limit" in streamed.json()["detail"]


def test_batch_keeps_order_and_reports_bad_tickets_in_place(client: TestClient) -> None:
    body = {"tickets": [REFUND, {"ticket": {"text": " "}}, {"ticket": {"text": "change my password"}}]}
    response = client.post("/v1/suggest/batch", json=body, headers=auth(keys(client)["agent"]))
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["index"] for r in results] == [0, 1, 2]
    assert results[1]["result"] is None and "no text" in results[1]["error"]
    assert results[2]["result"]["analysis"]["intent"]["label"] == "password"


def test_batch_size_is_limited(client: TestClient) -> None:
    body = {"tickets": [REFUND] * 4}
    response = client.post("/v1/suggest/batch", json=body, headers=auth(keys(client)["agent"]))
    assert response.status_code == 422 and "at most 3 tickets, got 4" in response.json()["detail"]
    empty = client.post("/v1/suggest/batch", json={"tickets": []}, headers=auth(keys(client)["agent"]))
    assert empty.status_code == 422


def test_feedback_is_recorded_once_and_checked(client: TestClient) -> None:
    k = keys(client)
    shown = suggest(client, k["agent"], REFUND)["suggestions"][0]
    event = {
        "event_id": "e1",
        "suggestion_id": shown["id"],
        "action": "edited",
        "final_text": shown["text"] + "!",
    }
    first = client.post("/v1/feedback", json=event, headers=auth(k["agent"]))
    assert first.status_code == 200 and first.json()["recorded"] is True
    assert 0 < first.json()["edit_distance"] < 0.05
    again = client.post("/v1/feedback", json=event, headers=auth(k["agent"]))
    assert again.json()["recorded"] is False
    changed = client.post("/v1/feedback", json=event | {"action": "rejected"}, headers=auth(k["agent"]))
    assert changed.status_code == 409
    no_text = client.post(
        "/v1/feedback", json=event | {"event_id": "e2", "final_text": None}, headers=auth(k["agent"])
    )
    assert no_text.status_code == 422
    stranger = client.post("/v1/feedback", json=event | {"event_id": "e3"}, headers=auth(k["other"]))
    assert stranger.status_code == 404  # another tenant's suggestion does not exist for it
    unknown = client.post(
        "/v1/feedback", json=event | {"event_id": "e4", "suggestion_id": "sg_x"}, headers=auth(k["agent"])
    )
    assert unknown.status_code == 404
    bad = client.post("/v1/feedback", json=event | {"action": "liked"}, headers=auth(k["agent"]))
    assert bad.status_code == 422 and bad.json()["problems"][0]["field"] == "action"


def test_service_hours_are_admin_settings_that_reply_wording_uses(client: TestClient) -> None:
    k = keys(client)
    assert client.get("/v1/settings/hours", headers=auth(k["agent"])).status_code == 404
    body = HOURS.model_dump(mode="json")
    assert client.put("/v1/settings/hours", json=body, headers=auth(k["agent"])).status_code == 403
    assert client.put("/v1/settings/hours", json=body, headers=auth(k["admin"])).status_code == 200
    assert client.get("/v1/settings/hours", headers=auth(k["agent"])).json() == body
    assert client.get("/v1/settings/hours", headers=auth(k["other"])).status_code == 404
    bad = client.put(
        "/v1/settings/hours",
        json=body | {"timezone": "Mars/Olympus", "weekly": {"mon": ["9-5"]}},
        headers=auth(k["admin"]),
    )
    assert bad.status_code == 422
    messages = " ".join(p["message"] for p in bad.json()["problems"])
    assert "unknown time zone 'Mars/Olympus'" in messages and "'HH:MM-HH:MM'" in messages
    delivery = {"ticket": {"id": "T-9", "text": "where is my parcel delivery, the parcel is late"}}
    texts = [s["text"] for s in suggest(client, k["agent"], delivery)["suggestions"]]
    assert "Ticket T-9: your parcel delivery is on its way; we answer within 4 hours." in texts


def test_metrics_count_suggestions_abstentions_and_versions(client: TestClient) -> None:
    k = keys(client)["agent"]
    suggest(client, k, REFUND)
    suggest(client, k, {"ticket": {"text": "the weather is nice today"}})
    text = client.get("/metrics").text
    assert 'replykit_tickets_total{endpoint="suggest"} 2.0' in text
    assert "replykit_abstentions_total 1.0" in text
    assert 'replykit_suggestions_total{kind="canned"}' in text
    assert 'replykit_versions_info{embedder="hashing-fake-384"' in text and f'tenant="{TENANT}"' in text
    assert 'replykit_http_request_duration_seconds_count{handler="/v1/suggest",method="POST"} 2.0' in text


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Puts the root logger back as it was after a test that configures the server's logging."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    yield
    root.handlers, root.level = saved[0], saved[1]


def test_metrics_can_require_a_token(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, embed_backend="fake", metrics_token="s3cret")
    with TestClient(create_app(settings, embedder_factory=HashingEmbedder)) as guarded:
        assert guarded.get("/metrics").status_code == 401
        assert guarded.get("/metrics", headers=auth("wrong")).status_code == 401
        assert guarded.get("/metrics", headers=auth("s3cret")).status_code == 200


def test_logs_are_json_with_the_request_id_and_no_ticket_text(
    client: TestClient, capfd: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    configure_logging("info")  # here, not in a fixture: the handler writes to this test's stderr
    secret = "Papadopoulou refund my money for order 5512"
    client.post(
        "/v1/suggest",
        json={"ticket": {"text": secret}, "customer": {"name": "Maria Papadopoulou"}},
        headers=auth(keys(client)["agent"]) | {"X-Request-ID": "req-42"},
    )
    lines = [json.loads(line) for line in capfd.readouterr().err.splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("logger") == "replykit.access"]
    assert access and access[-1]["request_id"] == "req-42" and access[-1]["route"] == "/v1/suggest"
    assert access[-1]["status"] == 200 and access[-1]["ms"] > 0
    assert not any("Papadopoulou" in json.dumps(line) or "5512" in json.dumps(line) for line in lines)
