"""``Pipeline.analyze`` and ``analyze_many`` end to end on the fake embedder, with a small trained
intent model and emotion heads fitted on the support examples."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from suggest.analysis.policy import load_policy
from suggest.analysis.text import MAX_ANALYSED_CHARS
from suggest.analysis.types import EMOTIONS, Analysis, Ticket
from suggest.embed.fake import HashingEmbedder
from suggest.errors import InputError
from suggest.pipeline import Pipeline
from suggest.protocols import TextKind
from tests.analysis_helpers import fake_embedder, support_emotion_model, trained_intent

EN = "Hello, my parcel delivery is late again. Where is my parcel? I ordered it two weeks ago."
NL = (
    "Hallo, mijn pakket is nog niet bezorgd. Wanneer komt het pakket aan? "
    "Ik heb het twee weken geleden besteld."
)
EL = "Γεια σας, το δέμα μου δεν έχει φτάσει ακόμα. Πότε θα έρθει; Το παρήγγειλα πριν από δύο εβδομάδες."
FAILURE_CODE = "analysis_unavailable"


class CountingEmbedder:
    """The fake embedder, recording each call's texts."""

    def __init__(self) -> None:
        self.inner = HashingEmbedder()
        self.name = self.inner.name
        self.dim = self.inner.dim
        self.calls: list[list[str]] = []

    def embed(self, texts: Sequence[str], kind: TextKind = "query") -> np.ndarray:
        self.calls.append(list(texts))
        return self.inner.embed(texts, kind)


class BrokenEmbedder:
    name = "broken"
    dim = 384

    def embed(self, texts: Sequence[str], kind: TextKind = "query") -> np.ndarray:
        raise RuntimeError("the accelerator went away")


class NanEmbedder:
    name = "nan"
    dim = 384

    def embed(self, texts: Sequence[str], kind: TextKind = "query") -> np.ndarray:
        return np.full((len(texts), self.dim), np.nan, dtype=np.float32)


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline(fake_embedder(), trained_intent().model, support_emotion_model(), load_policy())


def analysis(result: Analysis | InputError) -> Analysis:
    assert isinstance(result, Analysis), result
    return result


def codes(result: Analysis) -> set[str]:
    return {reason.code for reason in result.escalation.reasons}


# --- result fields ------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "language"), [(EN, "en"), (NL, "nl"), (EL, "el")], ids=["en", "nl", "el"])
def test_language_is_detected(pipeline: Pipeline, text: str, language: str) -> None:
    result = pipeline.analyze(Ticket(id="t", text=text))
    assert result.language == language
    assert result.language_source == "detected"
    assert result.notes == []


def test_short_text_takes_the_customers_language(pipeline: Pipeline) -> None:
    result = pipeline.analyze(Ticket(text="Dank je!", language="nl"))
    assert (result.language, result.language_source) == ("nl", "fallback")
    assert [n.code for n in result.notes] == ["language_fallback"]


def test_short_text_without_a_known_language_takes_the_default(pipeline: Pipeline) -> None:
    result = pipeline.analyze(Ticket(text="ok thx"))
    assert (result.language, result.language_source) == ("en", "fallback")


def test_fields_of_a_normal_ticket(pipeline: Pipeline) -> None:
    result = pipeline.analyze(Ticket(id="T-1", text="my parcel delivery is late"))
    assert result.id == "T-1"
    assert result.intent is not None and result.intent.label == "delivery"
    assert 0.0 <= result.intent.confidence <= 1.0 and len(result.intent.top) == 3
    assert result.sentiment is not None and result.sentiment.label in ("negative", "neutral", "positive")
    assert 0.0 <= result.sentiment.score <= 1.0
    assert set(result.emotions) == set(EMOTIONS)
    assert all(0.0 <= v <= 1.0 for v in result.emotions.values())
    assert result.analysed_chars == len("my parcel delivery is late")
    assert result.model["embedder"] == "hashing-fake-384"
    assert result.model["intent"] == trained_intent().model.version


def test_html_and_quoted_history_are_noted_and_left_out(pipeline: Pipeline) -> None:
    html = "<div>my parcel delivery is late</div><blockquote>Your invoice is attached.</blockquote>"
    result = pipeline.analyze(Ticket(text=html))
    assert [n.code for n in result.notes][:2] == ["html_stripped", "quoted_history_removed"]
    assert result.analysed_chars == len("my parcel delivery is late")
    assert result.intent is not None and result.intent.label == "delivery"


