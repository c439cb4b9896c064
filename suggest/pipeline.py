"""The one ``Pipeline`` the API, the auto-reply pipeline and batch jobs share.

``analyze`` cleans a ticket, detects its language, embeds it once, runs the intent and emotion
heads (and the tenant's escalation head, when it has one) on that one vector, and applies the
escalation policy. Tickets are embedded together in
``analyze_many``, which is where batch throughput comes from. ``embed_and_analyze`` also hands
back each ticket's vector, so retrieval reuses it instead of embedding the ticket again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from suggest.analysis.emotion import EmotionModel, EmotionScores
from suggest.analysis.escalation import Signals, decide
from suggest.analysis.escalation_head import EscalationHead
from suggest.analysis.intent import IntentModel
from suggest.analysis.policy import EscalationPolicy, default_policy
from suggest.analysis.requests import looks_like_several, request_parts
from suggest.analysis.text import CleanText, clean_ticket_text
from suggest.analysis.types import Analysis, IntentResult, NoteCode, TextNote, Ticket
from suggest.errors import InputError
from suggest.language import MIN_LETTERS, detect_language
from suggest.protocols import Embedder

log = logging.getLogger(__name__)
NO_WORDS = IntentResult(
    label=None, confidence=0.0, top=[], reason="out of scope: the text has no words to classify"
)
NO_MODEL = IntentResult(
    label=None, confidence=0.0, top=[], reason="no intent model is trained yet (see `replykit train`)"
)


@dataclass
class _Prepared:
    ticket: Ticket
    clean: CleanText
    language: str
    language_source: str


@dataclass(frozen=True)
class Analysed:
    """One ticket's analysis and its embedding (None when the models failed)."""

    analysis: Analysis
    vector: np.ndarray | None


@dataclass
class _Outputs:
    """The models' outputs for the ready tickets, in order; None when the models failed."""

    vectors: np.ndarray | None
    intents: list[IntentResult] | None
    emotions: list[EmotionScores] | None
    requests: list[tuple[tuple[str, str], ...]] = field(default_factory=list)
    learned: list[float | None] | None = None
    """The escalation head's probability where it reached the threshold; None without a head."""
    failure: str | None = None


