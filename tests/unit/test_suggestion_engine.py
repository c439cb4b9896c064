"""The engine end to end on the fake embedder: retrieval, ranking, rendering, explanation, logging."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from kb.db.schema import ServedSuggestion, Tenant
from kb.library import Library
from kb.store.feedback import FeedbackEvent, record_feedback
from suggest.analysis.policy import load_policy
from suggest.embed.fake import HashingEmbedder
from suggest.errors import InputError, NotFoundError
from suggest.pipeline import Pipeline
from suggest.protocols import TextKind
from suggest.suggestions.engine import FAILED
from suggest.suggestions.types import SuggestResult
from tests.analysis_helpers import support_emotion_model, trained_intent
from tests.suggest_helpers import TENANT, make_engine, make_tenant, request

REFUND = "I want a refund for my order, please refund my money"


@pytest.fixture
def library(tmp_path: Path) -> Library:
    return make_tenant(tmp_path)


def ids(result: SuggestResult) -> list[str]:
    return [s.source_id for s in result.suggestions]


def test_the_reply_for_the_tickets_intent_comes_first_personalised(library: Library) -> None:
    result = make_engine(library).suggest(
        TENANT,
        request(REFUND, customer={"name": "Maria Papadopoulou"}, agent={"name": "Daan"}),
        "req-1",
    )
    assert result.analysis.intent is not None and result.analysis.intent.label == "refund"
    top = result.suggestions[0]
    assert top.source_id in {"refund-policy", "refund-form"}
    assert top.text is not None and top.text.startswith("Hi Maria,")
    assert top.missing_variables == [] and not top.language_fallback
    assert top.explanation.intent == "refund" and "It answers refund" in top.explanation.why
    assert top.explanation.prior == 0.5
    assert "ack-auto" not in ids(result)  # the auto-reply pipeline's messages are not offered to agents
    assert len(set(ids(result))) == len(ids(result))


def test_every_suggestion_shown_is_logged_under_its_id(library: Library) -> None:
    result = make_engine(library).suggest(TENANT, request(REFUND), "req-2")
    with library.store.session() as session:
        rows = session.scalars(select(ServedSuggestion).where(ServedSuggestion.request_id == "req-2")).all()
        logged = {r.id: (r.group, r.rank, r.intent) for r in rows}
    assert logged == {
        s.id: (s.source_id, rank, "refund") for rank, s in enumerate(result.suggestions, start=1)
    }


def test_a_missing_variant_falls_back_to_the_tenant_language_and_is_flagged(library: Library) -> None:
    dutch = "Ik wil mijn geld terug, graag een refund voor mijn bestelling, refund my money"
    result = make_engine(library).suggest(TENANT, request(dutch, ticket={"language": "nl"}, k=5), "r")
    assert result.analysis.language == "nl"
    by_id = {s.source_id: s for s in result.suggestions}
    assert by_id["refund-policy"].language == "nl" and not by_id["refund-policy"].language_fallback
    assert by_id["refund-form"].language == "en" and by_id["refund-form"].language_fallback
    assert not by_id["refund-form"].auto_send


def test_a_short_ticket_is_read_in_the_tenants_language(library: Library) -> None:
    with library.store.session() as session:
        session.get(Tenant, TENANT).default_language = "nl"  # type: ignore[union-attr]
    result = make_engine(library).suggest(TENANT, request("refund"), "r")
    assert result.analysis.language == "nl" and result.analysis.language_source == "fallback"


def test_missing_values_are_marked_and_listed_never_blank(library: Library) -> None:
    result = make_engine(library).suggest(TENANT, request(REFUND), "r")
    policy = next(s for s in result.suggestions if s.source_id == "refund-policy")
    assert sorted(policy.missing_variables) == ["agent_name", "customer_first_name"]
    assert policy.text is not None and "Hi [missing: customer_first_name]," in policy.text
    assert not policy.auto_send


def test_the_response_time_comes_from_the_tenants_hours(library: Library) -> None:
    text = "where is my parcel delivery, the parcel is late"
    result = make_engine(library).suggest(TENANT, request(text, ticket={"id": "T-7"}), "r")
    delivery = next(s for s in result.suggestions if s.source_id == "delivery-status")
    assert delivery.text == "Ticket T-7: your parcel delivery is on its way; we answer within 4 hours."


def test_without_hours_the_response_time_is_missing_not_invented(tmp_path: Path) -> None:
    library = make_tenant(tmp_path, hours=None)
    result = make_engine(library).suggest(
        TENANT, request("where is my parcel delivery", ticket={"id": "1"}), "r"
    )
    delivery = next(s for s in result.suggestions if s.source_id == "delivery-status")
    assert delivery.missing_variables == ["expected_response_time"]


def test_kb_articles_are_suggested_with_url_and_snippet(library: Library) -> None:
    result = make_engine(library).suggest(TENANT, request("track my parcel delivery tracking link"), "r")
    kb = [s for s in result.suggestions if s.kind == "kb"]
    assert kb and kb[0].url == "https://help.example/parcel-tracking" and kb[0].text is None
    assert kb[0].snippet and "Track your parcel" in kb[0].snippet
    assert kb[0].explanation.passage == "parcel tracking › Tracking a parcel"


def test_an_escalated_ticket_gets_the_general_acknowledgement_first_and_nothing_auto_sends(
    library: Library,
) -> None:
    text = "I want a refund NOW or my lawyer will take you to court, this is a disgrace"
    result = make_engine(library).suggest(TENANT, request(text, ticket={"id": "99"}), "r")
    assert result.escalation.escalate
    first = result.suggestions[0]
    assert first.source_id == "sorry-ack" and first.explanation.escalation_first
    assert first.explanation.why.startswith("The ticket needs a person (")
    assert not any(s.auto_send for s in result.suggestions)


def test_only_a_clean_reply_in_the_tickets_language_may_auto_send(library: Library) -> None:
    result = make_engine(library).suggest(TENANT, request("change my password"), "r")
    reset = next(s for s in result.suggestions if s.source_id == "password-reset")
    assert reset.auto_send and not result.escalation.escalate


def test_kb_link_is_only_an_article_good_enough_to_show(library: Library) -> None:
    engine = make_engine(library)
    parcel = engine.suggest(TENANT, request("track my parcel delivery tracking link", k=5), "r")
    assert "kb" in [s.kind for s in parcel.suggestions]
    tracking = next(s for s in parcel.suggestions if s.source_id == "tracking-help")
    assert tracking.text == "Track your parcel delivery here: https://help.example/parcel-tracking"
    invoice = engine.suggest(TENANT, request("send me the invoice copy, invoice pdf download"), "r")
    assert "kb" not in [s.kind for s in invoice.suggestions]
    copy = next(s for s in invoice.suggestions if s.source_id == "invoice-copy")
    assert copy.missing_variables == ["kb_link"] and not copy.auto_send


def test_an_out_of_scope_ticket_gets_no_suggestion_and_the_reason(library: Library) -> None:
    result = make_engine(library).suggest(TENANT, request("the weather is nice today"), "r")
    assert result.suggestions == []
    assert result.abstained is not None
    with library.store.session() as session:
        assert session.scalar(select(func.count()).select_from(ServedSuggestion)) == 0


def test_k_limits_the_list(library: Library) -> None:
    result = make_engine(library).suggest(TENANT, request(REFUND, k=1), "r")
    assert len(result.suggestions) == 1


class CountingEmbedder(HashingEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def embed(self, texts: Sequence[str], kind: TextKind = "query") -> np.ndarray:
        self.calls += 1
        return super().embed(texts, kind)


def test_a_batch_is_embedded_once_and_keeps_bad_tickets_in_place(library: Library) -> None:
    counting = CountingEmbedder()
    pipeline = Pipeline(counting, trained_intent().model, support_emotion_model(), load_policy())
    outcomes = make_engine(library, pipeline).suggest_many(
        TENANT, [request(REFUND), request("  "), request("I forgot my password")], "batch"
    )
    assert isinstance(outcomes[1], InputError)
    assert [
        o.analysis.intent.label for o in outcomes if isinstance(o, SuggestResult) and o.analysis.intent
    ] == [
        "refund",
        "password",
    ]
    assert counting.calls == 1


class BrokenEmbedder(HashingEmbedder):
    def embed(self, texts: Sequence[str], kind: TextKind = "query") -> np.ndarray:
        raise RuntimeError("onnx session died")


def test_a_model_failure_abstains_and_escalates(library: Library) -> None:
    pipeline = Pipeline(BrokenEmbedder(), trained_intent().model, support_emotion_model(), load_policy())
    result = make_engine(library, pipeline).suggest(TENANT, request(REFUND), "r")
    assert result.suggestions == [] and result.abstained == FAILED
    assert result.escalation.escalate


def test_an_unknown_tenant_is_not_found(library: Library) -> None:
    with pytest.raises(NotFoundError, match="no tenant 'nobody'"):
        make_engine(library).suggest("nobody", request(REFUND), "r")


def test_the_ranking_learns_from_feedback(library: Library) -> None:
    engine = make_engine(library)
    before = engine.suggest(TENANT, request(REFUND), "before")
    order = [s.source_id for s in before.suggestions if s.source_id.startswith("refund-")]
    assert len(order) == 2
    first, second = order
    for round_ in range(6):
        shown = {s.source_id: s.id for s in engine.suggest(TENANT, request(REFUND), f"r{round_}").suggestions}
        with library.store.session() as session:
            record_feedback(session, TENANT, FeedbackEvent(f"no-{round_}", shown[first], "rejected"))
            record_feedback(session, TENANT, FeedbackEvent(f"yes-{round_}", shown[second], "sent"))
    after = engine.suggest(TENANT, request(REFUND), "after")
    assert [s.source_id for s in after.suggestions if s.source_id.startswith("refund-")] == [second, first]
    by_id = {s.source_id: s.explanation for s in after.suggestions}
    assert "agents used it 6 of 6 times for this intent" in by_id[second].why
    assert "agents rejected it 6 of 6 times for this intent, so it ranks lower" in by_id[first].why
    assert by_id[second].prior == pytest.approx(7 / 8) and by_id[first].prior == pytest.approx(1 / 8)
