"""Suggestions with the real model over the API, on the demo tenant: the right reply first, in the
customer's language, personalised; the safety acknowledgement first for a safety ticket; nothing
for chit-chat. ``python -m eval.eval_suggest`` measures the same on all held-out tickets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from kb.demo import DEMO_TENANT, load_demo
from kb.library import Library
from kb.store.tenants import create_key
from suggest.config import load_settings
from suggest.protocols import Embedder


@pytest.fixture(scope="module")
def agent(serving_embedder: Embedder, demo_data: tuple[Path, dict[str, Any]]) -> Iterator[TestClient]:
    data_dir, _ = demo_data
    settings = load_settings(data_dir=data_dir, model_path=None)
    app = create_app(settings, embedder_factory=lambda: serving_embedder)
    with TestClient(app) as client:
        assert app.state.runtime.wait(60)
        load_demo(Library(app.state.store, serving_embedder, data_dir / "index"))
        with app.state.store.session() as session:
            key = create_key(session, DEMO_TENANT, "slow test", ["agent"])
        client.headers["Authorization"] = f"Bearer {key}"
        yield client


def suggest(client: TestClient, text: str, **extra: Any) -> dict[str, Any]:
    body = {
        "ticket": {"id": "48213", "text": text},
        "customer": {"name": "Maria Papadopoulou", "order_number": "HP-2026-1187"},
        "agent": {"name": "Daan"},
    } | extra
    response = client.post("/v1/suggest", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        (
            "Hello, my HX5.0 inverter shows error E07 and an orange light since this afternoon. "
            "What should I do?",
            "en",
            {"resolution-inverter-restart", "request-info-inverter-error"},
        ),
        (
            "Hoi, ik heb een vraag over mijn factuur. Kan ik het bedrag in termijnen betalen?",
            "nl",
            {"answer-invoice"},
        ),
        (
            "Γεια σας, η εφαρμογή δεν δείχνει δεδομένα από χθες, το WiFi άλλαξε. Τι να κάνω;",
            "el",
            {"resolution-monitoring-wifi"},
        ),
    ],
)
def test_the_right_reply_comes_first_in_the_customers_language(
    agent: TestClient, text: str, language: str, expected: set[str]
) -> None:
    result = suggest(agent, text)
    first = result["suggestions"][0]
    assert first["source_id"] in expected, [s["source_id"] for s in result["suggestions"]]
    assert first["language"] == language and not first["language_fallback"]
    assert "Maria" in first["text"]
    assert first["missing_variables"] == [] and "[missing:" not in first["text"]
    assert first["explanation"]["intent"] and first["explanation"]["why"].startswith("It answers")


def test_a_safety_ticket_gets_the_safety_acknowledgement_first(agent: TestClient) -> None:
    result = suggest(agent, "There is a burning smell and smoke coming from the inverter in my garage!")
    assert result["escalation"]["escalate"]
    first = result["suggestions"][0]
    assert first["source_id"] == "safety-urgent" and first["explanation"]["escalation_first"]
    assert not any(s["auto_send"] for s in result["suggestions"])


def test_chit_chat_gets_no_suggestion(agent: TestClient) -> None:
    result = suggest(agent, "@Helioport who wins tonight, Ajax or Feyenoord? ⚽")
    assert result["suggestions"] == [] and result["abstained"]
