"""Find the replies and KB passages that could answer one analysed ticket.

Three searches over the tenant's index, all with the ticket's own vector: replies by meaning,
replies mapped to the ticket's likely intents (so a right reply is found even when its wording is
far from the customer's), and KB passages. Escalated tickets also fetch the acknowledgements.
Replies meant for the auto-reply pipeline (acknowledgements, closures) are not offered to agents.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from kb.db.schema import CannedResponse
from kb.index.search import Hit, KbSearch
from kb.store import Store
from kb.vocabulary import Category
from suggest.analysis.types import Analysis
from suggest.suggestions.ranking import ESCALATION_CATEGORY, Candidate

AGENT_CATEGORIES = frozenset(
    {
        Category.ANSWER,
        Category.RESOLUTION,
        Category.REQUEST_INFO,
        Category.APOLOGY,
        Category.ESCALATION_ACK,
        Category.CLOSED_CSAT,
        Category.ORDER_CONFIRMATION,
    }
)
"""Categories an agent answers a ticket with; the others are the auto-reply pipeline's status messages."""
SEMANTIC_K = 10
INTENT_K = 2
PASSAGE_K = 3
MIN_INTENT_CONFIDENCE = 0.1
"""An intent this unlikely does not fetch its replies."""


@dataclass(frozen=True)
class Reply:
    """A canned response as rendering needs it."""

    id: int
    external_id: str
    category: str
    intents: tuple[str, ...]
    variables: tuple[str, ...]
    auto_send: bool
    variants: dict[str, tuple[str, str]]
    """language -> (title, template body)"""


@dataclass
class Retrieved:
    candidates: list[Candidate] = field(default_factory=list)
    replies: dict[int, Reply] = field(default_factory=dict)
    passages: dict[str, Hit] = field(default_factory=dict)
    """The best passage hit per article (canonical id)."""
    build_id: str = ""
    """The index build searched."""


class Retriever:
    def __init__(self, search: KbSearch, store: Store) -> None:
        self.search = search
        self.store = store

    def retrieve(self, tenant_id: str, analysis: Analysis, vector: np.ndarray) -> Retrieved:
        language = analysis.language if analysis.language != "und" else None
        canned: list[Hit] = []

        def find(k: int, intent: str | None = None, category: str | None = None) -> list[Hit]:
            return self.search.search_vector(
                tenant_id, vector, k=k, language=language, kinds=("canned",), intent=intent, category=category
            ).hits

        canned += find(SEMANTIC_K)
        for label in _likely_intents(analysis):
            canned += find(INTENT_K, intent=label)
        if analysis.escalation.escalate:
            canned += find(INTENT_K, category=ESCALATION_CATEGORY)
        found = self.search.search_vector(
            tenant_id, vector, k=PASSAGE_K, language=language, kinds=("passage",)
        )
        out = self._assemble(tenant_id, canned, found.hits)
        out.build_id = found.build_id
        return out

    def _assemble(self, tenant_id: str, canned: list[Hit], passages: list[Hit]) -> Retrieved:
        out = Retrieved()
        similarity: dict[int, float] = {}
        for hit in canned:
            if hit.category in AGENT_CATEGORIES:
                similarity[hit.id] = max(hit.score, similarity.get(hit.id, -1.0))
        out.replies = self._replies(tenant_id, similarity)
        for reply in out.replies.values():
            out.candidates.append(
                Candidate(
                    "canned",
                    reply.id,
                    reply.external_id,
                    similarity[reply.id],
                    reply.intents,
                    reply.category,
                )
            )
        for hit in passages:
            if hit.group not in out.passages:
                out.passages[hit.group] = hit
                out.candidates.append(Candidate("kb", hit.id, hit.group, hit.score))
        return out

    def _replies(self, tenant_id: str, ids: Iterable[int]) -> dict[int, Reply]:
        wanted = list(ids)
        if not wanted:
            return {}
        with self.store.session() as session:
            rows = session.scalars(
                select(CannedResponse)
                .options(selectinload(CannedResponse.variants))
                .where(
                    CannedResponse.id.in_(wanted),
                    CannedResponse.tenant_id == tenant_id,
                    CannedResponse.state == "active",
                )
            )
            return {
                r.id: Reply(
                    r.id,
                    r.external_id,
                    r.category,
                    tuple(r.intents),
                    tuple(r.variables),
                    r.auto_send,
                    {v.language: (v.title, v.body) for v in r.variants},
                )
                for r in rows
            }


def _likely_intents(analysis: Analysis) -> list[str]:
    if analysis.intent is None:
        return []
    return [t.label for t in analysis.intent.top if t.confidence >= MIN_INTENT_CONFIDENCE]
