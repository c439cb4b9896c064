"""How good an intent model is on held-out examples: the figures every run reports.

The same numbers decide whether a retrained model replaces the current one (macro-F1 on the same
held-out data), so they are computed one way only, here. Two views are kept apart on purpose:
``accuracy``, ``ece`` and ``reliability`` judge the head (its top intent and that intent's
calibrated probability), while ``accuracy_with_abstention``, ``macro_f1``, ``per_intent``,
``confusion``, ``coverage`` and ``out_of_scope_recall`` judge what a ticket actually gets, where
abstaining counts as the answer "out_of_scope".
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from eval.metrics import expected_calibration_error, macro_f1
from suggest.analysis.intent import OUT_OF_SCOPE, IntentModel
from suggest.errors import InputError
from suggest.protocols import Embedder
from training.data import Example
from training.intent import embed_all

Progress = Callable[[int, int], None]
BINS = 15


@dataclass(frozen=True)
class IntentEvaluation:
    examples: int
    accuracy: float
    """Top intent (argmax over the intents, thresholds ignored) on examples with an in-scope gold label."""
    accuracy_with_abstention: float
    """The final label (None = abstain) equals the gold one; abstaining is right on out-of-scope gold."""
    macro_f1: float
    """Over final labels, abstention = "out_of_scope"; averaged over the gold classes present only.
    A class predicted but never gold gets no F1 of its own: its predictions only cost the recall of
    the gold classes they were wrong about (scikit-learn's ``labels=`` restriction)."""
    per_intent: dict[str, dict[str, float | int]]
    """Gold class -> precision, recall, f1, support."""
    labels: tuple[str, ...]
    """Confusion axes: gold classes, then predicted-only classes (each sorted), "out_of_scope" last."""
    confusion: list[list[int]]
    """Rows gold, columns predicted (final labels)."""
    ece: float
    """Expected calibration error of the top intent's probability, 15 equal-width bins, in-scope gold."""
    reliability: list[dict[str, float | int]]
    """Each non-empty bin: lo, hi, confidence, accuracy, count."""
    coverage: float
    """Share of in-scope examples given a label."""
    out_of_scope_recall: float | None
    """Share of out-of-scope examples the model abstained on; None when there are none."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: tuples become lists, floats are rounded to 4 places."""
        return {key: _rounded(value) for key, value in asdict(self).items()}


def _rounded(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        return round(float(value), 4)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, dict):
        return {str(k): _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value


def reliability_bins(
    confidence: np.ndarray, correct: np.ndarray, bins: int = BINS
) -> list[dict[str, float | int]]:
    """Per non-empty equal-width bin ``(lo, hi]``: mean confidence, accuracy and count.

    Binned exactly as ``training.linear.expected_calibration_error``, so the diagram shows the
    gaps that ECE averages (a confidence of exactly 0 falls in no bin there, nor here)."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    out: list[dict[str, float | int]] = []
    for lo, hi in itertools.pairwise(edges):
        in_bin = (confidence > lo) & (confidence <= hi)
        if in_bin.any():
            out.append(
                {
                    "lo": float(lo),
                    "hi": float(hi),
                    "confidence": float(confidence[in_bin].mean()),
                    "accuracy": float(correct[in_bin].mean()),
                    "count": int(in_bin.sum()),
                }
            )
    return out


def _require_examples(count: int) -> None:
    if not count:
        raise InputError(
            "the evaluation set is empty; expected held-out examples with gold labels. "
            "Check the file and its column names, or hold out a larger share."
        )


def _check_input(vectors: np.ndarray, texts: Sequence[str], gold: Sequence[str | None]) -> None:
    _require_examples(len(gold))
    shape = np.shape(vectors)
    if len(shape) != 2 or shape[0] != len(gold) or len(texts) != len(gold):
        raise InputError(
            f"expected one vector and one text per gold label ({len(gold)}), found vectors of shape "
            f"{shape} and {len(texts)} text(s); pass the same examples, in the same order, to all three."
        )


def evaluate_intent(
    model: IntentModel, vectors: np.ndarray, texts: Sequence[str], gold: Sequence[str | None]
) -> IntentEvaluation:
    """Score ``model`` on examples it never saw; ``gold`` None (or "out_of_scope") = out of scope.

    Gold labels the model does not know are ordinary classes here: every answer to them is wrong."""
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    _check_input(vectors, texts, gold)
    truth = [label or OUT_OF_SCOPE for label in gold]
    in_scope = np.array([label != OUT_OF_SCOPE for label in truth])
    if not in_scope.any():
        raise InputError(
            f"all {len(truth)} evaluation examples are labelled out of scope; expected some with an "
            "intent, or accuracy and calibration cannot be measured. Add labelled examples."
        )
    final = [result.label or OUT_OF_SCOPE for result in model.predict(vectors, list(texts))]

    # The head's view: its best intent and that intent's calibrated probability.
    probs = model.probabilities(vectors, list(texts))
    intent_columns = [i for i, label in enumerate(model.labels) if label != OUT_OF_SCOPE]
    intent_probs = probs[in_scope][:, intent_columns]
    intent_names = [model.labels[i] for i in intent_columns]
    index = {label: i for i, label in enumerate(intent_names)}
    y = np.array([index.get(label, -1) for label, keep in zip(truth, in_scope, strict=True) if keep])
    top = intent_probs.argmax(axis=1)
    top_correct = top == y

    present = set(truth)
    gold_classes = sorted(present - {OUT_OF_SCOPE})
    predicted_only = sorted(set(final) - present - {OUT_OF_SCOPE})
    has_oos = OUT_OF_SCOPE in present or OUT_OF_SCOPE in final
    axes = tuple(gold_classes + predicted_only + ([OUT_OF_SCOPE] if has_oos else []))
    scored = [label for label in axes if label in present]  # the gold classes, OOS last

    precision, recall, f1, support = precision_recall_fscore_support(
        truth, final, labels=scored, zero_division=0
    )
    per_intent: dict[str, dict[str, float | int]] = {
        label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
        for label, p, r, f, s in zip(scored, precision, recall, f1, support, strict=True)
    }
    labelled = np.array([label != OUT_OF_SCOPE for label in final])
    right = np.array([t == f for t, f in zip(truth, final, strict=True)])
    return IntentEvaluation(
        examples=len(truth),
        accuracy=float(top_correct.mean()),
        accuracy_with_abstention=float(right.mean()),
        macro_f1=macro_f1(truth, final, labels=scored),
        per_intent=per_intent,
        labels=axes,
        confusion=confusion_matrix(truth, final, labels=list(axes)).tolist(),
        ece=expected_calibration_error(intent_probs, y, bins=BINS),
        reliability=reliability_bins(intent_probs.max(axis=1), top_correct),
        coverage=float(labelled[in_scope].mean()),
        out_of_scope_recall=float((~labelled[~in_scope]).mean()) if (~in_scope).any() else None,
    )


def evaluate_examples(
    model: IntentModel, embedder: Embedder, examples: Sequence[Example], progress: Progress | None = None
) -> IntentEvaluation:
    """Embed the examples' texts (the costly part, hence ``progress``) and evaluate on them; an
    accurate-mode model's texts are embedded with its own encoder."""
    _require_examples(len(examples))
    texts = [example.text for example in examples]
    vectors = embed_all(model.embedder(embedder), texts, progress)
    return evaluate_intent(model, vectors, texts, [example.label for example in examples])
