"""What agents did with suggestions (agent scope): the ranker learns from it."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Agent
from api.deps import MetricsDep, StoreDep
from kb.store.feedback import FeedbackEvent, record_feedback

router = APIRouter(prefix="/v1", tags=["feedback"])


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(
        min_length=1, max_length=100, description="Yours, unique per event: a repeat is recorded once."
    )
    suggestion_id: str = Field(min_length=1, max_length=40, description="The id of a suggestion shown.")
    action: Literal["sent", "edited", "rejected"]
    final_text: str | None = Field(
        default=None, max_length=50_000, description="The reply as sent; required for 'edited'."
    )


class FeedbackOut(BaseModel):
    event_id: str
    recorded: bool = Field(description="False when this event had already been recorded.")
    edit_distance: float | None = Field(
        description="Normalised edit distance of the sent text to the suggestion (0: unchanged)."
    )


@router.post("/feedback")
def feedback(body: FeedbackIn, who: Agent, store: StoreDep, metrics: MetricsDep) -> FeedbackOut:
    event = FeedbackEvent(body.event_id, body.suggestion_id, body.action, body.final_text)
    with store.session() as session:
        row, new = record_feedback(session, who.tenant_id, event)
        out = FeedbackOut(event_id=row.event_id, recorded=new, edit_distance=row.edit_distance)
    if new:
        metrics.feedback.labels(body.action).inc()
    return out
