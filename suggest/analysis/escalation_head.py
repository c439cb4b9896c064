"""A tenant's learned escalation head: how much a ticket reads like the ones its team escalated.

One class-balanced logistic regression on the centred embedding the pipeline already has, with a
temperature and a threshold tuned for the best F1 at a precision floor (training/tenant_escalation.py).
It adds the ``learned_pattern`` reason to ``decide``; the keyword triggers stay as they are, so a
tenant's own history can add escalations but never hide one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from suggest.analysis.heads import LinearHead, check_embedder, load_folder
from suggest.errors import ModelFormatError
from suggest.protocols import Embedder

KIND = "escalation"
LABEL = "escalated"


@dataclass(frozen=True)
class EscalationHead:
    head: LinearHead
    """One sigmoid: the probability that the team would escalate the ticket."""
    threshold: float
    version: str

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """One probability per vector (rows of embeddings)."""
        if not len(vectors):
            return np.zeros(0, dtype=np.float32)
        out: np.ndarray = self.head.probabilities(vectors)[:, 0]
        return out

    def tensors(self) -> dict[str, np.ndarray]:
        return self.head.tensors("escalation")

    def meta(self) -> dict[str, Any]:
        return {
            "kind": KIND,
            "escalation": self.head.meta(),
            "threshold": self.threshold,
            "version": self.version,
        }

    @classmethod
    def load(cls, folder: Path, embedder: Embedder, version: str | None = None) -> EscalationHead:
        tensors, meta = load_folder(folder, KIND)
        check_embedder(folder, meta, embedder)
        head = LinearHead.load("escalation", tensors, meta.get("escalation", {}))
        threshold = meta.get("threshold")
        if head.labels != (LABEL,) or not head.multilabel or not isinstance(threshold, int | float):
            raise ModelFormatError(
                f"{folder}: expected one sigmoid labelled '{LABEL}' and a threshold; found labels "
                f"{head.labels} (multilabel {head.multilabel}) and threshold {threshold!r}. Retrain it."
            )
        if not 0.0 < float(threshold) <= 1.0:
            raise ModelFormatError(f"{folder}: threshold {threshold} is outside (0, 1]; retrain it.")
        return cls(head, float(threshold), version or str(meta.get("version", "unknown")))
