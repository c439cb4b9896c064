"""Suggestions for tickets (agent scope): one ticket, or a batch embedded together."""

from __future__ import annotations

from typing import Annotated

from asgi_correlation_id.context import correlation_id
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Agent
from api.deps import EngineDep, MetricsDep
from suggest.errors import InputError
from suggest.suggestions.types import SuggestRequest, SuggestResult

router = APIRouter(prefix="/v1", tags=["suggest"])


def request_id() -> str:
    """The request's id (the X-Request-ID header, or one made up for it); it is in every log line."""
    return correlation_id.get() or "none"


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tickets: list[SuggestRequest] = Field(min_length=1, description="At most REPLYKIT_BATCH_MAX tickets.")


class BatchItem(BaseModel):
    index: int = Field(description="The ticket's position in the request.")
    result: SuggestResult | None = None
    error: str | None = Field(default=None, description="Why this ticket got no result (e.g. no text).")


class BatchOut(BaseModel):
    request_id: str
    results: list[BatchItem]


def _batch_size(request: Request, body: BatchIn) -> BatchIn:
    limit: int = request.app.state.settings.batch_max
    if len(body.tickets) > limit:
        raise InputError(
            f"a batch holds at most {limit} tickets, got {len(body.tickets)}; split it into smaller batches"
        )
    return body


@router.post("/suggest")
def suggest(body: SuggestRequest, who: Agent, engine: EngineDep, metrics: MetricsDep) -> SuggestResult:
    """Analyse one ticket and suggest up to ``k`` replies and KB articles, each with why."""
    result = engine.suggest(who.tenant_id, body, request_id())
    metrics.observe(who.tenant_id, "suggest", [result])
    return result


@router.post("/suggest/batch")
def suggest_batch(
    body: Annotated[BatchIn, Depends(_batch_size)], who: Agent, engine: EngineDep, metrics: MetricsDep
) -> BatchOut:
    """Many tickets in one call, embedded together; a ticket that cannot be analysed gets an error
    in its place and the others still get results."""
    outcomes = engine.suggest_many(who.tenant_id, body.tickets, request_id())
    items = [
        BatchItem(index=i, error=str(o)) if isinstance(o, InputError) else BatchItem(index=i, result=o)
        for i, o in enumerate(outcomes)
    ]
    metrics.observe(who.tenant_id, "batch", [o for o in outcomes if not isinstance(o, InputError)])
    return BatchOut(request_id=request_id(), results=items)
