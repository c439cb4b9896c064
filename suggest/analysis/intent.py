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
from suggest.analysis.neighbours import Neighbours
from suggest.analysis.types import IntentResult, LabelScore
from suggest.errors import ModelFormatError
from suggest.protocols import Embedder

KIND = "intent"
TOP_K = 3
OUT_OF_SCOPE = "out_of_scope"
"""The head's class for tickets no intent covers; never returned as a label or in ``top``.
Training files cannot use it as an intent: their out-of-scope spellings all read as no label."""
ENCODER_DIR = "encoder"
"""Where an accurate-mode model keeps its own fine-tuned encoder (int8 graph and tokenizer)."""


@dataclass(frozen=True)
class NgramBlock:
    """One kind of n-gram features and their weights in the head."""

    features: LexicalFeatures
    weight: np.ndarray  # (labels, n-gram columns)
    by_column: np.ndarray = field(init=False, repr=False, compare=False)
    """``weight`` transposed and contiguous: multiplying the sparse n-grams by a transposed view
    made scipy copy all the weights on every call (1.3 ms a ticket)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_column", np.ascontiguousarray(self.weight.T))

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self.features.transform(texts) @ self.by_column, dtype=np.float32)


@dataclass(frozen=True)
class IntentModel:
    head: LinearHead
    centroids: np.ndarray  # (labels, dim): unit mean of each intent's centred training vectors
    min_confidence: float
    min_similarity: float
    version: str
    ngrams: tuple[NgramBlock, ...] = ()
    neighbours: Neighbours | None = None
    encoder: Embedder | None = None
    """An accurate-mode model's own fine-tuned encoder: its head reads that encoder's vectors."""

    def embedder(self, shared: Embedder) -> Embedder:
        """The embedder whose vectors this model takes: its own encoder, else the shared one."""
        return self.encoder or shared

    @property
    def labels(self) -> tuple[str, ...]:
        """The head's classes, the out-of-scope class included when the model has one."""
        return self.head.labels

    @property
    def intents(self) -> tuple[str, ...]:
        """The intents a ticket can be given."""
        return tuple(label for label in self.labels if label != OUT_OF_SCOPE)

    def linear_logits(self, vectors: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        """The linear part: embedding logits plus each n-gram block's."""
        z = self.head.logits(vectors)
        if len(texts):
            for block in self.ngrams:
                z = z + block.logits(texts)
        return z

    def logits(self, vectors: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        """Linear logits plus the weighted neighbour votes, before the temperature."""
        z = self.linear_logits(vectors, texts)
        if self.neighbours is not None and self.neighbours.weight:
            z = z + self.neighbours.weight * self.neighbours.log_votes(centred(vectors, self.head.center))
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
        for block in self.ngrams:
            name = f"ngrams.{block.features.kind}"
            tensors |= {**block.features.tensors(name), f"{name}.weight": block.weight}
        if self.neighbours is not None:
            tensors |= self.neighbours.tensors()
        return tensors

    def meta(self) -> dict[str, Any]:
        return {
            "kind": KIND,
            "head": self.head.meta(),
            "min_confidence": self.min_confidence,
            "min_similarity": self.min_similarity,
            "version": self.version,
            "ngrams": [{"kind": b.features.kind, "unseen_idf": b.features.unseen_idf} for b in self.ngrams],
            "neighbours": self.neighbours.meta() if self.neighbours is not None else None,
            "encoder": {"dir": ENCODER_DIR, "name": self.encoder.name} if self.encoder is not None else None,
        }

    @classmethod
    def load(cls, folder: Path, embedder: Embedder, version: str | None = None) -> IntentModel:
        """Load a trained intent folder, refusing damaged files or another embedding space.
        ``version`` overrides the recorded one (the registry names versions). An accurate-mode
        folder brings its own encoder (checked by the folder's manifest like every file)."""
        tensors, meta = load_folder(folder, KIND)
        encoder = _load_encoder(folder, meta.get("encoder"))
        check_embedder(folder, meta, encoder or embedder)
        head = LinearHead.load("intent", tensors, meta.get("head", {}))
        centroids = tensors.get("intent.centroids")
        if centroids is None or centroids.shape != head.weight.shape:
            raise ModelFormatError(f"{folder}: intent centroids are missing or do not match the head.")
        try:
            ngrams = tuple(_load_block(tensors, spec, len(head.labels)) for spec in _ngram_specs(meta))
            neighbours = (
                Neighbours.load(tensors, meta["neighbours"], len(head.labels), head.weight.shape[1])
                if meta.get("neighbours")
                else None
            )
            return cls(
                head,
                centroids,
                float(meta["min_confidence"]),
                float(meta["min_similarity"]),
                version or str(meta["version"]),
                ngrams,
                neighbours,
                encoder,
            )
        except ModelFormatError as err:
            raise ModelFormatError(f"{folder}: {err}") from None
        except (KeyError, TypeError, ValueError) as err:
            raise ModelFormatError(
                f"{folder}: the manifest lacks a valid {err} for the intent model; retrain it."
            ) from None


def _load_encoder(folder: Path, spec: Any) -> Embedder | None:
    if spec is None:
        return None
    if not isinstance(spec, dict) or spec.get("dir") != ENCODER_DIR or not isinstance(spec.get("name"), str):
        raise ModelFormatError(f"{folder}: the manifest's encoder entry {spec!r} is not valid; retrain it.")
    from suggest.embed.onnx_embedder import OnnxEmbedder
    from suggest.models.onnx_export import INT8_FILE

    graph = folder / ENCODER_DIR / INT8_FILE
    if not graph.is_file():
        raise ModelFormatError(
            f"{folder}: the model declares its own encoder, but {graph} is missing; retrain it."
        )
    return OnnxEmbedder(graph, folder / ENCODER_DIR, name=spec["name"])


LEGACY_LEXICAL = "lexical"
"""Where models trained before the n-gram blocks (one block of character n-grams) keep it."""


def _ngram_specs(meta: dict[str, Any]) -> list[dict[str, Any]]:
    """The n-gram blocks a manifest declares; an older model's ``lexical`` entry is its one
    character block, so models trained before word n-grams keep all their weights."""
    if meta.get("ngrams") is not None:
        return list(meta["ngrams"])
    legacy = meta.get(LEGACY_LEXICAL)
    return [{"kind": "chars", "unseen_idf": legacy["unseen_idf"], "name": LEGACY_LEXICAL}] if legacy else []


def _load_block(tensors: dict[str, np.ndarray], spec: dict[str, Any], n_labels: int) -> NgramBlock:
    kind = str(spec["kind"])
    name = str(spec.get("name") or f"ngrams.{kind}")
    features = LexicalFeatures.load(name, tensors, float(spec["unseen_idf"]), kind)
    weight = tensors[f"{name}.weight"]
    if weight.shape != (n_labels, len(features.columns)):
        raise ModelFormatError(f"{kind} n-gram weights {weight.shape} do not match the head.")
    return NgramBlock(features, weight)
