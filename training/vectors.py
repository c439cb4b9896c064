"""One training run's embeddings, shared by the intent model and the tenant's heads.

The intent examples and the heads' labelled tickets come from the same history, so the same
redacted texts would otherwise be embedded once per model (the slowest step of a run on CPU).
Vectors are kept in memory for the run only, keyed by the redacted text.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from suggest.protocols import Embedder
from training.intent import Progress, embed_all


class VectorCache:
    """``embed(texts)`` embeds only the texts this run has not embedded yet."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._rows: dict[str, np.ndarray] = {}
        self.embedded = 0
        """How many texts went through the embedder (each distinct text once)."""

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """The vectors of ``texts`` in order; ``progress`` counts over the texts not yet known."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._rows))
        if missing:
            vectors = embed_all(self.embedder, missing, progress)
            self._rows.update(zip(missing, vectors, strict=True))
            self.embedded += len(missing)
        elif progress is not None:
            progress(len(texts), len(texts))  # nothing to embed: done at once
        if not texts:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        return np.stack([self._rows[t] for t in texts])
