"""Find the replies and KB passages that could answer one analysed ticket.

Three searches over the tenant's index, all with the ticket's own vector: replies by meaning,
replies mapped to the ticket's likely intents (so a right reply is found even when its wording is
far from the customer's), and KB passages. Escalated tickets also fetch the acknowledgements.
Replies meant for the auto-reply pipeline (acknowledgements, closures) are not offered to agents.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from kb.db.schema import CannedResponse, CannedVariant
from kb.index.search import Hit, KbSearch
from kb.index.snapshot import Filters, Snapshot
from kb.store import Store
from kb.store.items import IndexItem
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
OVERFETCH = 3
"""Index rows per wanted reply: a reply has a row per language."""
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
    passages: dict[str, Hit] = field(default_factory=dict)
    """The best passage hit per article (canonical id)."""
    build_id: str = ""
    """The index build searched."""


class Retriever:
    def __init__(self, search: KbSearch, store: Store) -> None:
        self.search = search
        self.store = store

    def retrieve(self, tenant_id: str, analysis: Analysis, vector: np.ndarray) -> Retrieved:
        """Candidates from the index alone (replies) plus the best passages (read from the database),
        all from one index build."""
        language = analysis.language if analysis.language != "und" else None
        intents = _likely_intents(analysis)
        snap = self.search.snapshot(tenant_id)
        items = self.search.nearest(snap, vector, SEMANTIC_K * OVERFETCH, _agent_replies(snap))
        if intents:
            mask = _agent_replies(snap, intents=intents)
            items += self.search.nearest(snap, vector, INTENT_K * OVERFETCH * len(intents), mask)
        if analysis.escalation.escalate:
            mask = _agent_replies(snap, category=ESCALATION_CATEGORY)
            items += self.search.nearest(snap, vector, INTENT_K * OVERFETCH, mask)
        out = Retrieved(candidates=_reply_candidates(items, language), build_id=snap.build_id)
        found = self.search.search_vector(
            tenant_id, vector, k=PASSAGE_K, language=language, kinds=("passage",), snapshot=snap
        )
        for hit in found.hits:
            if hit.group not in out.passages:
                out.passages[hit.group] = hit
                out.candidates.append(Candidate("kb", hit.id, hit.group, hit.score))
        return out

    def replies(self, tenant_id: str, external_ids: Iterable[str]) -> dict[str, Reply]:
        """The active replies among ``external_ids``, for rendering; one read for all of them."""
        wanted = list(external_ids)
        if not wanted:
            return {}
        with self.store.session() as session:
            rows = session.scalars(
                select(CannedResponse)
                .options(selectinload(CannedResponse.variants).defer(CannedVariant.embedding))
                .where(
                    CannedResponse.external_id.in_(wanted),
                    CannedResponse.tenant_id == tenant_id,
                    CannedResponse.state == "active",
                )
            )
            return {
                r.external_id: Reply(
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


def _canned_rows(snap: Snapshot, category: str | None = None, intent: str | None = None) -> np.ndarray:
    mask = snap.allowed(Filters(kinds=("canned",), category=category, intent=intent))
    assert mask is not None  # a kinds filter always gives a mask
    return mask


def _agent_replies(snap: Snapshot, *, intents: Sequence[str] = (), category: str | None = None) -> np.ndarray:
    """Rows of canned replies an agent may send; only those for ``intents`` or of ``category`` if given."""
    categories = [category] if category else sorted(AGENT_CATEGORIES)
    mask: np.ndarray = np.logical_or.reduce([_canned_rows(snap, category=c) for c in categories])
    if intents:
        mask &= np.logical_or.reduce([_canned_rows(snap, intent=i) for i in intents])
    return mask


def _reply_candidates(items: list[tuple[IndexItem, float]], language: str | None) -> list[Candidate]:
    """One candidate per reply; its similarity is that of its variant in the ticket's language when
    the index found it, else of its closest variant."""
    best: dict[str, tuple[IndexItem, float]] = {}
    for item, score in items:
        held = best.get(item.group)
        if held is None or _better((item, score), held, language):
            best[item.group] = (item, score)
    return [
        Candidate("canned", item.vector_id, item.group, score, item.intents, item.category)
        for item, score in best.values()
    ]


def _better(new: tuple[IndexItem, float], held: tuple[IndexItem, float], language: str | None) -> bool:
    new_native, held_native = new[0].language == language, held[0].language == language
    if new_native != held_native:
        return new_native
    return new[1] > held[1]


def _likely_intents(analysis: Analysis) -> list[str]:
    if analysis.intent is None:
        return []
    return [t.label for t in analysis.intent.top if t.confidence >= MIN_INTENT_CONFIDENCE]
