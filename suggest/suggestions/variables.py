"""The values a reply's template variables take for one ticket: from the request, the tenant and
the calendar. A value nobody knows stays out of the mapping, so the renderer marks it as missing
instead of leaving a blank.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kb.index.search import Hit
from suggest.hours.calendar import ServiceHours
from suggest.hours.wording import promise
from suggest.suggestions.types import SuggestRequest


@dataclass(frozen=True)
class TenantProfile:
    """What the tenant contributes to every reply."""

    id: str
    company_name: str
    default_language: str
    hours: ServiceHours | None


def first_name(full_name: str | None) -> str | None:
    parts = (full_name or "").split()
    return parts[0] if parts else None


def template_values(
    request: SuggestRequest,
    tenant: TenantProfile,
    language: str,
    now: datetime,
    article: Hit | None = None,
) -> dict[str, str]:
    """Every variable we can fill, worded in ``language``; ``article`` is the best KB passage."""
    customer, ticket = request.customer, request.ticket
    name = customer.name or ticket.customer_name
    values: dict[str, str | None] = {
        "customer_name": name,
        "customer_first_name": customer.first_name or first_name(name),
        "ticket_number": ticket.id,
        "ticket_subject": ticket.subject,
        "agent_name": request.agent.name,
        "company_name": tenant.company_name,
        "order_number": customer.order_number,
    }
    if article is not None:
        values |= {"kb_link": article.url, "kb_title": article.title}
    if tenant.hours is not None:
        words = promise(tenant.hours, now, language)
        values |= {
            "business_hours": words.business_hours,
            "expected_response_time": words.expected_response_time,
            "next_business_day": words.next_business_day,
        }
    return {key: value for key, value in values.items() if value and value.strip()}
