"""Shared builders for the analysis tests: hand-made model outputs, a small labelled set, and
models trained once per test process on the deterministic fake embedder."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from suggest.analysis.emotion import EmotionModel
from suggest.analysis.types import IntentResult, LabelScore, SentimentLabel, SentimentResult
from suggest.embed.fake import HashingEmbedder
from training.data import Example
from training.intent import IntentTrainOptions, TrainedIntent, train_intent

INTENT_EXAMPLES: dict[str, tuple[str, ...]] = {
    "refund": (
        "I want a refund for my order",
        "please refund my money",
        "refund the payment now",
        "how do I get a refund",
        "refund request for my purchase",
        "can I have a refund please",
        "money back refund",
        "refund my purchase",
    ),
    "password": (
        "I forgot my password",
        "reset my password please",
        "password reset link broken",
        "cannot remember password",
        "change my password",
        "password not working",
        "new password needed",
        "my password expired",
    ),
    "delivery": (
        "where is my parcel delivery",
        "parcel delivery is late",
        "track my parcel",
        "delivery of parcel delayed",
        "parcel not delivered yet",
        "when will the parcel arrive",
        "delivery status parcel",
        "parcel delivery tracking",
    ),
    "invoice": (
        "send me the invoice copy",
        "invoice is missing",
        "I need an invoice pdf",
        "wrong amount on invoice",
        "invoice address change",
        "download my invoice",
        "invoice for last month",
        "duplicate invoice please",
    ),
}
OUT_OF_SCOPE_EXAMPLES: tuple[str, ...] = (
    "the weather is nice today",
    "what is the capital of france",
    "my cat likes fish",
    "football match tonight",
)
SMALL_OPTIONS = IntentTrainOptions(c_grid=(10.0,), folds=3)


def labelled_examples(*, out_of_scope: bool = True) -> list[Example]:
    """4 intents x 8 short English examples, plus a few out-of-scope ones (label None)."""
    examples = [Example(text, label) for label, texts in INTENT_EXAMPLES.items() for text in texts]
    if out_of_scope:
        examples += [Example(text, None) for text in OUT_OF_SCOPE_EXAMPLES]
    return examples


@lru_cache(maxsize=1)
def fake_embedder() -> HashingEmbedder:
    return HashingEmbedder()


@lru_cache(maxsize=1)
def trained_intent() -> TrainedIntent:
    """The small intent model, trained once per process (about 0.2 s)."""
    return train_intent(labelled_examples(), fake_embedder(), SMALL_OPTIONS)


@lru_cache(maxsize=1)
def support_emotion_model() -> EmotionModel:
    """Sentiment/emotion heads fitted on the project's support examples (about 1 s), once."""
    from training.emotion import support_only_model

    return support_only_model(fake_embedder())


def embed(texts: Sequence[str]) -> np.ndarray:
    return fake_embedder().embed(list(texts), "query")


def intent(
    label: str | None,
    confidence: float = 0.95,
    *,
    top: Sequence[tuple[str, float]] | None = None,
    reason: str | None = None,
) -> IntentResult:
    """An intent result as the model would give it; ``top`` defaults to the label alone."""
    if top is None:
        top = [(label, confidence)] if label is not None else []
    return IntentResult(
        label=label,
        confidence=confidence,
        top=[LabelScore(label=name, confidence=score) for name, score in top],
        reason=reason or (f"'{label}' at {confidence:.0%}" if label else "out of scope: nothing fits"),
    )


def sentiment(label: SentimentLabel, score: float) -> SentimentResult:
    return SentimentResult(label=label, score=score)


NEUTRAL = sentiment("neutral", 0.9)
POSITIVE = sentiment("positive", 0.95)
NEGATIVE = sentiment("negative", 0.9)
