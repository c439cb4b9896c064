"""The quality metrics every evaluation and training report uses, in one place (issue 7).

Each function says what it does with edge cases instead of failing obscurely: no examples is an
error that says so; a query with no relevant item, a class never predicted, or a class only
predicted are scored by the rule in its docstring. Values are plain floats in [0, 1].
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Sequence
from collections.abc import Set as AbstractSet

import numpy as np

from suggest.errors import InputError


def _need(count: int, what: str) -> None:
    if count == 0:
        raise InputError(f"{what} needs at least one example; found none. Check the evaluation data.")


def recall_at_k(
    ranked: Sequence[Sequence[Hashable]], relevant: Sequence[AbstractSet[Hashable]], k: int
) -> float:
    """Share of queries with at least one relevant item (``relevant``: each query's set of right
    answers) in their top ``k``, the usual reading for one-answer retrieval. A query whose ranking
    is empty is a miss; one with no relevant item at all is a miss too."""
    if k < 1:
        raise InputError(f"k must be at least 1; found {k}.")
    if len(ranked) != len(relevant):
        raise InputError(f"expected one ranking per query; found {len(ranked)} rankings for {len(relevant)}.")
    _need(len(ranked), "recall@k")
    hits = [not rel.isdisjoint(r[:k]) for r, rel in zip(ranked, relevant, strict=True)]
    return float(np.mean(hits))


def mean_reciprocal_rank(
    ranked: Sequence[Sequence[Hashable]], relevant: Sequence[AbstractSet[Hashable]]
) -> float:
    """Mean over queries of 1 / (rank of the first relevant item); 0 for a query with none ranked."""
    if len(ranked) != len(relevant):
        raise InputError(f"expected one ranking per query; found {len(ranked)} rankings for {len(relevant)}.")
    _need(len(ranked), "MRR")
    scores = []
    for items, rel in zip(ranked, relevant, strict=True):
        rank = next((i for i, item in enumerate(items, start=1) if item in rel), None)
        scores.append(0.0 if rank is None else 1.0 / rank)
    return float(np.mean(scores))


def macro_f1(
    gold: Sequence[Hashable], predicted: Sequence[Hashable], labels: Sequence[Hashable] | None = None
) -> float:
    """Unweighted mean of per-class F1 over ``labels`` (default: every class in ``gold`` or
    ``predicted``). A class with no true and no predicted example in the data scores 0 only when
    ``labels`` names it; a class only predicted scores 0 (precision 0); a class never predicted
    scores 0 (recall 0)."""
    if len(gold) != len(predicted):
        raise InputError(f"expected one prediction per gold label; found {len(predicted)} for {len(gold)}.")
    _need(len(gold), "macro-F1")
    classes = list(labels) if labels is not None else sorted(set(gold) | set(predicted), key=str)
    scores = []
    for label in classes:
        tp = sum(g == label and p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(g != label and p == label for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted, strict=True))
        scores.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores)) if scores else 0.0


def expected_calibration_error(probs: np.ndarray, y: np.ndarray, bins: int = 15) -> float:
    """Gap between confidence and accuracy, averaged over equal-width confidence bins (weighted by
    the share of examples in each); the top class's probability is the confidence."""
    probs = np.asarray(probs)
    if probs.ndim != 2 or len(probs) != len(y):
        raise InputError(
            f"expected a (examples, classes) array and one label per row; found {probs.shape} and {len(y)}."
        )
    _need(len(probs), "ECE")
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == np.asarray(y)
    edges = np.linspace(0.0, 1.0, bins + 1)
    total = 0.0
    for lo, hi in itertools.pairwise(edges):
        in_bin = (confidence > lo) & (confidence <= hi)
        if in_bin.any():
            total += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return round(float(total), 4)
