"""Search a tenant's library: filter, rank, fall back across languages, and hydrate hits from the database.

Hits are read back from the database, so an item deleted a moment ago is never returned even
before the index is rebuilt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from kb.content import snippet
from kb.db.schema import Article, CannedResponse, CannedVariant, Passage
from kb.index.manager import IndexManager
from kb.index.snapshot import Filters, Snapshot
from kb.store.items import IndexItem, Kind, split_vector_id
from suggest.errors import InputError

MAX_K = 50
OVERFETCH = 4
"""Candidates per result: several passages of one article collapse into one hit."""


@dataclass(frozen=True)
class Hit:
    kind: Kind
    id: int
    """The article id or the canned response id."""
    external_id: str
    group: str
    """Articles: the canonical id shared by translations. Canned: the external id."""
    title: str
    snippet: str
    score: float
    language: str
    cross_language: bool
    """True when the hit is in another language than the one asked for (a fallback)."""
    url: str | None = None
    heading: str | None = None
    category: str | None = None
    passage_id: int | None = None


@dataclass(frozen=True)
class SearchResult:
    hits: list[Hit]
    language: str | None
    fallback: bool
    """True when hits in other languages were added because the asked language had too few."""
    build_id: str


_LIGHT_PASSAGES = (defer(Passage.embedding), defer(Article.body), defer(Article.body_html))
"""Hits need titles, snippets and urls; not the vectors or whole article bodies."""


def _hydrate(
    session: Session, tenant_id: str, rows: Sequence[tuple[int, float]], language: str | None
) -> list[Hit]:
    by_kind: dict[Kind, list[int]] = {"passage": [], "canned": []}
    for vid, _ in rows:
        kind, row_id = split_vector_id(vid)
        by_kind[kind].append(row_id)
    passages = {
        p.id: (p, a)
        for p, a in session.execute(
            select(Passage, Article)
            .join(Article)
            .options(*_LIGHT_PASSAGES)
            .where(Passage.id.in_(by_kind["passage"]), Article.tenant_id == tenant_id)
        )
    }
    variants = {
        v.id: (v, r)
        for v, r in session.execute(
            select(CannedVariant, CannedResponse)
            .join(CannedResponse)
            .options(defer(CannedVariant.embedding))
            .where(
                CannedVariant.id.in_(by_kind["canned"]),
                CannedResponse.tenant_id == tenant_id,
                CannedResponse.state == "active",
            )
        )
    }
    hits: list[Hit] = []
    for vid, score in rows:
        kind, row_id = split_vector_id(vid)
        if kind == "passage" and row_id in passages:
            p, a = passages[row_id]
            hits.append(
                Hit(
                    kind="passage",
                    id=a.id,
                    external_id=a.external_id,
                    group=a.canonical_id,
                    title=a.title,
                    snippet=snippet(p.text),
                    score=score,
                    language=a.language,
                    cross_language=bool(language) and a.language != language,
                    url=a.url,
                    heading=p.heading or None,
                    passage_id=p.id,
                )
            )
        elif kind == "canned" and row_id in variants:
            v, r = variants[row_id]
            hits.append(
                Hit(
                    kind="canned",
                    id=r.id,
                    external_id=r.external_id,
                    group=r.external_id,
                    title=v.title,
                    snippet=snippet(v.body),
                    score=score,
                    language=v.language,
                    cross_language=bool(language) and v.language != language,
                    category=r.category,
                )
            )
    return hits


class KbSearch:
    def __init__(self, manager: IndexManager) -> None:
        self.manager = manager

    def search(
        self,
        tenant_id: str,
        text: str,
        *,
        k: int = 5,
        language: str | None = None,
        kinds: tuple[Kind, ...] = (),
        category: str | None = None,
        intent: str | None = None,
        fallback: bool = True,
    ) -> SearchResult:
        """Best ``k`` hits; one per article. With ``language``, that language first, then other languages
        (marked ``cross_language``) if it has fewer than ``k`` matches and ``fallback`` is on."""
        if not 1 <= k <= MAX_K:
            raise InputError(f"k must be between 1 and {MAX_K}, got {k}")
        query = self.manager.embedder.embed([text], kind="query")
        return self.search_vector(
            tenant_id,
            query[0],
            k=k,
            language=language,
            kinds=kinds,
            category=category,
            intent=intent,
            fallback=fallback,
        )

    def search_vector(
        self,
        tenant_id: str,
        query: np.ndarray,
        *,
        k: int = 5,
        language: str | None = None,
        kinds: tuple[Kind, ...] = (),
        category: str | None = None,
        intent: str | None = None,
        fallback: bool = True,
        snapshot: Snapshot | None = None,
    ) -> SearchResult:
        snap = snapshot or self.manager.snapshot(tenant_id)
        base = Filters(language=language, kinds=kinds, category=category, intent=intent)
        hits = self._ranked(snap, tenant_id, query, k=k, filters=base, language=language)
        used_fallback = False
        if language and fallback and len(hits) < k:
            seen = frozenset(f"{h.kind}:{h.group}" for h in hits)
            others = Filters(kinds=kinds, category=category, intent=intent, exclude_groups=seen)
            extra = [
                h
                for h in self._ranked(snap, tenant_id, query, k=k, filters=others, language=language)
                if h.language != language
            ]
            used_fallback = bool(extra)
            hits.extend(extra[: k - len(hits)])
        return SearchResult(hits, language, used_fallback, snap.build_id)

    def snapshot(self, tenant_id: str) -> Snapshot:
        """The tenant's current index; pass it to several searches so they all see one build."""
        return self.manager.snapshot(tenant_id)

    @staticmethod
    def nearest(
        snap: Snapshot, query: np.ndarray, k: int, allowed: np.ndarray | None
    ) -> list[tuple[IndexItem, float]]:
        """The ``k`` nearest index items among the ``allowed`` rows, straight from the index (no
        database read): for callers that need only what the index knows about an item and read the
        few they keep from the database themselves."""
        if snap.index.size == 0 or (allowed is not None and not allowed.any()):
            return []
        scores, rows = snap.index.search(query[None, :].astype(np.float32), min(k, snap.index.size), allowed)
        return [(snap.items[r], float(s)) for s, r in zip(scores[0], rows[0], strict=True) if r >= 0]

    def _ranked(
        self,
        snap: Snapshot,
        tenant_id: str,
        query: np.ndarray,
        *,
        k: int,
        filters: Filters,
        language: str | None,
    ) -> list[Hit]:
        found = self.nearest(snap, query, k * OVERFETCH, snap.allowed(filters))
        candidates = [(item.vector_id, score) for item, score in found]
        if not candidates:
            return []
        with self.manager.store.session() as session:
            hydrated = _hydrate(session, tenant_id, candidates, language)
        best: dict[tuple[Kind, int], Hit] = {}
        for hit in hydrated:
            best.setdefault((hit.kind, hit.id), hit)
        return list(best.values())[:k]
