"""Served suggestions and feedback: tenant checks, idempotent events, edit distance, acceptance."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.store import Store
from kb.store import feedback as feedback_module
from kb.store.feedback import (
    Acceptance,
    FeedbackEvent,
    Served,
    acceptance,
    acceptance_for,
    log_served,
    record_feedback,
)
from suggest.errors import ConflictError, InputError, NotFoundError
from tests.kb_helpers import make_library

REPLY = "Hello Maria, please restart the inverter as described here."


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return make_library(tmp_path, tenants=("acme", "other")).store


def serve(
    store: Store, *groups: str, intent: str | None = "inverter_error_code", tenant: str = "acme"
) -> list[str]:
    served = [Served("canned", g, intent, rank, 0.8, REPLY) for rank, g in enumerate(groups, start=1)]
    with store.session() as session:
        return log_served(session, tenant, "req-1", served)


def feedback(store: Store, event: FeedbackEvent, tenant: str = "acme") -> bool:
    with store.session() as session:
        return record_feedback(session, tenant, event)[1]


def test_served_suggestions_get_distinct_ids(store: Store) -> None:
    ids = serve(store, "restart", "request-info")
    assert len(set(ids)) == 2 and all(i.startswith("sg_") for i in ids)


def test_the_same_event_twice_is_recorded_once(store: Store) -> None:
    [sid] = serve(store, "restart")
    event = FeedbackEvent("ev-1", sid, "sent")
    assert feedback(store, event) is True
    assert feedback(store, event) is False
    with store.session() as session:
        assert acceptance(session, "acme", "inverter_error_code") == {"canned:restart": Acceptance(sent=1)}


def test_two_deliveries_racing_record_the_event_once(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second delivery checked before the first was stored: its insert loses, and it answers
    like a repeat instead of failing."""
    [sid] = serve(store, "restart")
    event = FeedbackEvent("ev-1", sid, "sent")
    assert feedback(store, event) is True
    real = feedback_module._event
    calls = iter([None])
    monkeypatch.setattr(feedback_module, "_event", lambda *a: next(calls, real(*a)))
    assert feedback(store, event) is False
    with pytest.raises(ConflictError):
        calls = iter([None])
        feedback(store, FeedbackEvent("ev-1", sid, "rejected"))
    with store.session() as session:
        assert acceptance(session, "acme", "inverter_error_code") == {"canned:restart": Acceptance(sent=1)}


def test_an_event_id_reused_for_other_content_is_a_conflict(store: Store) -> None:
    [sid] = serve(store, "restart")
    feedback(store, FeedbackEvent("ev-1", sid, "sent"))
    with pytest.raises(ConflictError, match="'ev-1' was already recorded with other content"):
        feedback(store, FeedbackEvent("ev-1", sid, "rejected"))


def test_another_tenants_suggestion_is_not_found(store: Store) -> None:
    [sid] = serve(store, "restart", tenant="other")
    with pytest.raises(NotFoundError, match="no suggestion with id"):
        feedback(store, FeedbackEvent("ev-1", sid, "sent"), tenant="acme")


def test_an_unknown_suggestion_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        feedback(store, FeedbackEvent("ev-1", "sg_nothing", "sent"))


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (FeedbackEvent("e", "sg_x", "edited"), "needs final_text"),
        (FeedbackEvent("e", "sg_x", "edited", "   "), "needs final_text"),
        (FeedbackEvent("e", "sg_x", "clicked"), "action must be one of sent, edited, rejected"),  # type: ignore[arg-type]
    ],
)
def test_invalid_events_say_what_is_expected(store: Store, event: FeedbackEvent, message: str) -> None:
    with pytest.raises(InputError, match=message):
        feedback(store, event)


def test_edit_distance_is_measured_from_the_suggested_text(store: Store) -> None:
    sent, edited, rewritten, rejected = serve(store, "a", "b", "c", "d")
    with store.session() as session:
        as_is = record_feedback(session, "acme", FeedbackEvent("1", sent, "sent"))[0]
        small = record_feedback(session, "acme", FeedbackEvent("2", edited, "edited", REPLY + " Thanks!"))[0]
        big = record_feedback(session, "acme", FeedbackEvent("3", rewritten, "edited", "Call us."))[0]
        none = record_feedback(session, "acme", FeedbackEvent("4", rejected, "rejected"))[0]
        assert as_is.edit_distance == 0.0
        assert small.edit_distance is not None and 0 < small.edit_distance < 0.2
        assert big.edit_distance is not None and big.edit_distance > 0.8
        assert none.edit_distance is None


def test_acceptance_counts_per_reply_and_intent(store: Store) -> None:
    a1, b1, a2 = serve(store, "a", "b", "a")
    [other_intent] = serve(store, "a", intent="low_yield")
    for i, (sid, action) in enumerate(
        [(a1, "rejected"), (b1, "sent"), (a2, "rejected"), (other_intent, "sent")]
    ):
        feedback(store, FeedbackEvent(f"e{i}", sid, action))  # type: ignore[arg-type]
    with store.session() as session:
        stats = acceptance(session, "acme", "inverter_error_code")
        assert stats == {"canned:a": Acceptance(rejected=2), "canned:b": Acceptance(sent=1)}
        assert stats["canned:b"].prior > 0.5 > stats["canned:a"].prior
        assert acceptance(session, "acme", "low_yield") == {"canned:a": Acceptance(sent=1)}
        assert acceptance(session, "other", "inverter_error_code") == {}
        together = acceptance_for(session, "acme", ["inverter_error_code", "low_yield", None])
        assert together == {"inverter_error_code": stats, "low_yield": {"canned:a": Acceptance(sent=1)}}


def test_only_the_latest_event_per_suggestion_counts(store: Store) -> None:
    [sid] = serve(store, "a")
    feedback(store, FeedbackEvent("1", sid, "edited", "changed text"))
    feedback(store, FeedbackEvent("2", sid, "rejected"))
    with store.session() as session:
        assert acceptance(session, "acme", "inverter_error_code") == {"canned:a": Acceptance(rejected=1)}


def test_out_of_scope_tickets_have_their_own_acceptance(store: Store) -> None:
    [sid] = serve(store, "a", intent=None)
    feedback(store, FeedbackEvent("1", sid, "sent"))
    with store.session() as session:
        assert acceptance(session, "acme", None) == {"canned:a": Acceptance(sent=1)}
        assert acceptance(session, "acme", "inverter_error_code") == {}


def test_the_prior_starts_neutral_and_moves_with_feedback() -> None:
    assert Acceptance().prior == 0.5
    assert Acceptance(sent=1).prior == pytest.approx(2 / 3)
    assert Acceptance(rejected=8).prior == pytest.approx(0.1)
