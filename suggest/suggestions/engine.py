"""The suggestion engine: analyse, retrieve, rank, render, explain, and remember what was shown.

The API, the auto-reply pipeline and batch replays all call ``suggest_many``. Tickets of one call
are embedded and analysed in one batch; each ticket's vector is reused for retrieval. Every
suggestion shown is logged, so feedback can refer to it by id and the ranker can learn from it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from kb.index.search import Hit, KbSearch
from kb.store import Store
from kb.store.feedback import Acceptance, Served, acceptance_for, log_served
from kb.store.tenants import get_tenant, service_hours
from kb.templates.render import render_template
from suggest.analysis.types import Analysis
from suggest.errors import InputError
from suggest.pipeline import Analysed, Pipeline
from suggest.suggestions.explain import explain
from suggest.suggestions.ranking import Ranking, RankingOptions, Scored, rank
from suggest.suggestions.retrieval import Reply, Retrieved, Retriever
from suggest.suggestions.types import Explanation, Suggestion, SuggestRequest, SuggestResult
from suggest.suggestions.variables import TenantProfile, template_values

log = logging.getLogger(__name__)
PipelineFor = Callable[[str], Pipeline]
"""The tenant's analysis pipeline (its own intent model and escalation policy)."""
Clock = Callable[[], datetime]
CUSTOMER_WRITTEN = frozenset({"ticket_subject"})
"""Variables whose text the sender wrote: a reply echoing them never goes out unread."""
FAILED = "the analysis failed, so nothing could be matched; a person should read this ticket"