class Pipeline:
    def __init__(
        self,
        embedder: Embedder,
        intent: IntentModel | None,
        emotion: EmotionModel | None,
        policy: EscalationPolicy | None = None,
        default_language: str = "en",
        *,
        escalation: EscalationHead | None = None,
    ) -> None:
        self.embedder = embedder
        self.intent = intent
        self.emotion = emotion
        self.escalation = escalation
        self.policy = policy or default_policy()
        self.default_language = default_language

    def analyze(self, ticket: Ticket) -> Analysis:
        """Analyse one ticket; an empty one is an ``InputError``."""
        outcome = self.analyze_many([ticket])[0]
        if isinstance(outcome, InputError):
            raise outcome
        return outcome

    def analyze_many(self, tickets: Sequence[Ticket]) -> list[Analysis | InputError]:
        """Analyse tickets in one embedding batch; empty tickets come back as errors in place."""
        return [r if isinstance(r, InputError) else r.analysis for r in self.embed_and_analyze(tickets)]

    def embed_and_analyze(self, tickets: Sequence[Ticket]) -> list[Analysed | InputError]:
        """``analyze_many`` that also returns each ticket's vector, for retrieval."""
        prepared: list[_Prepared | InputError] = [self._prepare(t) for t in tickets]
        ready = [p for p in prepared if isinstance(p, _Prepared)]
        out = self._models(ready)
        none: list[None] = [None] * len(ready)
        per_ticket = iter(
            zip(
                ready,
                out.intents or none,
                out.emotions or none,
                out.requests or [()] * len(ready),
                list(out.vectors) if out.vectors is not None else none,
                out.learned or none,
                strict=True,
            )
        )
        results: list[Analysed | InputError] = []
        for item in prepared:
            if isinstance(item, InputError):
                results.append(item)
                continue
            p, intent, scores, requests, vector, learned = next(per_ticket)
            analysis = self._assemble(p, intent, scores, requests, out.failure, learned=learned)
            results.append(Analysed(analysis, vector))
        return results

    def _prepare(self, ticket: Ticket) -> _Prepared | InputError:
        clean = clean_ticket_text(ticket.text, html=ticket.html, subject=ticket.subject)
        if not clean.text:
            which = f"ticket {ticket.id!r}" if ticket.id else "the ticket"
            return InputError(
                f"{which} has no text to analyse after removing HTML, quoted history and signature; "
                "send the customer's message in 'text'."
            )
        fallback = ticket.language or self.default_language
        guess = detect_language(clean.text, fallback=fallback)
        if guess.source == "fallback":
            letters = sum(ch.isalpha() for ch in clean.text)
            code: NoteCode
            code, detail = (
                ("mixed_languages", f"no single language is clear; assumed '{guess.code}'")
                if letters >= MIN_LETTERS
                else ("language_fallback", f"too little text to tell; assumed '{guess.code}'")
            )
            clean.notes.append(TextNote(code=code, detail=detail))
        elif guess.source == "undetermined":
            clean.notes.append(
                TextNote(code="language_unknown", detail="the language could not be determined")
            )
        return _Prepared(ticket, clean, guess.code, guess.source)

    def _models(self, ready: list[_Prepared]) -> _Outputs:
        """Run the embedder and heads; a failure is reported, never raised (escalation needs it)."""
        if not ready:
            return _Outputs(None, [], [])
        try:
            texts = [p.clean.text for p in ready]
            vectors = self._embed(texts)
            intents = (
                self.intent.predict(self._intent_vectors(texts, vectors), texts)
                if self.intent
                else [NO_MODEL] * len(ready)
            )
            languages = [p.language for p in ready]
            emotions = self.emotion.predict(vectors, languages) if self.emotion else None
            return _Outputs(
                vectors, intents, emotions, self._requests(texts, intents), self._learned(vectors)
            )
        except Exception as err:  # any model failure must still escalate
            log.error("analysis models failed: %s", type(err).__name__)
            failure = f"the analysis models failed ({type(err).__name__}); a person should read this ticket"
            return _Outputs(None, None, None, failure=failure)

    def _learned(self, vectors: np.ndarray) -> list[float | None] | None:
        """The tenant's escalation head on the vectors already computed (no second embedding)."""
        head = self.escalation
        if head is None:
            return None
        return [round(float(p), 4) if p >= head.threshold else None for p in head.probabilities(vectors)]

    def _embed(self, texts: list[str], embedder: Embedder | None = None) -> np.ndarray:
        embedder = embedder or self.embedder
        vectors = embedder.embed(texts, "query")
        if vectors.shape != (len(texts), embedder.dim) or not np.isfinite(vectors).all():
            raise ValueError(f"embedder returned an array of shape {vectors.shape} or non-finite values")
        return vectors

    def _intent_vectors(self, texts: list[str], shared: np.ndarray | None) -> np.ndarray:
        """The vectors the intent model reads: the shared ones, or its own fine-tuned encoder's
        (accurate mode), which costs a second embedding of the ticket."""
        assert self.intent is not None
        if self.intent.encoder is None:
            return shared if shared is not None else self._embed(texts)
        return self._embed(texts, self.intent.encoder)

    def _requests(self, texts: list[str], intents: list[IntentResult]) -> list[tuple[tuple[str, str], ...]]:
        """Classify the parts of tickets laid out like several requests, all parts in one batch.
        A ticket with fewer parts than the trigger needs is not embedded again."""
        announcer = self.policy.pattern("several_requests")
        enough = self.policy.thresholds.several_requests
        parts = []
        for text, intent in zip(texts, intents, strict=True):
            found = (
                request_parts(text)
                if looks_like_several(text, announcer, confidence=intent.confidence)
                else []
            )
            parts.append(found if len(found) >= enough else [])
        flat = [part for ticket_parts in parts for part in ticket_parts]
        if self.intent is None or not flat:
            return [() for _ in texts]
        labels = iter(r.label for r in self.intent.predict(self._intent_vectors(flat, None), flat))
        closing = set(self.policy.closing_intents)
        labelled = [[(next(labels), part) for part in ticket_parts] for ticket_parts in parts]
        return [
            tuple((label, part) for label, part in ticket if label is not None and label not in closing)
            for ticket in labelled
        ]

    def _assemble(
        self,
        p: _Prepared,
        intent: IntentResult | None,
        scores: EmotionScores | None,
        requests: tuple[tuple[str, str], ...],
        failure: str | None,
        *,
        learned: float | None = None,
    ) -> Analysis:
        """One ticket's result; ``intent`` and ``scores`` are None when the models failed."""
        if intent is not None and not p.clean.has_letters:
            intent = NO_WORDS
        signals = Signals(
            text=p.clean.text,
            customer_tier=p.ticket.customer_tier,
            thread_count=p.ticket.thread_count,
            intent=intent if intent is not NO_MODEL else None,
            sentiment=scores.sentiment if scores else None,
            emotions=scores.emotions if scores else {},
            failure=failure or (None if self.emotion else "no emotion model is loaded"),
            requests=requests,
            learned=learned,
        )
        return Analysis(
            id=p.ticket.id,
            language=p.language,
            language_source=p.language_source,  # type: ignore[arg-type]
            intent=intent,
            sentiment=signals.sentiment,
            emotions=signals.emotions,
            escalation=decide(signals, self.policy),
            notes=p.clean.notes,
            analysed_chars=len(p.clean.text),
            model=self.versions(),
        )

    def versions(self) -> dict[str, str]:
        """The models that answer; ``escalation`` only when the tenant has its own head."""
        out = {
            "embedder": self.embedder.name,
            "intent": self.intent.version if self.intent else "none",
            "emotion": self.emotion.version if self.emotion else "none",
        }
        if self.escalation is not None:
            out["escalation"] = self.escalation.version
        return out
