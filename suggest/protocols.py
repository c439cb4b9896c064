"""The small interfaces the pipeline is built on. Implementations live elsewhere."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol, runtime_checkable

import numpy as np

TextKind = Literal["query", "passage"]
"""E5-style models embed tickets as queries and knowledge-base texts as passages."""


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors, one row per text."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str], kind: TextKind = "query") -> np.ndarray:
        """Return an array of shape ``(len(texts), dim)``; rows have unit length."""
        ...
