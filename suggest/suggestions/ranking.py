"""Rank candidate replies for one analysed ticket: blend, diversify, abstain, escalation first.

A pure function of the analysis, the candidates and the feedback priors, so every ranking can be
replayed and explained. Each score keeps its parts; the explanation shows them to the agent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from suggest.analysis.types import Analysis, LabelScore

Kind = Literal["canned", "kb"]
NEUTRAL_PRIOR = 0.5
ESCALATION_CATEGORY = "escalation_ack"


class RankingOptions(BaseModel):
    """Weights and thresholds of the ranker; one validated object, recorded with each result."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    intent_weight: float = Field(default=0.5, ge=0)
    similarity_weight: float = Field(default=0.35, ge=0)
    prior_weight: float = Field(
        default=0.2, ge=0, description="Feedback moves a score by up to this much, either way."
    )
    similarity_floor: float = Field(default=0.75, ge=-1, le=1, description="Cosine that counts as unrelated.")
    similarity_ceiling: float = Field(default=0.92, ge=-1, le=1, description="Cosine that counts as a match.")
    min_score: float = Field(default=0.275, ge=0, le=1, description="Below this nothing is suggested.")
    k: int = Field(default=3, ge=1, le=10)


@dataclass(frozen=True)
class Candidate:
    """A reply or KB passage that retrieval found for the ticket."""

    kind: Kind
    id: int
    group: str
    """What makes two candidates the same reply: canned external id, article canonical id."""
    similarity: float
    """Cosine of the ticket to the candidate's text."""
    intents: tuple[str, ...] = ()
    category: str | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.group}"


@dataclass(frozen=True)
class Scored:
    candidate: Candidate
    score: float
    intent_match: float
    """Summed confidence of the ticket's top intents that this reply answers (0 for KB passages)."""
    similarity: float
    """The similarity scaled to 0..1 between the floor and the ceiling."""
    prior: float
    """Smoothed acceptance of this reply for this intent (0.5 without feedback)."""
    escalation_first: bool = False


@dataclass(frozen=True)
class Ranking:
    ranked: list[Scored]
    abstained: str | None
    """Why nothing is suggested; None when there are suggestions."""


def answered_intents(analysis: Analysis, intents: Sequence[str]) -> list[LabelScore]:
    """The ticket's likely intents that a reply mapped to ``intents`` answers, best first; none when
    the intent model found no intent that fits (out of scope), since its runners-up are then guesses."""
    if analysis.intent is None or analysis.intent.label is None:
        return []
    return [t for t in analysis.intent.top if t.label in intents]


def intent_match(analysis: Analysis, intents: Sequence[str]) -> float:
    """Summed confidence of the ticket's likely intents that the reply answers."""
    return min(1.0, sum(t.confidence for t in answered_intents(analysis, intents)))


def prior_effect(prior: float) -> float:
    """-1..1: no feedback (0.5) changes nothing; steady rejection sinks a reply, steady use lifts it,
    enough to overtake a reply that only reads a little closer to the ticket."""
    return 2 * prior - 1


def rank(
    analysis: Analysis,
    candidates: Sequence[Candidate],
    priors: Mapping[str, float],
    options: RankingOptions,
) -> Ranking:
    """The best ``options.k`` candidates, one per reply, or none with the reason."""
    span = max(options.similarity_ceiling - options.similarity_floor, 1e-6)
    best: dict[str, Scored] = {}
    for c in candidates:
        match = intent_match(analysis, c.intents)
        sim = min(1.0, max(0.0, (c.similarity - options.similarity_floor) / span))
        prior = priors.get(c.key, NEUTRAL_PRIOR)
        score = (
            options.intent_weight * match
            + options.similarity_weight * sim
            + options.prior_weight * prior_effect(prior)
        )
        scored = Scored(c, round(score, 4), round(match, 4), round(sim, 4), round(prior, 4))
        if c.key not in best or scored.score > best[c.key].score:
            best[c.key] = scored
    ordered = sorted(best.values(), key=lambda s: (-s.score, s.candidate.key))
    good = [s for s in ordered if s.score >= options.min_score]
    if analysis.escalation.escalate:
        first = _acknowledgement_first(ordered, good, options.k)
        return Ranking(first, None if first else _abstain_reason(analysis, ordered, options))
    if not good:
        return Ranking([], _abstain_reason(analysis, ordered, options))
    return Ranking(good[: options.k], None)


_NOTHING = "no reply or article matched this ticket"


def _acknowledgement_first(ordered: list[Scored], good: list[Scored], k: int) -> list[Scored]:
    """An escalated ticket gets an empathic acknowledgement first, then the best solutions, since a
    person decides what to send. An acknowledgement mapped to intents (a safety one) is used for
    those intents only; one mapped to none acknowledges any escalation."""
    acks = [s for s in ordered if s.candidate.category == ESCALATION_CATEGORY and s.intent_match > 0]
    acks = acks or [
        s for s in ordered if s.candidate.category == ESCALATION_CATEGORY and not s.candidate.intents
    ]
    if not acks:
        return good[:k]
    first = replace(acks[0], escalation_first=True)
    return [first, *[s for s in good if s.candidate.key != first.candidate.key][: k - 1]]


def _abstain_reason(analysis: Analysis, ordered: list[Scored], options: RankingOptions) -> str:
    if not ordered:
        return _NOTHING
    top = ordered[0]
    if analysis.intent is not None and analysis.intent.label is None:
        return f"the ticket is out of scope ({analysis.intent.reason}); no reply fits well enough"
    return (
        f"the best candidate, {top.candidate.key}, scores {top.score:.2f}, below the {options.min_score:g} "
        "needed for a suggestion"
    )