def test_plain_text_quoted_history_is_noted(pipeline: Pipeline) -> None:
    text = f"{EN}\n\nOn Mon, 1 Jan 2024 at 10:00, Shop <s@shop.com> wrote:\n> I will call my lawyer"
    result = pipeline.analyze(Ticket(text=text))
    assert "quoted_history_removed" in [n.code for n in result.notes]
    assert result.analysed_chars == len(EN)
    assert "legal_threat" not in codes(result)


def test_subject_is_analysed_too(pipeline: Pipeline) -> None:
    result = pipeline.analyze(Ticket(text="It is not here yet.", subject="Smoke from the inverter"))
    assert result.analysed_chars == len("Smoke from the inverter\n\nIt is not here yet.")
    assert "safety_hazard" in codes(result) and result.escalation.priority == "urgent"


def test_ticket_metadata_reaches_the_escalation_policy(pipeline: Pipeline) -> None:
    result = pipeline.analyze(Ticket(text="my parcel delivery is late", customer_tier="VIP", thread_count=3))
    assert {"vip_customer", "repeat_contact"} <= codes(result)
    assert result.escalation.escalate


# --- empty and odd input ------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n ", "<p> </p>", "> only quoted history"])
def test_an_empty_ticket_is_an_input_error(pipeline: Pipeline, text: str) -> None:
    with pytest.raises(InputError, match="ticket 'E-1' has no text to analyse"):
        pipeline.analyze(Ticket(id="E-1", text=text))


def test_analyze_many_keeps_errors_in_place() -> None:
    embedder = CountingEmbedder()
    pipe = Pipeline(embedder, trained_intent().model, support_emotion_model(), load_policy())
    results = pipe.analyze_many(
        [
            Ticket(id="a", text="my parcel delivery is late"),
            Ticket(id="b", text="  "),
            Ticket(id="c", text="I forgot my password"),
        ]
    )
    assert len(results) == 3
    first, second, third = results
    assert analysis(first).id == "a" and analysis(first).intent is not None
    assert isinstance(second, InputError) and "'b'" in str(second)
    assert analysis(third).id == "c"
    third_intent = analysis(third).intent
    assert third_intent is not None and third_intent.label == "password"
    assert embedder.calls == [["my parcel delivery is late", "I forgot my password"]]  # one batch


def test_a_ticket_with_two_listed_requests_is_multiple_intents() -> None:
    embedder = CountingEmbedder()
    pipe = Pipeline(embedder, trained_intent().model, support_emotion_model(), load_policy())
    listed = "Hi, two things: 1) please refund my money 2) I forgot my password"
    several, plain = (
        analysis(r)
        for r in pipe.analyze_many([Ticket(text=listed), Ticket(text="my parcel delivery is late")])
    )
    reasons = {r.code: r.evidence for r in several.escalation.reasons}
    assert reasons["multiple_intents"] == (
        "several requests: 'refund': please refund my money; 'password': I forgot my password"
    )
    assert several.escalation.priority == "normal"
    assert "multiple_intents" not in codes(plain)
    # the ticket batch, then one batch with the parts of the only ticket laid out as several
    assert embedder.calls == [
        [listed, "my parcel delivery is late"],
        ["please refund my money", "I forgot my password"],
    ]


def test_a_list_of_one_request_is_not_multiple_intents() -> None:
    embedder = CountingEmbedder()
    pipe = Pipeline(embedder, trained_intent().model, support_emotion_model(), load_policy())
    text = "1. please refund my money\n2. refund the payment now"
    result = pipe.analyze(Ticket(text=text))
    assert "multiple_intents" not in codes(result)
    assert embedder.calls[1] == ["please refund my money", "refund the payment now"]  # it was split


def test_a_listed_ticket_with_one_substantial_part_is_not_embedded_again() -> None:
    embedder = CountingEmbedder()
    pipe = Pipeline(embedder, trained_intent().model, support_emotion_model(), load_policy())
    pipe.analyze(Ticket(text="1. please refund my money\n2. thanks"))
    assert len(embedder.calls) == 1


def test_analyze_many_with_only_empty_tickets_does_not_embed() -> None:
    embedder = CountingEmbedder()
    pipe = Pipeline(embedder, trained_intent().model, support_emotion_model(), load_policy())
    results = pipe.analyze_many([Ticket(text=""), Ticket(text=" ")])
    assert all(isinstance(r, InputError) for r in results)
    assert embedder.calls == []
    assert pipe.analyze_many([]) == []


def test_emoji_only_ticket_has_no_intent_and_no_exception(pipeline: Pipeline) -> None:
    result = pipeline.analyze(Ticket(id="e", text="😡😡😡 👎"))
    assert result.intent is not None
    assert result.intent.label is None
    assert result.intent.reason == "out of scope: the text has no words to classify"
    assert "no_letters" in [n.code for n in result.notes]
    assert "low_confidence" not in codes(result)


