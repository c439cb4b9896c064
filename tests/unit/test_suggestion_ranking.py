"""The ranker: blend of intent, similarity and feedback; one per reply; abstention; escalation first."""

from __future__ import annotations

import pytest

from kb.store.feedback import Acceptance
from suggest.analysis.types import Analysis, Escalation, IntentResult, Reason
from suggest.suggestions.explain import explain
from suggest.suggestions.ranking import Candidate, Ranking, RankingOptions, rank
from tests.analysis_helpers import NEUTRAL, intent

OPTIONS = RankingOptions()
RESTART = Candidate("canned", 1, "restart", 0.88, intents=("inverter_error_code",), category="resolution")
ASK_CODE = Candidate("canned", 2, "ask-code", 0.86, intents=("inverter_error_code",), category="request_info")
INVOICE = Candidate("canned", 3, "invoice", 0.80, intents=("invoice_question",), category="answer")
ARTICLE = Candidate("kb", 10, "error-codes", 0.90)
ACK = Candidate("canned", 4, "escalation-ack", 0.79, category="escalation_ack")
"""Mapped to no intent: it acknowledges any escalation."""
SAFETY_ACK = Candidate("canned", 5, "safety", 0.84, intents=("safety_concern",), category="escalation_ack")


def analysis(result: IntentResult | None = None, *, escalate: bool = False) -> Analysis:
    reasons = [Reason(code="legal_threat", evidence="my lawyer")] if escalate else []
    return Analysis(
        id="t",
        language="en",
        language_source="detected",
        intent=result
        or intent("inverter_error_code", 0.9, top=[("inverter_error_code", 0.9), ("low_yield", 0.05)]),
        sentiment=NEUTRAL,
        emotions={},
        escalation=Escalation(escalate=escalate, priority="high" if escalate else "normal", reasons=reasons),
        notes=[],
        analysed_chars=40,
        model={},
    )


def keys(result: Ranking) -> list[str]:
    return [s.candidate.key for s in result.ranked]


def test_replies_for_the_tickets_intent_rank_first() -> None:
    result = rank(analysis(), [INVOICE, ARTICLE, ASK_CODE, RESTART], {}, OPTIONS)
    assert keys(result)[:2] == ["canned:restart", "canned:ask-code"]
    assert result.abstained is None
    top = result.ranked[0]
    assert top.intent_match == 0.9 and top.prior == 0.5
    assert top.score == pytest.approx(0.5 * 0.9 + 0.35 * top.similarity, abs=1e-4)  # no feedback: 0


def test_a_reply_appears_once_however_many_variants_were_found() -> None:
    twin = Candidate("canned", 1, "restart", 0.80, intents=("inverter_error_code",))
    result = rank(analysis(), [RESTART, twin, ASK_CODE], {}, OPTIONS)
    assert keys(result) == ["canned:restart", "canned:ask-code"]
    assert result.ranked[0].candidate.similarity == 0.88  # the better of the two


def test_feedback_moves_a_reply_up() -> None:
    priors = {"canned:restart": 0.1, "canned:ask-code": 0.9}
    assert keys(rank(analysis(), [RESTART, ASK_CODE], priors, OPTIONS))[:2] == [
        "canned:ask-code",
        "canned:restart",
    ]


def test_at_most_k_suggestions() -> None:
    many = [Candidate("canned", i, f"r{i}", 0.9, intents=("inverter_error_code",)) for i in range(8)]
    assert len(rank(analysis(), many, {}, OPTIONS).ranked) == 3
    assert len(rank(analysis(), many, {}, OPTIONS.model_copy(update={"k": 5})).ranked) == 5


def test_an_out_of_scope_ticket_with_weak_candidates_abstains_with_the_reason() -> None:
    oos = intent(None, 0.8, top=[("low_yield", 0.1)], reason="out of scope: it reads like spam")
    result = rank(analysis(oos), [Candidate("kb", 10, "error-codes", 0.78), INVOICE], {}, OPTIONS)
    assert result.ranked == []
    assert result.abstained is not None and result.abstained.startswith("the ticket is out of scope")
    assert "it reads like spam" in result.abstained


def test_weak_candidates_for_an_in_scope_ticket_abstain_naming_the_best() -> None:
    result = rank(analysis(), [Candidate("kb", 10, "weather", 0.7)], {}, OPTIONS)
    assert result.ranked == []
    assert (
        result.abstained
        == "the best candidate, kb:weather, scores 0.00, below the 0.275 needed for a suggestion"
    )


def test_no_candidates_at_all_says_so() -> None:
    assert rank(analysis(), [], {}, OPTIONS).abstained == "no reply or article matched this ticket"


def test_an_escalated_ticket_gets_the_acknowledgement_first_then_solutions() -> None:
    result = rank(analysis(escalate=True), [RESTART, ASK_CODE, ARTICLE, ACK], {}, OPTIONS)
    assert keys(result) == ["canned:escalation-ack", "canned:restart", "canned:ask-code"]
    assert result.ranked[0].escalation_first
    assert not any(s.escalation_first for s in result.ranked[1:])


def test_an_acknowledgement_mapped_to_intents_is_used_only_for_those() -> None:
    inverter = rank(analysis(escalate=True), [RESTART, SAFETY_ACK, ACK], {}, OPTIONS)
    assert keys(inverter)[0] == "canned:escalation-ack"
    smoke = intent("safety_concern", 0.9, top=[("safety_concern", 0.9)])
    assert (
        keys(rank(analysis(smoke, escalate=True), [RESTART, SAFETY_ACK, ACK], {}, OPTIONS))[0]
        == "canned:safety"
    )
    assert keys(rank(analysis(escalate=True), [RESTART, SAFETY_ACK], {}, OPTIONS)) == ["canned:restart"]


def test_out_of_scope_tickets_get_no_credit_for_their_runners_up_intents() -> None:
    oos = intent(None, 0.4, top=[("inverter_error_code", 0.45)], reason="out of scope: too unsure")
    assert rank(analysis(oos), [RESTART], {}, OPTIONS).ranked == []
    weak = rank(analysis(oos), [RESTART], {}, OPTIONS.model_copy(update={"min_score": 0}))
    why = explain(weak.ranked[0], analysis(oos), Acceptance(), OPTIONS)
    assert why.intent is None and why.score_parts["intent"] == 0 and "not mapped" in why.why
    assert rank(analysis(), [RESTART], {}, OPTIONS).ranked[0].intent_match == 0.9


def test_an_escalated_ticket_without_an_acknowledgement_still_gets_solutions() -> None:
    result = rank(analysis(escalate=True), [RESTART, ASK_CODE], {}, OPTIONS)
    assert keys(result) == ["canned:restart", "canned:ask-code"]


def test_options_are_validated() -> None:
    with pytest.raises(ValueError, match="k"):
        RankingOptions(k=0)
