"""What goes into an analysis (a ticket) and what comes out (an ``Analysis``).

The result is the contract between the understanding layer, the API, the auto-reply pipeline
and ``replykit analyze`` (one JSON object per ticket, documented in docs/analysis.md).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Channel = Literal["email", "chat", "social", "other"]
SentimentLabel = Literal["negative", "neutral", "positive"]
Priority = Literal["urgent", "high", "normal"]
EMOTIONS: tuple[str, ...] = ("anger", "frustration", "fear", "sadness", "joy")
"""Emotion names, each scored 0..1. frustration includes disgust; joy includes gratitude."""


class Ticket(BaseModel):
    """One incoming customer message with what the helpdesk knows about it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    id: str | None = Field(default=None, max_length=200)
    text: str = Field(max_length=2_000_000, description="The customer's message (plain text or HTML).")
    subject: str | None = Field(default=None, max_length=2_000)
    channel: Channel = "other"
    html: bool | None = Field(default=None, description="Whether text is HTML; None: detect it.")
    language: str | None = Field(
        default=None, max_length=16, description="The customer's known language, used for short texts."
    )
    customer_name: str | None = Field(default=None, max_length=200)
    customer_tier: str | None = Field(default=None, max_length=64)
    thread_count: int = Field(
        default=1, ge=1, le=100_000, description="Customer messages in this conversation, this one included."
    )


class LabelScore(BaseModel):
    label: str
    confidence: float


class IntentResult(BaseModel):
    label: str | None = Field(description="The intent, or null when no known intent fits (out of scope).")
    confidence: float = Field(
        description="Calibrated probability of the answer: of the label; of out of scope when the "
        "model recognised the ticket as such; otherwise of the closest intent, which was too weak."
    )
    top: list[LabelScore] = Field(description="The three most likely intents, best first.")
    reason: str = Field(description="Why this label, or why none, in plain language.")


class SentimentResult(BaseModel):
    label: SentimentLabel
    score: float = Field(description="Probability of the label.")


class Reason(BaseModel):
    code: str = Field(description="Trigger code, e.g. legal_threat; see docs/analysis.md.")
    evidence: str = Field(description="The text span or signal that fired the trigger.")


class Escalation(BaseModel):
    escalate: bool
    priority: Priority
    reasons: list[Reason]


NoteCode = Literal[
    "html_stripped",
    "quoted_history_removed",
    "signature_removed",
    "truncated",
    "empty",
    "no_letters",
    "language_fallback",
    "language_unknown",
    "mixed_languages",
]


class TextNote(BaseModel):
    """Something the cleaning step did to the text, so nobody is surprised by the analysis."""

    code: NoteCode
    detail: str


class Analysis(BaseModel):
    id: str | None
    language: str = Field(description="ISO 639-1 code, or 'und' when it cannot be told.")
    language_source: Literal["detected", "fallback", "undetermined"]
    intent: IntentResult | None = Field(description="Null when the analysis failed.")
    sentiment: SentimentResult | None
    emotions: dict[str, float]
    escalation: Escalation
    notes: list[TextNote]
    analysed_chars: int = Field(description="Characters of cleaned text the models saw.")
    model: dict[str, str] = Field(description="Which intent and emotion models answered.")

    def to_record(self) -> dict[str, object]:
        """The ``replykit analyze`` output object."""
        return self.model_dump(mode="json")