def test_a_huge_ticket_is_truncated(pipeline: Pipeline) -> None:
    text = ("my parcel delivery is late and nobody tells me anything. " * 20_000)[:1_000_000]
    assert len(text) == 1_000_000
    result = pipeline.analyze(Ticket(id="big", text=text))
    assert "truncated" in [n.code for n in result.notes]
    assert result.analysed_chars <= MAX_ANALYSED_CHARS
    assert result.intent is not None and result.intent.label == "delivery"


# --- failures -----------------------------------------------------------------------------------


def test_a_failing_embedder_escalates_every_ticket_and_keywords_still_fire() -> None:
    pipe = Pipeline(BrokenEmbedder(), trained_intent().model, support_emotion_model(), load_policy())
    results = [
        analysis(r)
        for r in pipe.analyze_many(
            [
                Ticket(id="smoke", text="There is smoke coming out of my inverter"),
                Ticket(id="calm", text="my parcel delivery is late"),
            ]
        )
    ]
    for result in results:
        assert result.intent is None
        assert result.sentiment is None and result.emotions == {}
        assert result.escalation.escalate
        assert FAILURE_CODE in codes(result)
        failure = next(r for r in result.escalation.reasons if r.code == FAILURE_CODE)
        assert "RuntimeError" in failure.evidence
    smoke, calm = results
    assert codes(smoke) == {FAILURE_CODE, "safety_hazard"}
    assert smoke.escalation.priority == "urgent"
    assert codes(calm) == {FAILURE_CODE}
    assert calm.escalation.priority == "high"


def test_a_failing_embedder_in_analyze_does_not_raise() -> None:
    pipe = Pipeline(BrokenEmbedder(), trained_intent().model, support_emotion_model(), load_policy())
    result = pipe.analyze(Ticket(text="Ik ga naar de rechter"))
    assert codes(result) == {FAILURE_CODE, "legal_threat"}


def test_non_finite_embeddings_count_as_a_failure() -> None:
    pipe = Pipeline(NanEmbedder(), trained_intent().model, support_emotion_model(), load_policy())
    result = pipe.analyze(Ticket(text="my parcel delivery is late"))
    assert result.intent is None
    assert FAILURE_CODE in codes(result)


def test_without_an_intent_model_the_intent_says_so() -> None:
    pipe = Pipeline(fake_embedder(), None, support_emotion_model(), load_policy())
    result = pipe.analyze(Ticket(text="my parcel delivery is late"))
    assert result.intent is not None and result.intent.label is None
    assert "no intent model is trained yet" in result.intent.reason
    assert "low_confidence" not in codes(result)
    assert result.model["intent"] == "none"


def test_without_an_emotion_model_the_analysis_is_incomplete() -> None:
    pipe = Pipeline(fake_embedder(), trained_intent().model, None, load_policy())
    result = pipe.analyze(Ticket(text="my parcel delivery is late"))
    assert result.sentiment is None and result.emotions == {}
    assert result.intent is not None and result.intent.label == "delivery"
    assert {r.code: r.evidence for r in result.escalation.reasons}[
        FAILURE_CODE
    ] == "no emotion model is loaded"
    assert result.model["emotion"] == "none"


# --- the output record --------------------------------------------------------------------------


def test_to_record_has_the_documented_shape(pipeline: Pipeline) -> None:
    record = pipeline.analyze(Ticket(id="T-9", text="There is smoke coming out of my inverter")).to_record()
    assert {"id", "language", "intent", "sentiment", "emotions", "escalation", "notes"} <= set(record)
    assert record["id"] == "T-9"
    assert record["language"] == "en"
    intent = record["intent"]
    assert isinstance(intent, dict) and set(intent) == {"label", "confidence", "top", "reason"}
    assert all(set(entry) == {"label", "confidence"} for entry in intent["top"])
    sentiment = record["sentiment"]
    assert isinstance(sentiment, dict) and set(sentiment) == {"label", "score"}
    emotions = record["emotions"]
    assert isinstance(emotions, dict) and set(emotions) == set(EMOTIONS)
    escalation = record["escalation"]
    assert isinstance(escalation, dict) and set(escalation) == {"escalate", "priority", "reasons"}
    assert escalation["escalate"] is True and escalation["priority"] == "urgent"
    assert {"code": "safety_hazard", "evidence": "There is smoke coming out of my inverter"} in escalation[
        "reasons"
    ]
