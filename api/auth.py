"""API keys with scopes. Every route but the probes needs a key; the key decides the tenant.

Send ``Authorization: Bearer rk_...`` (or ``X-API-Key: rk_...``). Scopes: ``agent`` and ``admin``
(an admin key is also an agent key). A key of another tenant gets 404s, never another tenant's data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from api.deps import get_store
from kb.store import Store
from kb.store.tenants import Principal, resolve_key


def _key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.headers.get("x-api-key") or None


def require(scope: str) -> Callable[[Request, Store], Principal]:
    def dependency(request: Request, store: Annotated[Store, Depends(get_store)]) -> Principal:
        key = _key(request)
        if key is None:
            raise HTTPException(
                401,
                "an API key is required: send 'Authorization: Bearer <key>'",
                {"WWW-Authenticate": "Bearer"},
            )
        with store.session() as session:
            principal = resolve_key(session, key)
        if principal is None:
            raise HTTPException(401, "this API key is unknown or revoked", {"WWW-Authenticate": "Bearer"})
        if scope not in principal.scopes:
            raise HTTPException(403, f"this API key lacks the '{scope}' scope; use a key created with it")
        return principal

    return dependency


Agent = Annotated[Principal, Depends(require("agent"))]
Admin = Annotated[Principal, Depends(require("admin"))]


def actor(who: Principal) -> str:
    """How records name the caller (a job's ``requested_by``, a draft's ``reviewed_by``, the model
    registry's history): ``api:key <id>``, beside the CLI's ``cli``. The id, not the key's name:
    names need not be unique, ids are (``replykit keys list`` maps one to the other)."""
    return f"api:key {who.key_id}"
