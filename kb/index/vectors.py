"""Nearest-neighbour search over unit vectors by inner product, with a row filter.

``VectorIndex`` is the small interface; ``NumpyIndex`` is the brute-force reference the FAISS
indexes are tested against. Exact search is used for small collections; HNSW above
EXACT_LIMIT, where exact search would cost more than a few milliseconds per query.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Protocol

import faiss
import numpy as np

_faiss: Any = faiss  # the stubs miss the HNSW and selector parts of the API

IndexKind = Literal["exact", "hnsw"]
EXACT_LIMIT = 20_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128
SUBSET_LIMIT = 2_000
"""A filter that keeps at most this many rows is searched exactly over those rows: graph search
with a very selective filter can miss results, and a small matrix product is cheaper anyway."""


class VectorIndex(Protocol):
    @property
    def kind(self) -> str: ...

    @property
    def size(self) -> int: ...

    def search(
        self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rows), each ``(len(queries), k)``, best first; missing results are row -1, score -inf."""
        ...


def _top_k(scores: np.ndarray, rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    n = scores.shape[1]
    out_scores = np.full((scores.shape[0], k), -np.inf, dtype=np.float32)
    out_rows = np.full((scores.shape[0], k), -1, dtype=np.int64)
    take = min(k, n)
    if take == 0:
        return out_scores, out_rows
    part = np.argpartition(-scores, take - 1, axis=1)[:, :take]
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-part_scores, axis=1, kind="stable")
    out_scores[:, :take] = np.take_along_axis(part_scores, order, axis=1)
    out_rows[:, :take] = rows[np.take_along_axis(part, order, axis=1)]
    return out_scores, out_rows


def exact_search(
    vectors: np.ndarray, queries: np.ndarray, k: int, allowed: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    rows = np.flatnonzero(allowed) if allowed is not None else np.arange(len(vectors))
    return _top_k(queries @ vectors[rows].T, rows, k)


class NumpyIndex:
    """Brute force with numpy: the reference every other index is checked against."""

    kind = "numpy"

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.size = len(self.vectors)

    def search(
        self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        return exact_search(self.vectors, queries, k, allowed)


class FaissIndex:
    """A FAISS flat or HNSW index over row numbers 0..size-1; filters become an ID bitmap."""

    def __init__(self, index: faiss.Index, kind: IndexKind, vectors: np.ndarray) -> None:
        self.index = index
        self.kind: IndexKind = kind
        self.size = int(index.ntotal)
        self._vectors = vectors  # for small filtered subsets; kept in the same memory as the index

    @classmethod
    def build(cls, vectors: np.ndarray, kind: IndexKind | None = None) -> FaissIndex:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dim = vectors.shape[1]
        chosen: IndexKind = kind or ("exact" if len(vectors) <= EXACT_LIMIT else "hnsw")
        if chosen == "exact":
            index: faiss.Index = faiss.IndexFlatIP(dim)
        else:
            index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            index.hnsw.efSearch = HNSW_EF_SEARCH
        index.add(vectors)
        return cls(index, chosen, vectors)

    @classmethod
    def read(cls, path: Path, kind: IndexKind) -> FaissIndex:
        index: Any = faiss.read_index(str(path))
        flat = _faiss.downcast_index(index.storage) if kind == "hnsw" else index
        # A view of the vectors FAISS already holds, for exact search over small filtered subsets.
        vectors = faiss.rev_swig_ptr(flat.get_xb(), index.ntotal * index.d).reshape(index.ntotal, index.d)
        return cls(index, kind, vectors)

    def write(self, path: Path) -> None:
        faiss.write_index(self.index, str(path))

    def search(
        self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        if allowed is None:
            scores, rows = self.index.search(queries, k)
        elif int(allowed.sum()) <= SUBSET_LIMIT:
            return exact_search(self._vectors, queries, k, allowed)
        else:
            bits = np.packbits(allowed, bitorder="little")
            selector = faiss.IDSelectorBitmap(self.size, faiss.swig_ptr(bits))
            params = (
                _faiss.SearchParametersHNSW(sel=selector, efSearch=max(HNSW_EF_SEARCH, k))
                if self.kind == "hnsw"
                else _faiss.SearchParameters(sel=selector)
            )
            scores, rows = self.index.search(queries, k, params=params)
            del selector, bits  # the selector points into ``bits``; both live until here
        scores = np.where(rows < 0, -np.inf, scores).astype(np.float32)
        return scores, rows.astype(np.int64)
