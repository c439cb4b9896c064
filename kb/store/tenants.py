"""Tenants and their API keys. A key is ``rk_`` plus 32 random bytes; only its SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.db.schema import ApiKey, Tenant, utcnow
from kb.vocabulary import TENANT_ID
from suggest.errors import InputError, NotFoundError
from suggest.hours.calendar import ServiceHours

SCOPES = ("agent", "admin")
"""agent: analyse tickets, search, suggest, give feedback. admin: also manage content and models."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: resolved from an API key on every request."""

    tenant_id: str
    key_id: int
    scopes: frozenset[str]


def check_tenant_id(tenant_id: str) -> str:
    if not TENANT_ID.match(tenant_id):
        raise InputError(
            f"tenant id must be a lowercase slug like 'acme' (a-z, 0-9, _ and -), got {tenant_id!r}"
        )
    return tenant_id


def ensure_tenant(session: Session, tenant_id: str, name: str | None = None, language: str = "en") -> Tenant:
    check_tenant_id(tenant_id)
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        tenant = Tenant(id=tenant_id, name=name or tenant_id, default_language=language)
        session.add(tenant)
        session.flush()
    return tenant


def get_tenant(session: Session, tenant_id: str) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFoundError(
            f"no tenant {tenant_id!r}; create it with `replykit kb import --tenant {tenant_id}`"
        )
    return tenant


def service_hours(tenant: Tenant) -> ServiceHours | None:
    return None if tenant.service_hours is None else ServiceHours.model_validate(tenant.service_hours)


def set_service_hours(session: Session, tenant_id: str, hours: ServiceHours | None) -> None:
    get_tenant(session, tenant_id).service_hours = None if hours is None else hours.model_dump(mode="json")


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(session: Session, tenant_id: str, name: str, scopes: list[str]) -> str:
    """Create a key and return it; it cannot be shown again."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise InputError(f"scopes must be among {', '.join(SCOPES)}, got {', '.join(scopes) or 'none'}")
    get_tenant(session, tenant_id)
    key = "rk_" + secrets.token_urlsafe(32)
    expanded = sorted(set(scopes) | ({"agent"} if "admin" in scopes else set()))
    session.add(ApiKey(tenant_id=tenant_id, name=name, key_hash=_digest(key), scopes=expanded))
    session.flush()
    return key


def resolve_key(session: Session, key: str) -> Principal | None:
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == _digest(key), ApiKey.revoked_at.is_(None)))
    if row is None:
        return None
    return Principal(tenant_id=row.tenant_id, key_id=row.id, scopes=frozenset(row.scopes))


def revoke_key(session: Session, tenant_id: str, key_id: int) -> None:
    row = session.get(ApiKey, key_id)
    if row is None or row.tenant_id != tenant_id:
        raise NotFoundError(f"no API key {key_id} for tenant {tenant_id!r}")
    row.revoked_at = utcnow()
