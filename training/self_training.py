"""Self-training: the tenant's unlabelled tickets, labelled by the model itself where it is
confident, join the training set for another fit.

Why: a tenant often labels tickets in one language and receives them in several. An English-only
head abstains on most Dutch and Greek tickets (demo: the right label given for 46 % and 29 %);
the unlabelled tickets the model is already sure about teach it what those languages look like.
On the demo (English labels only) two rounds at probability ≥ 0.5 raised that to 79.5 % and 65 %
(BENCHMARKS.md), though Greek's top label alone fell by 3.5 points. Pseudo-labels are sometimes
wrong, so the held-out split stays human-labelled, and the promotion gate compares the result
with the active model on those tickets. The pseudo-labelled tickets also take part in the model's
internal choice of C, temperature and thresholds (they are training examples like the others).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from suggest.analysis.intent import OUT_OF_SCOPE
from suggest.protocols import Embedder
from training.data import Example
from training.intent import IntentTrainOptions, TrainedIntent, train_intent


class SelfTrainingOptions(BaseModel):
    """Off by default: it helps when the labelled tickets miss languages or topics that the
    unlabelled history has, and a held-out split of human labels is what judges it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rounds: int = Field(default=0, ge=0, le=5, description="Fit again this many times (0: off).")
    min_probability: float = Field(
        default=0.5,
        gt=0.0,
        lt=1.0,
        description="A ticket joins when the model's top intent has at least this.",
    )
    max_unlabelled: int = Field(
        default=20_000, ge=1, le=500_000, description="Unlabelled tickets used at most (newest first)."
    )


@dataclass(frozen=True)
class Round:
    added: int
    """Unlabelled tickets that joined the training set in this round."""
    per_intent: dict[str, int]


def self_train(
    trained: TrainedIntent,
    train: Sequence[Example],
    x_train: np.ndarray,
    unlabelled: Sequence[str],
    x_unlabelled: np.ndarray,
    *,
    embedder: Embedder,
    intent_options: IntentTrainOptions,
    options: SelfTrainingOptions,
) -> TrainedIntent:
    """``rounds`` refits, each on ``train`` plus the unlabelled tickets the previous model gives
    an intent (not out of scope) with probability ≥ ``min_probability``. Each round labels every
    unlabelled ticket afresh, so an early mistake can be undone."""
    rounds: list[Round] = []
    current = trained
    for _ in range(options.rounds):
        probs = current.model.probabilities(x_unlabelled, list(unlabelled))
        best = probs.argmax(axis=1)
        labels = [current.model.labels[i] for i in best]
        keep = [
            i
            for i, (label, p) in enumerate(zip(labels, probs.max(axis=1), strict=True))
            if label != OUT_OF_SCOPE and p >= options.min_probability
        ]
        if not keep:
            break
        pseudo = [Example(unlabelled[i], labels[i]) for i in keep]
        current = train_intent(
            [*train, *pseudo],
            embedder,
            intent_options,
            vectors=np.concatenate([x_train, x_unlabelled[keep]]),
        )
        counts: dict[str, int] = {}
        for example in pseudo:
            counts[str(example.label)] = counts.get(str(example.label), 0) + 1
        rounds.append(Round(len(keep), dict(sorted(counts.items()))))
    report = {
        "unlabelled": len(unlabelled),
        "rounds": [{"added": r.added, "per_intent": r.per_intent} for r in rounds],
        "options": options.model_dump(mode="json"),
    }
    return TrainedIntent(current.model, {**current.report, "self_training": report})
