"""Ticket analysis with the real model: shipped emotion heads, the demo intent model, escalation.

The full quality figures come from ``python -m eval.bench_analysis``; these tests guard against a
regression that would make them meaningless (a broken head, a mismatched embedder, lost recall).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from suggest.analysis.emotion import DEFAULT_FOLDER, EmotionModel
from suggest.analysis.intent import IntentModel
from suggest.analysis.policy import default_policy
from suggest.analysis.types import Ticket
from suggest.pipeline import Pipeline
from suggest.protocols import Embedder
from training.demo import PLAIN_INTENTS, demo_tickets, ensure_demo_intent, ticket_text
from training.registry import ModelRegistry


@pytest.fixture(scope="module")
def embedder(serving_embedder: Embedder) -> Embedder:
    return serving_embedder


@pytest.fixture(scope="module")
def pipeline(embedder: Embedder, demo_data: tuple[Path, dict[str, Any]]) -> Pipeline:
    data_dir, report = demo_data
    assert report["intents"] == 28
    assert ensure_demo_intent(data_dir, embedder) is None  # a second call keeps the trained model
    folder = ModelRegistry(data_dir, "demo").current_folder()
    assert folder is not None
    intent = IntentModel.load(folder, embedder)
    return Pipeline(embedder, intent, EmotionModel.load(DEFAULT_FOLDER, embedder), default_policy())


def test_the_shipped_emotion_heads_fit_the_serving_model(embedder: Embedder, pipeline: Pipeline) -> None:
    texts = {
        "This is ABSOLUTELY UNACCEPTABLE, you are useless and I am furious!": "negative",
        "Dit is echt belachelijk, ik ben het spuugzat met jullie!": "negative",
        "Είναι απαράδεκτο, έχω αγανακτήσει με την εξυπηρέτησή σας!": "negative",
        "Thank you so much, the battery works perfectly now, great service!": "positive",
        "Heel erg bedankt, alles werkt weer perfect!": "positive",
        "Σας ευχαριστώ πολύ, όλα λειτουργούν τέλεια!": "positive",
    }
    results = pipeline.analyze_many([Ticket(text=t) for t in texts])
    for (text, expected), result in zip(texts.items(), results, strict=True):
        assert not isinstance(result, Exception)
        assert result.sentiment is not None and result.sentiment.label == expected, text
    angry = results[0]
    assert not isinstance(angry, Exception)
    assert angry.emotions["anger"] > angry.emotions["joy"]


@pytest.mark.parametrize("language", ["en", "nl", "el"])
def test_the_demo_model_classifies_held_out_tickets_in_each_language(
    pipeline: Pipeline, language: str
) -> None:
    rows = [r for r in demo_tickets("test", (language,)) if r["intent"] is not None]
    texts = [ticket_text(r) for r in rows]
    assert pipeline.intent is not None
    results = pipeline.intent.predict(pipeline.embedder.embed(texts, "query"), texts)
    top1 = sum(r.top[0].label == row["intent"] for r, row in zip(results, rows, strict=True)) / len(rows)
    wrong = sum(r.label not in (None, row["intent"]) for r, row in zip(results, rows, strict=True)) / len(
        rows
    )
    assert top1 >= 0.85, f"{language}: top-1 accuracy {top1:.3f} (BENCHMARKS.md records the full figures)"
    assert wrong <= 0.08, f"{language}: {wrong:.3f} of tickets got a wrong label instead of none"


def test_out_of_scope_tickets_mostly_get_no_label_and_say_why(pipeline: Pipeline) -> None:
    """Out-of-scope recall is 0.9 on the demo (BENCHMARKS.md); this guards it from falling back."""
    rows = [r for r in demo_tickets("test") if r["intent"] is None]
    results = pipeline.analyze_many([Ticket(text=ticket_text(r)) for r in rows])
    unlabelled = [r for r in results if not isinstance(r, Exception) and r.intent and r.intent.label is None]
    assert len(unlabelled) / len(rows) >= 0.7, f"{len(unlabelled)} of {len(rows)} out-of-scope tickets"
    assert all(r.intent and r.intent.reason.startswith("out of scope") for r in unlabelled)


@pytest.mark.parametrize("language", ["en", "nl", "el"])
def test_plain_questions_do_not_read_as_angry_in_any_language(pipeline: Pipeline, language: str) -> None:
    """The shipped heads once scored 72 % of plain Dutch questions as angry: the language itself
    read as emotion. Centring on each language's mean fixed that; this keeps it fixed."""
    rows = [r for r in demo_tickets("test", (language,)) if r["intent"] in PLAIN_INTENTS]
    results = [pipeline.analyze(Ticket(text=ticket_text(r))) for r in rows]
    angry = sum(r.emotions["anger"] >= default_policy().thresholds.anger for r in results)
    negative = sum(r.sentiment is not None and r.sentiment.label == "negative" for r in results)
    assert angry / len(rows) <= 0.2, f"{language}: {angry} of {len(rows)} plain questions scored angry"
    assert negative / len(rows) <= 0.2, f"{language}: {negative} of {len(rows)} plain questions negative"


@pytest.mark.parametrize(
    "text",
    [
        "Hi, three things: 1) my invoice shows a cleaning I never booked 2) the charger has a red light "
        "and won't charge 3) please change my e-mail address",
        "Hallo, drie dingen: 1) op mijn factuur staat een reiniging die ik niet heb geboekt 2) de laadpaal "
        "brandt rood en laadt niet 3) graag mijn e-mailadres wijzigen",
    ],
)
def test_a_listed_ticket_with_several_requests_escalates_as_multiple_intents(
    pipeline: Pipeline, text: str
) -> None:
    result = pipeline.analyze(Ticket(text=text))
    reasons = {r.code: r.evidence for r in result.escalation.reasons}
    assert "multiple_intents" in reasons, reasons
    evidence = reasons["multiple_intents"]
    asked = ("invoice_question", "charger_not_working", "update_details")
    assert sum(f"'{label}'" in evidence for label in asked) >= 2, evidence


def test_escalation_end_to_end_in_greek_without_accents(pipeline: Pipeline) -> None:
    urgent = pipeline.analyze(Ticket(text="βγαινει καπνος απο τον μετατροπεα και μυριζει καμενο πλαστικο"))
    assert urgent.escalation.escalate and urgent.escalation.priority == "urgent"
    assert "safety_hazard" in {r.code for r in urgent.escalation.reasons}
    calm = pipeline.analyze(
        Ticket(text="Καλησπέρα, θα ήθελα να κλείσω ραντεβού για καθαρισμό των πάνελ τον επόμενο μήνα.")
    )
    assert not calm.escalation.escalate, calm.escalation.reasons


def test_model_files_are_checked(tmp_path: Path, embedder: Embedder) -> None:
    import shutil

    from suggest.errors import ModelCacheError

    copy = tmp_path / "emotion"
    shutil.copytree(DEFAULT_FOLDER, copy)
    weights = copy / "weights.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelCacheError, match="sha256"):
        EmotionModel.load(copy, embedder)
