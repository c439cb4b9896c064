"""The values a reply's template variables take for one ticket: from the request, the tenant and
the calendar. A value nobody knows stays out of the mapping, so the renderer marks it as missing
instead of leaving a blank.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from kb.index.search import Hit
from suggest.hours.calendar import ServiceHours
from suggest.hours.wording import Promise, promise
from suggest.suggestions.types import SuggestRequest


@dataclass(frozen=True)
class TenantProfile:
    """What the tenant contributes to every reply."""

    id: str
    company_name: str
    default_language: str
    hours: ServiceHours | None
    _promises: dict[tuple[datetime, str], Promise] = field(default_factory=dict, compare=False, repr=False)

    def promise(self, now: datetime, language: str) -> Promise | None:
        """The calendar's wording, computed once per call and language however many replies use it."""
        if self.hours is None:
            return None
        key = (now, language)
        if key not in self._promises:
            self._promises[key] = promise(self.hours, now, language)
        return self._promises[key]


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
    name = request.customer_name
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
    words = tenant.promise(now, language)
    if words is not None:
        values |= {
            "business_hours": words.business_hours,
            "expected_response_time": words.expected_response_time,
            "next_business_day": words.next_business_day,
        }
    return {key: value for key, value in values.items() if value and value.strip()}