class SuggestionEngine:
    def __init__(
        self,
        store: Store,
        search: KbSearch,
        pipeline_for: PipelineFor,
        options: RankingOptions | None = None,
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.retriever = Retriever(search, store)
        self.pipeline_for = pipeline_for
        self.options = options or RankingOptions()
        self.clock = clock

    def suggest(self, tenant_id: str, request: SuggestRequest, request_id: str) -> SuggestResult:
        outcome = self.suggest_many(tenant_id, [request], request_id)[0]
        if isinstance(outcome, InputError):
            raise outcome
        return outcome

    def suggest_many(
        self, tenant_id: str, requests: Sequence[SuggestRequest], request_id: str
    ) -> list[SuggestResult | InputError]:
        """Suggestions for each request, in order; a ticket without text is an InputError in place."""
        pipeline = self.pipeline_for(tenant_id)
        call = _Call(self._profile(tenant_id), request_id, self.clock(), pipeline.versions())
        language = call.profile.default_language
        analysed = pipeline.embed_and_analyze([r.analysed_ticket(language) for r in requests])
        counts = self._acceptance(tenant_id, analysed)
        results: list[SuggestResult | InputError] = []
        shown: list[tuple[SuggestResult, list[Served]]] = []
        for request, item in zip(requests, analysed, strict=True):
            if isinstance(item, InputError):
                results.append(item)
                continue
            result, served = self._one(call, request, item, counts.get(_label(item.analysis), {}))
            results.append(result)
            shown.append((result, served))
        self._log(tenant_id, request_id, shown)
        return results

    def _profile(self, tenant_id: str) -> TenantProfile:
        with self.store.session() as session:
            tenant = get_tenant(session, tenant_id)
            return TenantProfile(tenant.id, tenant.name, tenant.default_language, service_hours(tenant))

    def _acceptance(
        self, tenant_id: str, analysed: list[Analysed | InputError]
    ) -> dict[str | None, dict[str, Acceptance]]:
        """Feedback counts per reply, for each intent among the tickets, in one query."""
        labels = {_label(a.analysis) for a in analysed if isinstance(a, Analysed)}
        with self.store.session() as session:
            return acceptance_for(session, tenant_id, labels)

    def _one(
        self, call: _Call, request: SuggestRequest, item: Analysed, counts: dict[str, Acceptance]
    ) -> tuple[SuggestResult, list[Served]]:
        analysis = item.analysis
        options = self.options if request.k is None else self.options.model_copy(update={"k": request.k})
        versions = dict(call.versions)
        found, ranking, replies = Retrieved(), Ranking([], FAILED), dict[str, Reply]()
        if item.vector is not None:
            found = self.retriever.retrieve(call.profile.id, analysis, item.vector)
            versions["index"] = found.build_id
            ranking, replies = self._rank(call.profile.id, analysis, found, counts, options)
        suggestions: list[Suggestion] = []
        served: list[Served] = []
        # kb_link and kb_title: only an article good enough to be shown itself
        shown = (found.passages[s.candidate.group] for s in ranking.ranked if s.candidate.kind == "kb")
        article = next(shown, None)
        for scored in ranking.ranked:
            passage = found.passages.get(scored.candidate.group) if scored.candidate.kind == "kb" else None
            why = explain(scored, analysis, counts.get(scored.candidate.key, Acceptance()), options, passage)
            suggestion = (
                _kb_suggestion(scored, passage, why)
                if passage is not None
                else self._canned(
                    call,
                    reply=replies[scored.candidate.group],
                    scored=scored,
                    why=why,
                    analysis=analysis,
                    article=article,
                    request=request,
                )
            )
            if suggestion is not None:
                suggestions.append(suggestion)
                c, shown_as = scored.candidate, suggestion.text  # None for KB links: no edit distance
                served.append(
                    Served(c.kind, c.group, _label(analysis), len(served) + 1, scored.score, shown_as)
                )
        abstained = None
        if not suggestions:
            abstained = ranking.abstained or "no reply could be rendered; the server log says why"
        result = SuggestResult(
            request_id=call.request_id,
            analysis=analysis,
            escalation=analysis.escalation,
            suggestions=suggestions,
            abstained=abstained,
            versions=versions,
        )
        return result, served

    def _rank(
        self,
        tenant_id: str,
        analysis: Analysis,
        found: Retrieved,
        counts: dict[str, Acceptance],
        options: RankingOptions,
    ) -> tuple[Ranking, dict[str, Reply]]:
        """Rank, then read the chosen replies; one archived or deleted since the index was built is
        left out and the rest ranked again."""
        priors = {key: c.prior for key, c in counts.items()}
        while True:
            ranking = rank(analysis, found.candidates, priors, options)
            chosen = [s.candidate.group for s in ranking.ranked if s.candidate.kind == "canned"]
            replies = self.retriever.replies(tenant_id, chosen)
            gone = {f"canned:{group}" for group in chosen if group not in replies}
            if not gone:
                return ranking, replies
            found.candidates = [c for c in found.candidates if c.key not in gone]

    def _canned(
        self,
        call: _Call,
        *,
        reply: Reply,
        scored: Scored,
        why: Explanation,
        analysis: Analysis,
        article: Hit | None,
        request: SuggestRequest,
    ) -> Suggestion | None:
        language, (title, body) = _variant(reply, analysis.language, call.profile.default_language)
        values = template_values(request, call.profile, language, call.now, article)
        try:
            rendered = render_template(body, reply.variables, values)
        except InputError as err:  # saved templates were validated: an edit race or an oversized value
            log.error("canned response %s not rendered: %s", reply.external_id, type(err).__name__)
            return None
        fallback = language != analysis.language
        auto = (
            reply.auto_send
            and not analysis.escalation.escalate
            and not rendered.missing
            and not fallback
            and CUSTOMER_WRITTEN.isdisjoint(reply.variables)
        )
        return Suggestion(
            id="",
            kind="canned",
            source_id=reply.external_id,
            title=title,
            text=rendered.text,
            score=scored.score,
            language=language,
            language_fallback=fallback,
            missing_variables=list(rendered.missing),
            category=reply.category,
            auto_send=auto,
            explanation=why,
        )

    def _log(self, tenant_id: str, request_id: str, shown: list[tuple[SuggestResult, list[Served]]]) -> None:
        """Give every suggestion shown its id, in one transaction for the whole call."""
        with self.store.session() as session:
            for result, served in shown:
                ids = log_served(session, tenant_id, request_id, served)
                for suggestion, sid in zip(result.suggestions, ids, strict=True):
                    suggestion.id = sid


@dataclass(frozen=True)
class _Call:
    """What every ticket of one call shares."""

    profile: TenantProfile
    request_id: str
    now: datetime
    versions: dict[str, str]


def _label(analysis: Analysis) -> str | None:
    return analysis.intent.label if analysis.intent else None


def _variant(reply: Reply, language: str, default_language: str) -> tuple[str, tuple[str, str]]:
    """The variant in the ticket's language, else the tenant's default, else any (the first saved)."""
    for wanted in (language, default_language):
        if wanted in reply.variants:
            return wanted, reply.variants[wanted]
    first = next(iter(reply.variants))
    return first, reply.variants[first]


def _kb_suggestion(scored: Scored, hit: Hit, why: Explanation) -> Suggestion:
    return Suggestion(
        id="",
        kind="kb",
        source_id=hit.group,
        title=hit.title,
        text=None,
        url=hit.url,
        snippet=hit.snippet,
        score=scored.score,
        language=hit.language,
        language_fallback=hit.cross_language,
        missing_variables=[],
        auto_send=False,
        explanation=why,
    )
