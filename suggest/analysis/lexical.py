"""Character and word n-gram features that sit beside the embedding in the intent head.

The small multilingual encoder blurs product words, error codes and typos; character 2–5-grams
of the folded text (lowercase, no accents) keep them. On the demo test set they lifted intent
accuracy from 88 % to 93 %; word 1–2-grams added 0.7 points on BANKING77 (BENCHMARKS.md). Only the
n-grams seen in training have weights, so the model stores those columns and their IDF, not the
whole hashed space.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from suggest.analysis.matching import fold

N_FEATURES = 2**20
ANALYZERS: dict[str, tuple[str, tuple[int, int]]] = {"chars": ("char_wb", (2, 5)), "words": ("word", (1, 2))}
"""Each kind of n-gram block: scikit-learn's analyzer and the n-gram range."""


@lru_cache(maxsize=len(ANALYZERS))
def _vectorizer(kind: str) -> Any:
    from sklearn.feature_extraction.text import HashingVectorizer

    analyzer, ngrams = ANALYZERS[kind]
    return HashingVectorizer(
        analyzer=analyzer,
        ngram_range=ngrams,
        n_features=N_FEATURES,
        alternate_sign=False,
        norm=None,
        preprocessor=fold,
    )


def counts(texts: Sequence[str], kind: str = "chars") -> Any:
    """Sparse (texts, 2**20) n-gram counts."""
    return _vectorizer(kind).transform(list(texts))


@dataclass(frozen=True)
class LexicalFeatures:
    columns: np.ndarray  # (m,) int64: hashed n-gram columns seen in training, sorted
    idf: np.ndarray  # (m,) float32
    unseen_idf: float
    """IDF of an n-gram never seen in training; it still counts towards the L2 norm."""
    kind: str = "chars"
    """A key of ``ANALYZERS``."""

    def transform(self, texts: Sequence[str]) -> Any:
        """Sparse (texts, m) sublinear TF-IDF over the training columns, L2-normalised over all n-grams."""
        from scipy.sparse import csr_matrix

        raw = counts(texts, self.kind).tocsr()
        raw.sort_indices()
        position = np.minimum(np.searchsorted(self.columns, raw.indices), len(self.columns) - 1)
        known = self.columns[position] == raw.indices
        values = (1.0 + np.log(raw.data)) * np.where(known, self.idf[position], self.unseen_idf)
        rows = np.repeat(np.arange(raw.shape[0]), np.diff(raw.indptr))
        norms = np.sqrt(np.bincount(rows, weights=values**2, minlength=raw.shape[0]))
        scaled = (values / np.maximum(norms, 1e-12)[rows]).astype(np.float32)
        indptr = np.concatenate([[0], np.cumsum(np.bincount(rows[known], minlength=raw.shape[0]))])
        return csr_matrix((scaled[known], position[known], indptr), shape=(raw.shape[0], len(self.columns)))

    def tensors(self, name: str) -> dict[str, np.ndarray]:
        # safetensors stores float32 here; column ids < 2**20 are exact in float32
        return {f"{name}.columns": self.columns.astype(np.float32), f"{name}.idf": self.idf}

    @classmethod
    def load(
        cls, name: str, tensors: dict[str, np.ndarray], unseen_idf: float, kind: str = "chars"
    ) -> LexicalFeatures:
        if kind not in ANALYZERS:
            raise ValueError(f"unknown n-gram kind {kind!r}; known: {sorted(ANALYZERS)}")
        return cls(tensors[f"{name}.columns"].astype(np.int64), tensors[f"{name}.idf"], unseen_idf, kind)

    @classmethod
    def fit(cls, texts: Sequence[str], kind: str = "chars") -> LexicalFeatures:
        """Columns and smoothed IDF (as scikit-learn computes it) from the training texts."""
        raw = counts(texts, kind).tocsc()
        document_freq = np.diff(raw.indptr)
        columns = np.flatnonzero(document_freq).astype(np.int64)
        n = len(texts)
        idf = (np.log((1 + n) / (1 + document_freq[columns])) + 1).astype(np.float32)
        return cls(columns, idf, float(np.log(1 + n) + 1), kind)
