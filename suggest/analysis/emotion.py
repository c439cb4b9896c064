"""Sentiment (negative / neutral / positive) and five emotion scores from one embedding.

No pretrained sentiment model can be had offline, so these are linear heads trained on the
multilingual embeddings (training/emotion.py); the default weights ship in the package with a
model card (suggest/analysis/weights/emotion/MODEL_CARD.md).

Each ticket's embedding has its language's mean support-ticket embedding taken off before the
heads. Without that the heads read the language itself as emotion: the Dutch public data (XED,
film subtitles) is nearly all emotional, and plain Dutch questions came out 72 % "angry".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from suggest.analysis.heads import LinearHead, check_embedder, load_folder
from suggest.analysis.types import EMOTIONS, SentimentResult
from suggest.errors import ModelFormatError
from suggest.protocols import Embedder

KIND = "emotion"
SENTIMENTS = ("negative", "neutral", "positive")
DEFAULT_FOLDER = Path(__file__).parent / "weights" / "emotion"


@dataclass(frozen=True)
class EmotionScores:
    sentiment: SentimentResult
    emotions: dict[str, float]


@dataclass(frozen=True)
class EmotionModel:
    sentiment: LinearHead
    emotions: LinearHead
    version: str
    language_means: dict[str, np.ndarray] = field(default_factory=dict)
    """Mean support-ticket embedding per language; another language gets the mean of these."""
    _fallback: np.ndarray | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.language_means:
            fallback = np.mean(np.stack(list(self.language_means.values())), axis=0).astype(np.float32)
            object.__setattr__(self, "_fallback", fallback)

    def shifted(self, vectors: np.ndarray, languages: Sequence[str]) -> np.ndarray:
        """The embeddings with their language's mean taken off (unchanged without means)."""
        if len(languages) != len(vectors):
            raise ValueError(f"expected one language per vector; found {len(languages)} for {len(vectors)}")
        if self._fallback is None or not len(vectors):
            return vectors
        means = np.stack([self.language_means.get(language, self._fallback) for language in languages])
        return np.asarray(vectors - means, dtype=np.float32)

    def predict(self, vectors: np.ndarray, languages: Sequence[str]) -> list[EmotionScores]:
        """Scores per ticket; ``languages`` are the tickets' language codes, in order."""
        x = self.shifted(vectors, languages)
        sent = self.sentiment.probabilities(x)
        emo = self.emotions.probabilities(x)
        out = []
        for s, e in zip(sent, emo, strict=True):
            best = int(np.argmax(s))
            label = self.sentiment.labels[best]
            out.append(
                EmotionScores(
                    SentimentResult(label=label, score=round(float(s[best]), 4)),  # type: ignore[arg-type]
                    {name: round(float(v), 4) for name, v in zip(self.emotions.labels, e, strict=True)},
                )
            )
        return out

    def tensors(self) -> dict[str, np.ndarray]:
        means = {f"language_mean.{code}": mean for code, mean in self.language_means.items()}
        return {**self.sentiment.tensors("sentiment"), **self.emotions.tensors("emotions"), **means}

    def meta(self) -> dict[str, Any]:
        return {
            "kind": KIND,
            "sentiment": self.sentiment.meta(),
            "emotions": self.emotions.meta(),
            "languages": sorted(self.language_means),
            "version": self.version,
        }

    @classmethod
    def load(cls, folder: Path, embedder: Embedder) -> EmotionModel:
        tensors, meta = load_folder(folder, KIND)
        check_embedder(folder, meta, embedder)
        sentiment = LinearHead.load("sentiment", tensors, meta.get("sentiment", {}))
        emotions = LinearHead.load("emotions", tensors, meta.get("emotions", {}))
        if sentiment.labels != SENTIMENTS or emotions.labels != EMOTIONS or not emotions.multilabel:
            raise ModelFormatError(
                f"{folder}: expected sentiment labels {SENTIMENTS} and multilabel emotions {EMOTIONS}; "
                f"found {sentiment.labels} and {emotions.labels}."
            )
        means = {}
        for code in meta.get("languages", []):
            mean = tensors.get(f"language_mean.{code}")
            if mean is None or mean.shape != (sentiment.weight.shape[1],):
                raise ModelFormatError(
                    f"{folder}: the mean embedding for language {code!r} is missing or malformed."
                )
            means[code] = mean
        return cls(sentiment, emotions, str(meta.get("version", "unknown")), means)
