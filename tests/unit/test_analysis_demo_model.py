"""``ensure_demo_intent`` trains the demo model once, and again when the shipped tickets change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.analysis_helpers import INTENT_EXAMPLES, fake_embedder
from training import demo


@pytest.fixture
def tickets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Small stand-in demo ticket files: four intents, a few tickets each, in every language."""
    folder = tmp_path / "tickets"
    folder.mkdir()
    for language in demo.LANGUAGES:
        rows = [
            {"language": language, "text": text, "subject": None, "intent": intent}
            for intent, texts in INTENT_EXAMPLES.items()
            for text in texts[:5]
        ]
        (folder / f"{language}.train.jsonl").write_text(
            "".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8"
        )
    monkeypatch.setattr(demo, "TICKETS", folder)
    return folder


def test_the_model_is_trained_once_and_then_kept(tickets: Path, tmp_path: Path) -> None:
    report = demo.ensure_demo_intent(tmp_path / "data", fake_embedder())
    assert report is not None and report["intents"] == 4
    assert demo.ensure_demo_intent(tmp_path / "data", fake_embedder()) is None


def test_changed_demo_tickets_train_the_model_again(tickets: Path, tmp_path: Path) -> None:
    assert demo.ensure_demo_intent(tmp_path / "data", fake_embedder()) is not None
    with (tickets / "nl.train.jsonl").open("a", encoding="utf-8") as f:
        f.write(json.dumps({"language": "nl", "text": "waar is mijn pakket", "intent": "delivery"}) + "\n")
    again = demo.ensure_demo_intent(tmp_path / "data", fake_embedder())
    assert again is not None and again["per_intent"]["delivery"] == 16
    assert demo.ensure_demo_intent(tmp_path / "data", fake_embedder()) is None


def test_force_retrains_unchanged_tickets(tickets: Path, tmp_path: Path) -> None:
    demo.ensure_demo_intent(tmp_path / "data", fake_embedder())
    assert demo.ensure_demo_intent(tmp_path / "data", fake_embedder(), force=True) is not None
