"""A deterministic hashing embedder for fast unit tests: no model, same vector every run."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from suggest.embed.text import validate_texts
from suggest.protocols import TextKind

_WORD = re.compile(r"\w+", re.UNICODE)


class HashingEmbedder:
    """Hashes words and character trigrams into signed buckets.

    Texts that share words come out close, which is enough to exercise ranking code.
    The ``kind`` is ignored: the fake has no query/passage asymmetry.
    """

    def __init__(self, dim: int = 384) -> None:
        if dim < 8:
            raise ValueError(f"dim must be at least 8, got {dim}")
        self.dim = dim
        self.name = f"hashing-fake-{dim}"

    def _features(self, text: str) -> list[str]:
        lowered = text.lower()
        words = _WORD.findall(lowered)
        padded = f" {lowered.strip()} "
        trigrams = [padded[i : i + 3] for i in range(max(len(padded) - 2, 1))]
        return [f"w:{w}" for w in words] + [f"c:{t}" for t in trigrams]

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        for feature in self._features(text):
            digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
            bucket = int.from_bytes(digest[:4], "little") % self.dim
            vec[bucket] += 1.0 if digest[4] & 1 else -1.0
        norm = float(np.linalg.norm(vec))
        if norm == 0.0:  # features cancelled out exactly: fall back to one fixed axis
            vec[0], norm = 1.0, 1.0
        return vec / norm

    def embed(self, texts: Sequence[str], kind: TextKind = "query") -> np.ndarray:
        cleaned = validate_texts(texts)
        if not cleaned:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vector(t) for t in cleaned])
