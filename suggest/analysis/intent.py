"""Intent: a calibrated linear head, and the tests that turn a weak guess into "out of scope".

A wrong intent is worse than none: it picks the wrong reply. So no label is given when the head's
own out-of-scope class wins (learnt from examples labelled out of scope: job applications, press,
spam, other companies' products), and a label is only given when its calibrated probability
clears ``min_confidence`` and the ticket is close enough to that intent's training examples
(``min_similarity``, cosine to the intent's centroid). Both thresholds are tuned on held-out
data at training time (training/intent.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from suggest.analysis.heads import LinearHead, centred, check_embedder, load_folder, softmax
from suggest.analysis.lexical import LexicalFeatures
from suggest.analysis.types import IntentResult, LabelScore
from suggest.errors import ModelFormatError
from suggest.protocols import Embedder

KIND = "intent"
TOP_K = 3
OUT_OF_SCOPE = "out_of_scope"
"""The head's class for tickets no intent covers; never returned as a label or in ``top``.
Training files cannot use it as an intent: their out-of-scope spellings all read as no label."""


@dataclass(frozen=True)
class IntentModel:
    head: LinearHead
    centroids: np.ndarray  # (labels, dim): unit mean of each intent's centred training vectors
    min_confidence: float
    min_similarity: float
    version: str
    lexical: LexicalFeatures | None = None
    lexical_weight: np.ndarray | None = None  # (labels, n-gram columns)
    _lexical_by_column: np.ndarray | None = field(default=None, init=False, repr=False, compare=False)
    """``lexical_weight`` transposed and contiguous: multiplying the sparse n-grams by a transposed
    view made scipy copy all the weights on every call (1.3 ms a ticket)."""

    def __post_init__(self) -> None:
        if self.lexical_weight is not None:
            object.__setattr__(self, "_lexical_by_column", np.ascontiguousarray(self.lexical_weight.T))

    @property
    def labels(self) -> tuple[str, ...]:
        """The head's classes, the out-of-scope class included when the model has one."""
        return self.head.labels

    @property
    def intents(self) -> tuple[str, ...]:
        """The intents a ticket can be given."""
        return tuple(label for label in self.labels if label != OUT_OF_SCOPE)

    def logits(self, vectors: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        """Embedding logits plus, when the model has them, character n-gram logits."""
        z = self.head.logits(vectors)
        if self.lexical is not None and self._lexical_by_column is not None and len(texts):
            z = z + np.asarray(self.lexical.transform(texts) @ self._lexical_by_column, dtype=np.float32)
        return z

    def probabilities(self, vectors: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        return softmax(self.logits(vectors, texts) / self.head.temperature)

    def predict(self, vectors: np.ndarray, texts: Sequence[str]) -> list[IntentResult]:
        """One result per ticket; ``texts`` are the cleaned texts that were embedded."""
        probs = self.probabilities(vectors, texts)
        sims = self.similarities(vectors)
        return [self._result(p, s) for p, s in zip(probs, sims, strict=True)]

    def similarities(self, vectors: np.ndarray) -> np.ndarray:
        """Cosine of each (centred) ticket vector to each intent's centroid."""
        sims: np.ndarray = centred(vectors, self.head.center) @ self.centroids.T
        return sims

    def _result(self, probs: np.ndarray, sims: np.ndarray) -> IntentResult:
        order = [int(i) for i in np.argsort(-probs) if self.labels[i] != OUT_OF_SCOPE][:TOP_K]
        top = [LabelScore(label=self.labels[i], confidence=round(float(probs[i]), 4)) for i in order]
        best, p, sim = top[0].label, float(probs[order[0]]), float(sims[order[0]])
        if self.labels[int(np.argmax(probs))] == OUT_OF_SCOPE:
            p_out = float(probs.max())
            reason = (
                f"out of scope: it reads like the examples no intent covers ({p_out:.0%}); "
                f"the closest intent, '{best}', has {p:.0%}"
            )
            return IntentResult(label=None, confidence=round(p_out, 4), top=top, reason=reason)
        if p < self.min_confidence:
            reason = (
                f"out of scope: no known intent fits well; the closest, '{best}', has {p:.0%}, "
                f"below the {self.min_confidence:.0%} needed"
            )
            return IntentResult(label=None, confidence=round(p, 4), top=top, reason=reason)
        if sim < self.min_similarity:
            reason = (
                f"out of scope: the text is unlike the training examples of '{best}' "
                f"(similarity {sim:.3f}, below {self.min_similarity:.3f})"
            )
            return IntentResult(label=None, confidence=round(p, 4), top=top, reason=reason)
        runner_up = f"; next: '{top[1].label}' at {top[1].confidence:.0%}" if len(top) > 1 else ""
        reason = f"'{best}' at {p:.0%} (similarity {sim:.3f} to its examples){runner_up}"
        return IntentResult(label=best, confidence=round(p, 4), top=top, reason=reason)

    def tensors(self) -> dict[str, np.ndarray]:
        tensors = {**self.head.tensors("intent"), "intent.centroids": self.centroids}
        if self.lexical is not None and self.lexical_weight is not None:
            tensors |= {**self.lexical.tensors("lexical"), "lexical.weight": self.lexical_weight}
        return tensors

    def meta(self) -> dict[str, Any]:
        return {
            "kind": KIND,
            "head": self.head.meta(),
            "min_confidence": self.min_confidence,
            "min_similarity": self.min_similarity,
            "version": self.version,
            "lexical": {"unseen_idf": self.lexical.unseen_idf} if self.lexical else None,
        }

    @classmethod
    def load(cls, folder: Path, embedder: Embedder) -> IntentModel:
        """Load a trained intent folder, refusing damaged files or another embedding space."""
        tensors, meta = load_folder(folder, KIND)
        check_embedder(folder, meta, embedder)
        head = LinearHead.load("intent", tensors, meta.get("head", {}))
        centroids = tensors.get("intent.centroids")
        if centroids is None or centroids.shape != head.weight.shape:
            raise ModelFormatError(f"{folder}: intent centroids are missing or do not match the head.")
        lexical, lexical_weight = None, None
        if meta.get("lexical"):
            try:
                lexical = LexicalFeatures.load("lexical", tensors, float(meta["lexical"]["unseen_idf"]))
                lexical_weight = tensors["lexical.weight"]
            except (KeyError, TypeError, ValueError) as err:
                raise ModelFormatError(f"{folder}: the n-gram features are incomplete ({err!r}).") from None
            if lexical_weight.shape != (len(head.labels), len(lexical.columns)):
                raise ModelFormatError(
                    f"{folder}: n-gram weights {lexical_weight.shape} do not match the head."
                )
        try:
            return cls(
                head,
                centroids,
                float(meta["min_confidence"]),
                float(meta["min_similarity"]),
                str(meta["version"]),
                lexical,
                lexical_weight,
            )
        except (KeyError, TypeError, ValueError) as err:
            raise ModelFormatError(f"{folder}: manifest lacks a valid {err} for the intent model.") from None
