"""Sentiment (negative / neutral / positive) and five emotion scores from one embedding.

No pretrained sentiment model can be had offline, so these are linear heads trained on the
multilingual embeddings (training/emotion.py); the default weights ship in the package with a
model card (suggest/analysis/weights/emotion/MODEL_CARD.md).
"""

from __future__ import annotations

from dataclasses import dataclass
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

    def predict(self, vectors: np.ndarray) -> list[EmotionScores]:
        sent = self.sentiment.probabilities(vectors)
        emo = self.emotions.probabilities(vectors)
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
        return {**self.sentiment.tensors("sentiment"), **self.emotions.tensors("emotions")}

    def meta(self) -> dict[str, Any]:
        return {
            "kind": KIND,
            "sentiment": self.sentiment.meta(),
            "emotions": self.emotions.meta(),
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
        return cls(sentiment, emotions, str(meta.get("version", "unknown")))
