"""Why a suggestion was made: its score's parts and one plain sentence an agent reads in a second."""

from __future__ import annotations

from kb.index.search import Hit
from kb.store.feedback import Acceptance
from suggest.analysis.types import Analysis, LabelScore
from suggest.suggestions.ranking import RankingOptions, Scored, answered_intents, prior_effect
from suggest.suggestions.types import Explanation, FeedbackSummary


def explain(
    scored: Scored,
    analysis: Analysis,
    counts: Acceptance,
    options: RankingOptions,
    passage: Hit | None = None,
) -> Explanation:
    candidate = scored.candidate
    intent = next(iter(answered_intents(analysis, candidate.intents)), None)
    where = None
    if passage is not None:
        where = f"{passage.title} › {passage.heading}" if passage.heading else passage.title
    return Explanation(
        why=_why(scored, analysis, intent, counts, where),
        intent=intent.label if intent else None,
        intent_confidence=round(intent.confidence, 4) if intent else 0.0,
        similarity=round(candidate.similarity, 4),
        prior=scored.prior,
        feedback=FeedbackSummary(sent=counts.sent, edited=counts.edited, rejected=counts.rejected),
        score_parts={
            "intent": round(options.intent_weight * scored.intent_match, 4),
            "similarity": round(options.similarity_weight * scored.similarity, 4),
            "prior": round(options.prior_weight * prior_effect(scored.prior), 4),
        },
        passage=where,
        escalation_first=scored.escalation_first,
    )


def _why(
    scored: Scored, analysis: Analysis, intent: LabelScore | None, counts: Acceptance, where: str | None
) -> str:
    parts = []
    if scored.escalation_first:
        reasons = ", ".join(r.code for r in analysis.escalation.reasons) or "escalated"
        parts.append(f"The ticket needs a person ({reasons}), so an acknowledgement comes first")
    if intent is not None:
        parts.append(f"It answers {intent.label}, the ticket's likely intent ({intent.confidence:.0%} sure)")
    elif where is not None:
        parts.append(f"The article section “{where}” matches the ticket")
    else:
        parts.append("Its wording is close to the ticket, though it is not mapped to the ticket's intent")
    parts.append(f"similarity {scored.candidate.similarity:.2f}")
    total = counts.shown_with_feedback
    if total:
        taken = counts.sent + counts.edited
        if taken >= counts.rejected:
            parts.append(f"agents used it {taken} of {total} times for this intent")
        else:
            parts.append(
                f"agents rejected it {counts.rejected} of {total} times for this intent, so it ranks lower"
            )
    return "; ".join(parts) + "."
