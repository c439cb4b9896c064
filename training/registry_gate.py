"""The promotion gate: a retrained model goes live only if it is not worse than the active one on
the same held-out examples (the candidate's ``holdout.jsonl``), by more than a margin.

Both models are scored by the caller's ``evaluate`` so tests can pass a fake; the CLI and the API
pass ``gate_for(kind, ...)``: intent macro-F1 the one way training/evaluation.py computes it,
sentiment macro-F1 for the emotion heads, F1 at the tuned threshold for the escalation head. A kind
may add checks of its own (``Gate.checks``): emotion macro-F1 for the emotion heads, a precision
floor for the escalation head, whose first version is otherwise compared with no head at all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from suggest.errors import InputError, ReplykitError
from suggest.protocols import Embedder
from training.registry_files import HOLDOUT, holdout_examples

log = logging.getLogger(__name__)
DEFAULT_MARGIN = 0.01
"""One macro-F1 point: a retrain may cost this much on the same held-out data and still go live."""
TOLERANCE = 1e-9
"""So that 0.80 passes "at least 0.81 − 0.01" despite floating-point rounding."""
Evaluate = Callable[[Path, Path], float]
"""``evaluate(model_folder, holdout_file) -> figure`` in [0, 1] (macro-F1 for intent)."""
Baseline = Callable[[Path], float]
"""``baseline(holdout_file) -> figure`` of what serves while no version is active (the shipped
emotion heads), so a tenant's first version must beat it too."""
Check = Callable[[Path, Path | None, Path, float], str | None]
"""``check(candidate, current or None, holdout_file, margin) -> why it is refused, or None``: a figure
beyond the main one that the candidate must also pass (skipped by ``force``)."""
METRICS = {"intent": "macro_f1", "emotion": "sentiment_macro_f1", "escalation": "f1"}
"""The figure each kind's gate compares, as the versions record it (``VersionInfo.metrics``)."""
METRIC_NAMES = {"intent": "macro-F1", "emotion": "sentiment macro-F1", "escalation": "F1"}
"""The same figures as messages name them."""


class GateRefused(InputError):  # noqa: N818 (the name the issue gives it)
    """The candidate scores worse than the active model by more than the margin, or cannot be
    compared with it; ``--force`` promotes it anyway (recorded as such)."""


@dataclass(frozen=True)
class GateFigures:
    candidate_f1: float | None
    current_f1: float | None
    examples: int


NOT_MEASURED = GateFigures(None, None, 0)


@dataclass(frozen=True)
class Gate:
    """How one kind of model is gated: its scorer, what serves without a version, extra checks."""

    evaluate: Evaluate
    baseline: Baseline | None = None
    checks: tuple[Check, ...] = ()


@dataclass(frozen=True)
class PromotionResult:
    """What a promotion or rollback did; the gate figures are None where none were measured."""

    version: str
    previous: str | None
    candidate_f1: float | None
    current_f1: float | None
    margin: float | None
    forced: bool
    examples: int


def check_margin(margin: float) -> float:
    if not 0.0 <= margin <= 1.0:
        raise InputError(f"margin must be between 0 and 1 (0.01 = one macro-F1 point); got {margin}.")
    return margin


def run_gate(
    candidate: Path,
    current: Path | None,
    evaluate: Evaluate,
    *,
    margin: float,
    force: bool,
    baseline: Baseline | None = None,
    metric: str = "macro-F1",
    checks: Sequence[Check] = (),
) -> GateFigures:
    """Score ``candidate`` and ``current`` (or, when None, the ``baseline``) on the candidate's
    held-out file; raise GateRefused when the candidate falls short (unless ``force``: then the
    figures are only recorded, if they can be measured at all). ``checks`` run after the main
    comparison passes; any reason one gives refuses the candidate too."""
    against = current.name if current is not None else "shipped model"
    holdout = candidate / HOLDOUT
    if not holdout.is_file():
        if force:
            return NOT_MEASURED
        raise GateRefused(
            f"{candidate.name} has no {HOLDOUT}, so it cannot be compared with the active version "
            f"{against}. Retrain it with held-out data, or promote it anyway with --force."
        )
    try:
        examples = len(holdout_examples(holdout))
        candidate_f1 = float(evaluate(candidate, holdout))
        if current is not None:
            current_f1 = float(evaluate(current, holdout))
        elif baseline is not None:
            current_f1 = float(baseline(holdout))
        else:
            raise InputError("the gate needs the active version or a baseline to compare with")
        reasons = (
            [] if force else [r for check in checks if (r := check(candidate, current, holdout, margin))]
        )
    except ReplykitError as err:
        if force:
            log.warning("gate figures for %s not measured: %s", candidate.name, err)
            return NOT_MEASURED
        raise GateRefused(
            f"{candidate.name} could not be compared with the active version {against} ({err}). "
            "Promote it anyway with --force."
        ) from None
    if not force and candidate_f1 + TOLERANCE < current_f1 - margin:
        raise GateRefused(
            f"candidate {candidate.name} has {metric} {candidate_f1:.4f} vs the active {against} "
            f"{current_f1:.4f} − margin {margin:.4f} on {examples} held-out examples; it needs at least "
            f"{current_f1 - margin:.4f}. Promote it anyway with --force (recorded in the history), "
            "or allow a larger --margin."
        )
    if reasons:
        raise GateRefused(
            f"candidate {candidate.name} is refused: {'; '.join(reasons)}. Promote it anyway with --force "
            "(recorded in the history)."
        )
    return GateFigures(candidate_f1, current_f1, examples)


def gate_for(
    kind: str, embedder: Embedder, emotion_fallback: Callable[[Embedder], Any] | None = None
) -> Gate:
    """The gate for a kind of model. ``emotion_fallback`` (default: the support examples' heads)
    stands in for the shipped heads with an embedder they were not trained for. Nothing is loaded
    or embedded until the gate runs."""
    if kind == "emotion":
        from training.emotion import support_only_model
        from training.tenant_emotion import emotion_check, emotion_evaluator, shipped_baseline

        fallback = emotion_fallback or support_only_model
        return Gate(
            emotion_evaluator(embedder),
            shipped_baseline(embedder, fallback),
            (emotion_check(embedder, fallback),),
        )
    if kind == "escalation":
        from training.tenant_escalation import NO_HEAD, escalation_evaluator, precision_floor

        return Gate(escalation_evaluator(embedder), NO_HEAD, (precision_floor(embedder),))
    return Gate(registry_evaluator(embedder))


def registry_evaluator(embedder: Embedder) -> Evaluate:
    """macro-F1 of the intent model in a folder on a held-out file, as training/evaluation.py
    computes it for every training run."""

    def evaluate(folder: Path, holdout: Path) -> float:
        from suggest.analysis.intent import IntentModel
        from training.evaluation import evaluate_examples

        model = IntentModel.load(folder, embedder)
        return evaluate_examples(model, embedder, holdout_examples(holdout)).macro_f1

    return evaluate
