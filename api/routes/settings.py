"""Tenant settings (admin scope): the service hours that reply wording and due times come from."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import Admin, Agent
from api.deps import StoreDep
from kb.store.tenants import get_tenant, service_hours, set_service_hours
from suggest.errors import NotFoundError
from suggest.hours.calendar import ServiceHours

router = APIRouter(prefix="/v1/settings", tags=["settings"])


@router.get("/hours")
def get_hours(who: Agent, store: StoreDep) -> ServiceHours:
    with store.session() as session:
        hours = service_hours(get_tenant(session, who.tenant_id))
    if hours is None:
        raise NotFoundError("no service hours are set; an admin sets them with PUT /v1/settings/hours")
    return hours


@router.put("/hours")
def put_hours(body: ServiceHours, who: Admin, store: StoreDep) -> ServiceHours:
    """Replace the service hours; suggestions use them from the next request on."""
    with store.session() as session:
        set_service_hours(session, who.tenant_id, body)
    return body
