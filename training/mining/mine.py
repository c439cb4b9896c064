"""A mining run: stream the history, templatise each first reply, cluster per (intent, language) and
store the clusters as drafts for review. Nothing becomes a canned response here.

Memory: the store gives tickets by language (see ``replies``), so one language's groups are held at
a time, each as its distinct templates: about 1.3 KB per distinct template of a 600-character reply,
counts and five example ids included (measured with tracemalloc; Greek text takes about half as much
again). Repeated replies cost nothing more; unique ones do, so ``max_distinct`` bounds them: past
it, the least-used templates of the language (used once, then twice, ...) are forgotten until a
tenth of the room is free. With the default 20,000 that is about 26 MB of templates, plus 2 × 30 MB
of vectors (the embeddings and the leaders, 20,000 × 384 float32) while a group is clustered: under
100 MB whatever the history's size: 1 M tickets in one language with 20 % distinct first replies
(200,000) stay within it. A forgotten template that comes back starts again from one, so its count
is a lower bound; a reply many tickets got is rarely forgotten, because each use lifts it above the
single-use templates that go first. ``MiningSummary.forgotten`` counts what was dropped.

Time: templatising costs ~0.2 ms per reply (without the Jinja check, which runs on kept drafts
only); embedding runs once per distinct template.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from kb.store import Store
from kb.store.drafts import MinedDraft, SaveOutcome, draft_fingerprint, save_mined
from kb.store.history import count_tickets
from kb.store.tenants import get_tenant
from kb.templates.validate import MAX_TEMPLATE_CHARS
from suggest.errors import InputError
from suggest.protocols import Embedder
from training.mining.cluster import DEFAULT_THRESHOLD, Cluster, Group, cluster_group
from training.mining.replies import iter_first_replies, languages
from training.mining.templatise import (
    EXPRESSION,
    MARKER,
    MiningRules,
    check_template,
    compile_order_patterns,
    templatise,
)

Progress = Callable[[int, int], None]
"""``(tickets read, tickets in the history)``."""
PROGRESS_EVERY = 500
TITLE_CHARS = 80
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")


@dataclass(frozen=True)
class MiningOptions:
    label_field: str = "intent"
    min_uses: int = 3
    threshold: float = DEFAULT_THRESHOLD
    max_examples: int = 5
    max_distinct: int = 20_000
    """Distinct templates held for one language before the least used are forgotten (module doc)."""
    rules: MiningRules = field(default_factory=MiningRules)

    def __post_init__(self) -> None:
        if not self.label_field.strip():
            raise InputError("label_field must name a ticket field, e.g. 'intent'; it is empty")
        if self.min_uses < 1:
            raise InputError(f"min_uses must be at least 1, got {self.min_uses}")
        if not 0.0 < self.threshold <= 1.0:
            raise InputError(
                f"threshold is a cosine similarity in (0, 1], got {self.threshold}; 0.95 suits e5 models"
            )
        if self.max_distinct < 100:
            raise InputError(f"max_distinct must be at least 100, got {self.max_distinct}")


@dataclass
class MiningSummary:
    tickets: int = 0
    replies: int = 0
    """Tickets with a first public agent reply."""
    too_long: int = 0
    """First replies longer than a template may be (10,000 characters): not canned material."""
    forgotten: int = 0
    """Distinct templates dropped by the memory bound (``max_distinct``)."""
    groups: int = 0
    clusters: int = 0
    """Clusters used at least ``min_uses`` times."""
    created: int = 0
    updated: int = 0
    kept_rejected: int = 0
    """Clusters matching a rejected draft: not offered again."""
    merged: int = 0

    def count(self, outcomes: list[SaveOutcome]) -> None:
        for outcome in outcomes:
            setattr(self, outcome, getattr(self, outcome) + 1)


def _plain(sentence: str) -> str:
    return " ".join(sentence.split())


def draft_title(body: str, intent: str | None) -> str:
    """A short title: the first sentence of three words or more (greetings and sign-offs are shorter)
    without variables or markers, else the first such sentence with them elided."""
    sentences = [_plain(s) for line in body.splitlines() for s in _SENTENCE_END.split(line) if s.strip()]
    elided = [_plain(MARKER.sub("…", EXPRESSION.sub("…", s))) for s in sentences]
    long = [
        (s, e) for s, e in zip(sentences, elided, strict=True) if len(EXPRESSION.sub(" ", s).split()) >= 3
    ]
    clean = [s for s, _ in long if not EXPRESSION.search(s) and not MARKER.search(s)]
    title = clean[0] if clean else long[0][1] if long else (elided[0] if elided else "")
    if len(title) > TITLE_CHARS:
        title = title[: TITLE_CHARS - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return title or f"Reply for {intent or 'unlabelled tickets'}"


def _draft(label: str | None, language: str, cluster: Cluster, replies: int) -> MinedDraft:
    template = cluster.representative.template
    check_template(template)
    return MinedDraft(
        intent=label,
        language=language,
        title=draft_title(template.body, label),
        body=template.body,
        variables=template.variables,
        markers=template.markers,
        usage_count=cluster.size,
        coverage=round(cluster.size / replies, 4),
        examples=cluster.examples,
        members=frozenset(draft_fingerprint(label, language, v.template.body) for v in cluster.members),
    )


def _forget(groups: dict[str | None, Group], max_distinct: int) -> int:
    """Forget the least-used templates until a tenth of the room is free; how many went."""
    held = sum(len(g.variants) for g in groups.values())
    dropped, at_most = 0, 1
    while held - dropped > max_distinct * 0.9:
        dropped += sum(g.forget(at_most) for g in groups.values())
        at_most += 1
    return dropped


def mine_drafts(
    store: Store,
    tenant_id: str,
    embedder: Embedder,
    options: MiningOptions | None = None,
    *,
    progress: Progress | None = None,
) -> MiningSummary:
    """Mine the tenant's history into pending drafts; mining again updates them (see kb/store/drafts)."""
    options = options or MiningOptions()
    patterns = compile_order_patterns(options.rules)
    summary = MiningSummary()
    with store.session() as session:
        get_tenant(session, tenant_id)
        total = count_tickets(session, tenant_id)
        found = languages(session, tenant_id)
    for language in found:
        groups: dict[str | None, Group] = {}
        held = 0
        with store.session() as session:
            for _, reply in iter_first_replies(session, tenant_id, language, options.label_field):
                summary.tickets += 1
                if progress and summary.tickets % PROGRESS_EVERY == 0:
                    progress(summary.tickets, total)
                if reply is None:
                    continue
                summary.replies += 1
                template = templatise(
                    reply.text,
                    ticket_id=reply.external_id,
                    subject=reply.subject,
                    order_patterns=patterns,
                    validate=False,  # the kept representatives are checked in _draft
                )
                if len(template.body) > MAX_TEMPLATE_CHARS:
                    summary.too_long += 1
                    continue
                group = groups.setdefault(reply.label, Group(options.max_examples))
                before = len(group.variants)
                group.add(template, reply.external_id)
                held += len(group.variants) - before
                if held > options.max_distinct:
                    dropped = _forget(groups, options.max_distinct)
                    summary.forgotten += dropped
                    held -= dropped
        for label in sorted(groups, key=lambda label: (label is None, label or "")):
            group = groups.pop(label)
            summary.groups += 1
            clusters = cluster_group(group, embedder, threshold=options.threshold, min_uses=options.min_uses)
            summary.clusters += len(clusters)
            drafts = [_draft(label, language, cluster, group.replies) for cluster in clusters]
            with store.session() as session:
                summary.count(save_mined(session, tenant_id, label, language, drafts))
    if progress:
        progress(summary.tickets, total)
    return summary
