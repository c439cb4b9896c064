"""The fixed vocabularies of the library: canned-response categories and template variables.

They are code, not data, because templates, importers, the API schema and the admin console all
validate against them, and a typo in one must fail at save time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Category(StrEnum):
    """What a canned response is for. The auto-reply pipeline picks messages by category."""

    ACK_IN_HOURS = "ack_in_hours"
    ACK_OUT_OF_HOURS = "ack_out_of_hours"
    HOLIDAY_CLOSURE = "holiday_closure"
    HIGH_VOLUME_DELAY = "high_volume_delay"
    KNOWN_INCIDENT = "known_incident"
    TICKET_ASSIGNED = "ticket_assigned"
    UNEXPECTED_DELAY = "unexpected_delay"
    REQUEST_INFO = "request_info"
    RESOLUTION = "resolution"
    ANSWER = "answer"
    CLOSED_CSAT = "closed_csat"
    WELCOME = "welcome"
    ORDER_CONFIRMATION = "order_confirmation"
    APOLOGY = "apology"
    ESCALATION_ACK = "escalation_ack"


@dataclass(frozen=True)
class Variable:
    """A value a template may use, with a sample for previews."""

    name: str
    description: str
    sample: str


VARIABLES: dict[str, Variable] = {
    v.name: v
    for v in (
        Variable("customer_name", "The customer's full name.", "Maria Papadopoulou"),
        Variable("customer_first_name", "The customer's first name.", "Maria"),
        Variable("ticket_number", "The helpdesk's ticket number.", "48213"),
        Variable("ticket_subject", "The ticket's subject line.", "Inverter shows E05"),
        Variable("agent_name", "The name of the agent who sends the reply.", "Daan"),
        Variable("company_name", "The tenant's company name.", "Helioport Energy"),
        Variable("business_hours", "Opening hours, in words.", "Monday to Friday, 08:00-17:30"),
        Variable(
            "expected_response_time", "When a person will answer, from business hours.", "within 4 hours"
        ),
        Variable("next_business_day", "The next day the team is at work.", "Tuesday 09:00"),
        Variable(
            "kb_link", "The URL of the most relevant KB article.", "https://help.example/inverter-codes"
        ),
        Variable("kb_title", "The title of that KB article.", "Reading your inverter's error codes"),
        Variable("order_number", "The customer's order number.", "HP-2026-1187"),
        Variable(
            "incident_summary", "A short description of a known incident.", "the monitoring app is down"
        ),
        Variable("csat_link", "A link to the satisfaction survey.", "https://survey.example/abc"),
    )
}

SLUG = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
TENANT_ID = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
"""Tenant ids also name folders (the index), so they are slugs too; ``-`` is allowed."""
"""Intents and needed-information keys are lowercase slugs, so they can be used as identifiers anywhere."""
