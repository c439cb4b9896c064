"""The bridge between the database and the vector index: what to embed, what to index, what a hit is.

Passages and canned-response variants share one id space in the index: ``row id * 2 + kind``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from sqlalchemy import null, select, update
from sqlalchemy.orm import Session

from kb.db.schema import Article, CannedResponse, CannedVariant, Passage

Kind = Literal["passage", "canned"]
_KIND_BIT: dict[Kind, int] = {"passage": 0, "canned": 1}
_TEMPLATE_CODE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)


def vector_id(kind: Kind, row_id: int) -> int:
    return row_id * 2 + _KIND_BIT[kind]


def split_vector_id(vid: int) -> tuple[Kind, int]:
    return ("canned" if vid % 2 else "passage"), vid // 2


@dataclass(frozen=True)
class IndexItem:
    """What the index needs to filter one vector without asking the database."""

    vector_id: int
    kind: Kind
    language: str
    group: str
    """Articles: the canonical id (translations share it). Canned: the response's external id."""
    category: str
    intents: tuple[str, ...]
    digest: str


def canned_embedding_text(title: str, body: str) -> str:
    """Template code carries no meaning for retrieval; the words around it do."""
    return f"{title}\n{_TEMPLATE_CODE.sub(' ', body)}"


def pending_embeddings(session: Session, tenant_id: str, model: str) -> list[tuple[Kind, int, str]]:
    """(kind, row id, text) for every indexable row without an embedding from ``model``."""
    stale_passage = (Passage.embedding.is_(None)) | (Passage.embedding_model != model)
    passages = session.execute(
        select(Passage.id, Article.title, Passage.heading, Passage.text)
        .join(Article)
        .where(Passage.tenant_id == tenant_id, stale_passage)
    )
    stale_variant = (CannedVariant.embedding.is_(None)) | (CannedVariant.embedding_model != model)
    variants = session.execute(
        select(CannedVariant.id, CannedVariant.title, CannedVariant.body)
        .join(CannedResponse)
        .where(CannedVariant.tenant_id == tenant_id, CannedResponse.state == "active", stale_variant)
    )
    out: list[tuple[Kind, int, str]] = [
        ("passage", pid, "\n".join(p for p in (title, heading, text) if p))
        for pid, title, heading, text in passages
    ]
    out.extend(("canned", vid, canned_embedding_text(title, body)) for vid, title, body in variants)
    return out


def store_embeddings(
    session: Session, kind: Kind, row_ids: Sequence[int], vectors: np.ndarray, model: str
) -> None:
    table = Passage if kind == "passage" else CannedVariant
    session.execute(
        update(table),
        [
            {"id": row_id, "embedding": np.asarray(vec, dtype="<f4").tobytes(), "embedding_model": model}
            for row_id, vec in zip(row_ids, vectors, strict=True)
        ],
    )


def indexable(
    session: Session, tenant_id: str, model: str, dim: int, *, with_vectors: bool = True
) -> tuple[list[IndexItem], np.ndarray]:
    """Every searchable item of the tenant and its vector. Rows not yet embedded by ``model`` are left out.

    ``with_vectors=False`` skips reading the vectors (1.5 kB a row) when only the items' digest is
    needed, e.g. to learn whether an index is up to date."""
    items: list[IndexItem] = []
    blobs: list[bytes] = []
    passage_vector = Passage.embedding if with_vectors else null()
    variant_vector = CannedVariant.embedding if with_vectors else null()
    passages = session.execute(
        select(Passage.id, Article.language, Article.canonical_id, Passage.content_hash, passage_vector)
        .join(Article)
        .where(Passage.tenant_id == tenant_id, Passage.embedding_model == model)
        .order_by(Passage.id)
    )
    for pid, language, canonical, digest, blob in passages:
        items.append(IndexItem(vector_id("passage", pid), "passage", language, canonical, "", (), digest))
        blobs.append(blob or b"")
    variants = session.execute(
        select(
            CannedVariant.id,
            CannedVariant.language,
            CannedResponse.external_id,
            CannedResponse.category,
            CannedResponse.intents,
            CannedVariant.content_hash,
            CannedResponse.content_hash,
            variant_vector,
        )
        .join(CannedResponse)
        .where(
            CannedVariant.tenant_id == tenant_id,
            CannedResponse.state == "active",
            CannedVariant.embedding_model == model,
        )
        .order_by(CannedVariant.id)
    )
    for vid, language, external, category, intents, vhash, rhash, blob in variants:
        items.append(
            IndexItem(
                vector_id("canned", vid),
                "canned",
                language,
                external,
                category,
                tuple(intents),
                vhash + rhash,
            )
        )
        blobs.append(blob or b"")
    vectors = (
        np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(blobs), dim)
        if with_vectors and blobs
        else np.zeros((0, dim))
    )
    return items, np.ascontiguousarray(vectors, dtype=np.float32)


def content_digest(items: Iterable[IndexItem]) -> str:
    """One hash over what the index should hold; it changes whenever an item or its filters change."""
    h = hashlib.sha256()
    for item in sorted(items, key=lambda i: i.vector_id):
        h.update(f"{item.vector_id}:{item.digest}:{item.category}:{','.join(item.intents)}\n".encode())
    return h.hexdigest()
