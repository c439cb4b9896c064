"""What a suggestion request carries and what comes back: the contract of ``/v1/suggest``.

One request is one ticket with what the helpdesk knows around it (the customer, the agent, the
thread so far). One result is the analysis, up to ``k`` rendered suggestions each with its
explanation, and the reason when the engine abstains.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from suggest.analysis.types import Analysis, Escalation, Ticket

Author = Literal["customer", "agent"]


class Customer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(
        default=None, max_length=200, description="Full name, e.g. 'Maria Papadopoulou'."
    )
    first_name: str | None = Field(
        default=None, max_length=100, description="Default: the first word of name."
    )
    tier: str | None = Field(
        default=None, max_length=64, description="e.g. vip; VIP tickets escalate sooner."
    )
    order_number: str | None = Field(default=None, max_length=100)


class AgentInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200, description="Signs the reply.")


class Message(BaseModel):
    """An earlier message of the same conversation."""

    model_config = ConfigDict(extra="forbid")

    author: Author
    text: str = Field(max_length=200_000)


class SuggestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ticket: Ticket
    customer: Customer = Field(default_factory=Customer)
    agent: AgentInfo = Field(default_factory=AgentInfo)
    history: list[Message] = Field(
        default_factory=list,
        max_length=200,
        description="Earlier messages of the thread, oldest first; customer messages count as contacts.",
    )
    k: int | None = Field(default=None, ge=1, le=10, description="How many suggestions at most (default 3).")

    @property
    def customer_name(self) -> str | None:
        """The customer block's name wins over the ticket's."""
        return self.customer.name or self.ticket.customer_name

    def analysed_ticket(self, default_language: str) -> Ticket:
        """The ticket as analysis sees it: tier, name and thread length filled in, and the tenant's
        language assumed for a text too short to tell."""
        earlier = sum(m.author == "customer" for m in self.history)
        return self.ticket.model_copy(
            update={
                "thread_count": max(self.ticket.thread_count, earlier + 1),
                "customer_tier": self.ticket.customer_tier or self.customer.tier,
                "customer_name": self.customer_name,
                "language": self.ticket.language or default_language,
            }
        )


class FeedbackSummary(BaseModel):
    sent: int
    edited: int
    rejected: int


class Explanation(BaseModel):
    """Why this suggestion, in numbers and in one sentence."""

    why: str = Field(description="The reason in plain language.")
    intent: str | None = Field(description="The ticket intent this reply answers; null for articles.")
    intent_confidence: float = Field(description="The model's confidence in that intent (0..1).")
    similarity: float = Field(description="Cosine similarity of the ticket to the reply or passage.")
    prior: float = Field(description="Smoothed acceptance by agents for this intent; 0.5 without feedback.")
    feedback: FeedbackSummary = Field(description="Agents' past actions on it for this intent.")
    score_parts: dict[str, float] = Field(description="Weighted intent, similarity and prior parts.")
    passage: str | None = Field(description="The KB passage it is based on: title › heading.")
    escalation_first: bool = Field(description="Ranked first as the acknowledgement of an escalation.")


class Suggestion(BaseModel):
    id: str = Field(description="Send it back with feedback.")
    kind: Literal["canned", "kb"]
    source_id: str = Field(description="Canned: its external id. KB: the article's canonical id.")
    title: str
    text: str | None = Field(description="The rendered reply (canned only).")
    url: str | None = None
    snippet: str | None = None
    score: float
    language: str
    language_fallback: bool = Field(
        description="True when no variant in the ticket's language exists and another one is shown."
    )
    missing_variables: list[str] = Field(
        description="Shown as [missing: name] in the text; fill before sending."
    )
    category: str | None = None
    auto_send: bool = Field(description="Whether the auto-reply pipeline may send it without a person.")
    explanation: Explanation


class SuggestResult(BaseModel):
    request_id: str
    analysis: Analysis
    escalation: Escalation
    suggestions: list[Suggestion]
    abstained: str | None = Field(description="Why there are no suggestions; null when there are.")
    versions: dict[str, str] = Field(description="Models and index build that produced this result.")
