"""Whether a person must take a ticket now: a pure function of the analysis and the ticket's
metadata, so every decision can be replayed and audited.

Each trigger gives a reason code and its evidence (the customer's words or the signal's value).
Keyword triggers work without any model, which is why a failed analysis still escalates on
them, and always escalates with ``analysis_unavailable``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from suggest.analysis.matching import FoldedText
from suggest.analysis.policy import EscalationPolicy, TermList
from suggest.analysis.types import Escalation, IntentResult, Priority, Reason, SentimentResult

KEYWORD_TRIGGERS: tuple[TermList, ...] = (
    "safety_hazard",
    "legal_threat",
    "regulator_threat",
    "chargeback_threat",
    "public_complaint",
    "churn_threat",
    "human_requested",
    "repeat_contact",
)
URGENT = frozenset({"safety_hazard"})
NORMAL = frozenset({"multiple_intents", "long_technical", "low_confidence", "learned_pattern"})
"""Complexity triggers and the tenant's learned pattern: a person should handle the ticket, but
not ahead of the queue."""
_SHOUTED_WORD = re.compile(r"\b[^\W\d_a-z]{3,}\b")


@dataclass(frozen=True)
class Signals:
    """Everything the policy looks at. Model outputs are None when the analysis failed."""

    text: str
    customer_tier: str | None = None
    thread_count: int = 1
    intent: IntentResult | None = None
    sentiment: SentimentResult | None = None
    emotions: dict[str, float] = field(default_factory=dict)
    failure: str | None = None
    """Why the model analysis is unavailable, e.g. "the embedder raised RuntimeError"."""
    requests: tuple[tuple[str, str], ...] = ()
    """(intent, the customer's words) for each confidently classified part of a ticket laid out
    like several requests (suggest/analysis/requests.py); empty for other tickets."""
    learned: float | None = None
    """The tenant's escalation head's probability when it reached the head's threshold
    (suggest/analysis/escalation_head.py); None without a head or below it."""


def _priority(codes: set[str]) -> Priority:
    if codes & URGENT:
        return "urgent"
    return "high" if codes - NORMAL else "normal"


def _shouting(text: str) -> str | None:
    shouted = [w for w in _SHOUTED_WORD.findall(text) if w.upper() == w]
    if len(shouted) >= 3:
        return " ".join(shouted[:6])
    return "!!!" if "!!!" in text else None


def _emotion_reason(s: Signals, policy: EscalationPolicy, text: FoldedText) -> Reason | None:
    t = policy.thresholds
    for name, threshold in (("anger", t.anger), ("frustration", t.frustration)):
        score = s.emotions.get(name, 0.0)
        if score >= threshold:
            return Reason(code="strong_emotion", evidence=f"{name} {score:.2f} (threshold {threshold:.2f})")
    negative = s.sentiment is None or (
        s.sentiment.label == "negative" and s.sentiment.score >= t.intensity_negative
    )
    if not negative:
        return None
    pattern = policy.pattern("intensity")
    quoted = text.find(pattern) if pattern else None
    shouted = _shouting(s.text)
    if quoted or shouted:
        return Reason(code="strong_emotion", evidence=quoted or f"shouting: {shouted}")
    return None


def _complexity(s: Signals, policy: EscalationPolicy, text: FoldedText) -> list[Reason]:
    t = policy.thresholds
    reasons = []
    words = len(s.text.split())
    if words >= t.long_words:
        pattern = policy.pattern("technical")
        cues = pattern.findall(text.folded) if pattern else []
        if len(cues) >= t.technical_cues:
            reasons.append(
                Reason(code="long_technical", evidence=f"{words} words with {len(cues)} technical details")
            )
    quotes: dict[str, str] = {}
    for label, quote in s.requests:
        quotes.setdefault(label, quote)
    if len(quotes) >= t.several_requests:
        listed = "; ".join(f"'{label}': {_clip(quote)}" for label, quote in quotes.items())
        reasons.append(Reason(code="multiple_intents", evidence=f"several requests: {listed}"))
    if s.intent is not None and any(ch.isalpha() for ch in s.text) and s.intent.confidence < t.low_confidence:
        reasons.append(Reason(code="low_confidence", evidence=s.intent.reason))
    return reasons


def _clip(words: str, limit: int = 60) -> str:
    return words if len(words) <= limit else words[: limit - 1].rsplit(" ", 1)[0] + "…"


def decide(s: Signals, policy: EscalationPolicy) -> Escalation:
    """Escalate or not, how urgently, and why."""
    text = FoldedText.of(s.text)
    found: dict[str, list[str]] = {}

    def add(reason: Reason | None) -> None:
        if reason is not None:
            found.setdefault(reason.code, []).append(reason.evidence)

    if s.failure:
        add(Reason(code="analysis_unavailable", evidence=s.failure))
    positive = s.sentiment is not None and s.sentiment.label == "positive" and s.sentiment.score >= 0.6
    for code in KEYWORD_TRIGGERS:
        pattern = policy.pattern(code)
        if pattern is None or (code == "public_complaint" and positive):
            continue
        evidence = text.find(pattern)
        if evidence:
            add(Reason(code=code, evidence=evidence))
    if s.thread_count >= policy.thresholds.repeat_threads:
        add(
            Reason(
                code="repeat_contact", evidence=f"message {s.thread_count} from the customer in this thread"
            )
        )
    if s.customer_tier and s.customer_tier.casefold() in policy.vip:
        add(Reason(code="vip_customer", evidence=f"customer tier '{s.customer_tier}'"))
    intent = s.intent
    if (
        intent
        and intent.label in policy.intent_triggers
        and intent.confidence >= policy.thresholds.intent_trigger_min
    ):
        mapped = policy.intent_triggers[intent.label]
        add(Reason(code=mapped, evidence=f"intent '{intent.label}' at {intent.confidence:.0%}"))
    add(_emotion_reason(s, policy, text))
    if s.learned is not None:
        add(
            Reason(
                code="learned_pattern", evidence=f"reads like tickets your team escalated (p={s.learned:.2f})"
            )
        )
    for reason in _complexity(s, policy, text):
        add(reason)
    reasons = [Reason(code=code, evidence=" | ".join(evidence)) for code, evidence in found.items()]
    codes = set(found)
    return Escalation(
        escalate=bool(reasons), priority=_priority(codes) if reasons else "normal", reasons=reasons
    )
