"""Replies of one (intent, language) group → clusters of the same reply, each with its medoid.

Two steps, cheapest first. Templates that are equal after normalisation (case, spaces) merge into
one ``Variant`` with a count, so a reply sent 5,000 times is embedded once. Variants are then
clustered by cosine similarity with greedy leader clustering: most-used first, a variant joins the
cluster of its most similar leader if that is at least ``threshold`` similar, else it leads a new
cluster. Leaders are fixed, so clusters cannot drift along a chain of small edits the way single
linkage does.

The threshold suits e5-style embeddings, where unrelated texts already sit at cosine ~0.8: measured
with multilingual-e5-small on support replies, the same reply with a changed greeting, a changed
closing or one more sentence scored 0.990-0.994, while different replies to one intent scored
0.82-0.90 (embedded as ``embedding_text``: without variables and markers). ``DEFAULT_THRESHOLD``
(0.95) sits in that gap. The hashing fake of the unit tests is harsher on small edits (0.90-0.97)
and far lower on unrelated text (0.1-0.6).

The representative is the weighted medoid, the reply most similar to all the cluster's replies:
for unit vectors, the summed similarity of variant i to every reply is ``v_i · S`` with
``S = Σ count_j v_j``, so it costs one matrix-vector product instead of all pairs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from kb.store.drafts import normalise_body
from suggest.protocols import Embedder
from training.mining.templatise import EXPRESSION, MARKER, Template

DEFAULT_THRESHOLD = 0.95
EMBED_BATCH = 64
BLOCK = 256
"""Variants compared with the leaders in one matrix product."""


@dataclass
class Variant:
    """One distinct template, how many tickets used it, and the first few of those tickets."""

    template: Template
    key: bytes
    """A 16-byte digest of ``normalise_body(template.body)``: the text itself would double the memory."""
    count: int = 0
    examples: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Cluster:
    representative: Variant
    size: int
    """Tickets whose first reply is in the cluster: the draft's usage count."""
    examples: tuple[str, ...]
    members: tuple[Variant, ...]


class Group:
    """The distinct replies of one (intent, language) group, counted as they stream by."""

    def __init__(self, max_examples: int) -> None:
        self.max_examples = max_examples
        self.variants: dict[bytes, Variant] = {}
        self.replies = 0
        """Every first reply seen, including those a memory bound made us forget (for coverage)."""

    def add(self, template: Template, external_id: str) -> None:
        self.replies += 1
        key = hashlib.blake2b(normalise_body(template.body).encode("utf-8"), digest_size=16).digest()
        variant = self.variants.get(key)
        if variant is None:
            variant = self.variants[key] = Variant(template, key)
        variant.count += 1
        if len(variant.examples) < self.max_examples:
            variant.examples.append(external_id)

    def forget(self, at_most: int) -> int:
        """Drop the variants used ``at_most`` times or fewer; returns how many were dropped."""
        rare = [key for key, variant in self.variants.items() if variant.count <= at_most]
        for key in rare:
            del self.variants[key]
        return len(rare)


def embedding_text(body: str) -> str:
    """What is embedded: the reply without its variables and markers, which every reply shares and
    which would pull unrelated replies together; the body itself if nothing else is left."""
    plain = MARKER.sub(" ", EXPRESSION.sub(" ", body)).strip()
    return plain or body


def _embed(embedder: Embedder, variants: Sequence[Variant]) -> np.ndarray:
    texts = [embedding_text(v.template.body) for v in variants]
    parts = [
        embedder.embed(texts[i : i + EMBED_BATCH], kind="passage") for i in range(0, len(texts), EMBED_BATCH)
    ]
    return np.concatenate(parts).astype(np.float32, copy=False)


def _leaders(vectors: np.ndarray, threshold: float) -> np.ndarray:
    """The cluster index of every row (rows in priority order): greedy leader clustering, compared
    block by block so the work is matrix products, not one product per row."""
    assignment = np.empty(len(vectors), dtype=np.int64)
    matrix = np.empty_like(vectors)  # the leaders' vectors, in cluster order
    count = 0
    for start in range(0, len(vectors), BLOCK):
        block = vectors[start : start + BLOCK]
        known = block @ matrix[:count].T
        first_new = count
        for offset, row in enumerate(block):
            sims = np.concatenate([known[offset], matrix[first_new:count] @ row])
            best = int(np.argmax(sims)) if sims.size else -1
            if best >= 0 and sims[best] >= threshold:
                assignment[start + offset] = best
            else:
                assignment[start + offset] = count
                matrix[count] = row
                count += 1
    return assignment


def cluster_group(
    group: Group, embedder: Embedder, *, threshold: float = DEFAULT_THRESHOLD, min_uses: int = 3
) -> list[Cluster]:
    """The group's clusters used at least ``min_uses`` times, most used first."""
    if group.replies < min_uses or not group.variants:
        return []
    variants = sorted(group.variants.values(), key=lambda v: -v.count)  # stable: first seen wins ties
    vectors = _embed(embedder, variants)
    assignment = _leaders(vectors, threshold)
    counts = np.array([v.count for v in variants], dtype=np.float32)
    clusters: list[Cluster] = []
    for cluster in range(int(assignment.max()) + 1):
        rows = np.flatnonzero(assignment == cluster)
        size = int(counts[rows].sum())
        if size < min_uses:
            continue
        centre = counts[rows] @ vectors[rows]
        medoid = int(rows[int(np.argmax(vectors[rows] @ centre))])
        ordered = [variants[medoid], *(variants[i] for i in rows if i != medoid)]
        examples = [e for v in ordered for e in v.examples][: group.max_examples]
        clusters.append(Cluster(variants[medoid], size, tuple(examples), tuple(ordered)))
    return sorted(clusters, key=lambda c: -c.size)
