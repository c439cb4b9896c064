"""A small tenant for suggestion tests: replies for the four test intents, an article, two
escalation acknowledgements, service hours, and an engine on the deterministic fake embedder."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from kb.library import Library
from kb.store.tenants import set_service_hours
from suggest.analysis.policy import load_policy
from suggest.analysis.types import Ticket
from suggest.hours.calendar import ServiceHours
from suggest.pipeline import Pipeline
from suggest.suggestions.engine import SuggestionEngine
from suggest.suggestions.ranking import RankingOptions
from suggest.suggestions.types import SuggestRequest
from tests.analysis_helpers import fake_embedder, support_emotion_model, trained_intent
from tests.kb_helpers import add, article, canned, make_library

TENANT = "acme"
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
HOURS = ServiceHours(
    timezone="Europe/Amsterdam",
    weekly={day: ["08:00-17:30"] for day in ("mon", "tue", "wed", "thu", "fri")},
    first_response_hours=4,
)
REPLIES = (
    canned(
        "refund-policy",
        {
            "en": "Hi {{ customer_first_name }}, refunds reach your account within 14 days of your "
            "refund request. {{ agent_name }}",
            "nl": "Hoi {{ customer_first_name }}, een terugbetaling staat binnen 14 dagen op je rekening. "
            "{{ agent_name }}",
        },
        intents=["refund"],
        variables=["customer_first_name", "agent_name"],
    ),
    canned(
        "refund-form",
        {
            "en": "Hi {{ customer_first_name }}, please fill in the refund form for your refund "
            "and money back."
        },
        intents=["refund"],
        variables=["customer_first_name"],
        category="request_info",
    ),
    canned(
        "password-reset",
        {"en": "Reset your password with the forgotten password link on the login page."},
        intents=["password"],
        auto_send=True,
    ),
    canned(
        "delivery-status",
        {
            "en": "Ticket {{ ticket_number }}: your parcel delivery is on its way; "
            "we answer {{ expected_response_time }}."
        },
        intents=["delivery"],
        variables=["ticket_number", "expected_response_time"],
    ),
    canned(
        "invoice-copy",
        {"en": "You can download every invoice pdf in the portal. More: {{ kb_link }}"},
        intents=["invoice"],
        variables=["kb_link"],
    ),
    canned(
        "tracking-help",
        {"en": "Track your parcel delivery here: {{ kb_link }}"},
        intents=["delivery"],
        variables=["kb_link"],
    ),
    canned(
        "sorry-ack",
        {"en": "We are sorry. A person will pick up ticket {{ ticket_number }} personally."},
        category="escalation_ack",
        variables=["ticket_number"],
        auto_send=True,
    ),
    canned(
        "safety-ack",
        {"en": "Switch the system off now; our technician calls you."},
        intents=["safety"],
        category="escalation_ack",
    ),
    canned("ack-auto", {"en": "We have your message about the refund."}, category="ack_in_hours"),
)
ARTICLE = article(
    "parcel-tracking",
    "## Tracking a parcel\n\nTrack your parcel delivery with the tracking link in the shipping e-mail.",
    url="https://help.example/parcel-tracking",
)


def make_tenant(tmp_path: Path, *, hours: ServiceHours | None = HOURS) -> Library:
    library = make_library(tmp_path)
    add(library, TENANT, *REPLIES, ARTICLE)
    with library.store.session() as session:
        set_service_hours(session, TENANT, hours)
    library.index.refresh(TENANT)
    return library


def small_pipeline() -> Pipeline:
    return Pipeline(fake_embedder(), trained_intent().model, support_emotion_model(), load_policy())


FAKE_OPTIONS = RankingOptions(similarity_floor=0.05, similarity_ceiling=0.6)
"""The default floor and ceiling fit e5's cosines (0.75-0.92); the hashing embedder's run lower."""


def make_engine(library: Library, pipeline: Pipeline | None = None) -> SuggestionEngine:
    used = pipeline or small_pipeline()
    return SuggestionEngine(
        library.store, library.search, lambda _t: used, FAKE_OPTIONS, clock=lambda: MONDAY_9
    )


def request(text: str, **fields: Any) -> SuggestRequest:
    """A request for ``text``; ``fields`` go to the request (customer, agent, history, k)."""
    ticket = fields.pop("ticket", {})
    return SuggestRequest.model_validate({"ticket": Ticket(text=text, **ticket).model_dump()} | fields)
