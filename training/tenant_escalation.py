"""A tenant's escalation head, fitted from the ``escalated`` column of its history.

A class-balanced logistic regression on the centred embedding (``fit_sigmoids`` with one label),
a temperature and a threshold chosen on tickets the fit did not see: the best F1 whose precision
is at least ``heads.min_precision``, so the head adds few false alarms. Precision, recall and F1
at that threshold are then measured on the held-out split, which the gate compares on. The tuning
split is small, so the gate checks the floor again on the held-out tickets: a version is refused
unless its held-out precision reaches the floor it was trained for and its F1 is above 0; the first
version is compared with no head at all (F1 0), so the floor is what keeps it honest.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from suggest.analysis.escalation_head import LABEL, EscalationHead
from suggest.analysis.heads import embedder_meta, save_folder
from suggest.models.manifest import read_manifest
from suggest.protocols import Embedder
from training.history.ingest import ESCALATED, NOT_ESCALATED, HeadExample
from training.intent import Progress
from training.linear import fit_sigmoids, fit_temperature, mean_center, with_temperature
from training.registry import Baseline, Check, Evaluate, ModelRegistry, VersionInfo
from training.run import HeadsOptions, TrainOptions
from training.tenant_emotion import HeadSkipped, check_counts, commit_head, read_holdout, split_and_embed
from training.vectors import VectorCache


@dataclass(frozen=True)
class FittedEscalation:
    head: EscalationHead
    report: dict[str, Any]
    held: list[HeadExample]


def _targets(rows: Sequence[HeadExample]) -> np.ndarray:
    return np.array([e.label == ESCALATED for e in rows], dtype=np.float32)


def figures(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, float]:
    """Precision, recall and F1 of "escalate when p ≥ threshold"."""
    from sklearn.metrics import precision_recall_fscore_support

    precision, recall, f1, _ = precision_recall_fscore_support(
        y.astype(int), (p >= threshold).astype(int), average="binary", zero_division=0
    )
    return {
        "precision": round(float(precision), 4),
        "recall": round(float(recall), 4),
        "f1": round(float(f1), 4),
    }


def tune_threshold(y: np.ndarray, p: np.ndarray, min_precision: float) -> float:
    """The threshold with the best F1 among those with precision ≥ ``min_precision`` (the higher
    one on a tie); ``HeadSkipped`` when none reaches the floor."""
    from sklearn.metrics import precision_recall_curve

    precision, recall, thresholds = precision_recall_curve(y.astype(int), p)
    precision, recall = precision[:-1], recall[:-1]  # the last pair has no threshold
    f1 = np.where(precision + recall > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0.0)
    ok = np.flatnonzero((precision >= min_precision) & (f1 > 0))
    if not len(ok):
        raise HeadSkipped(
            f"escalation: no threshold reaches precision {min_precision:.2f} on the tuning tickets, so "
            "the head would mostly raise false alarms; label more tickets, or lower heads.min_precision."
        )
    best = ok[np.lexsort((thresholds[ok], f1[ok]))[-1]]
    return float(thresholds[best])


def fit_escalation(
    examples: Sequence[HeadExample],
    embedder: Embedder,
    options: TrainOptions,
    progress: Progress | None = None,
    vectors: VectorCache | None = None,
) -> FittedEscalation:
    """Fit the head; ``HeadSkipped`` when either class has too few tickets or no threshold is precise.
    ``vectors`` is the run's embedding cache (a fresh one when None)."""
    heads = options.heads
    check_counts(
        Counter(str(e.label) for e in examples), (ESCALATED, NOT_ESCALATED), heads.min_examples, "escalation"
    )
    started = time.perf_counter()
    split = split_and_embed(examples, embedder, options, progress=progress, vectors=vectors)
    train, fit, tune, held, embed = split.train, split.fit, split.tune, split.held, split.embed

    x_fit, y_fit = embed(fit), _targets(fit)
    linear = fit_sigmoids(
        x_fit, y_fit.reshape(-1, 1), (LABEL,), heads.c, seed=options.seed, center=mean_center(x_fit)
    )
    x_tune, y_tune = embed(tune), _targets(tune)
    linear = with_temperature(
        linear, fit_temperature(linear.logits(x_tune), y_tune.reshape(-1, 1), multilabel=True)
    )
    draft = EscalationHead(linear, 1.0, "candidate")
    threshold = round(tune_threshold(y_tune, draft.probabilities(x_tune), heads.min_precision), 4)
    head = replace(draft, threshold=threshold)
    y_held = _targets(held)
    report = {
        "examples": len(train),
        "labels": dict(sorted(Counter(str(e.label) for e in examples).items())),
        "split": {"fit": len(fit), "tuning": len(tune), "held_out": len(held)},
        "temperature": linear.temperature,
        "threshold": threshold,
        "min_precision": heads.min_precision,
        "tuning": figures(y_tune, draft.probabilities(x_tune), threshold),
        "evaluation": {
            "examples": len(held),
            "positives": int(y_held.sum()),
            "threshold": threshold,
            **figures(y_held, head.probabilities(embed(held)), threshold),
        },
        "seconds": round(time.perf_counter() - started, 1),
    }
    return FittedEscalation(head, report, held)


def commit_escalation(
    registry: ModelRegistry,
    fitted: FittedEscalation,
    embedder: Embedder,
    options: TrainOptions,
    source: dict[str, Any],
) -> VersionInfo:
    def save(folder: Path, version: str) -> None:
        head = replace(fitted.head, version=version)
        training = {
            "report": fitted.report,
            "source": source,
            "options": options.heads.model_dump(mode="json"),
        }
        save_folder(
            folder, head.tensors(), {**head.meta(), "embedder": embedder_meta(embedder), "training": training}
        )

    report = {"evaluation": fitted.report["evaluation"], "training": fitted.report}
    return commit_head(registry, save, fitted.held, report)


def held_out_figures(head: EscalationHead, embedder: Embedder, holdout: Path) -> dict[str, float]:
    """Precision, recall and F1 of the head at its own threshold on a held-out file."""
    held = read_holdout(holdout)
    if not held:
        return {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    p = head.probabilities(embedder.embed([e.text for e in held], "query"))
    return figures(_targets(held), p, head.threshold)


def head_f1(head: EscalationHead, embedder: Embedder, holdout: Path) -> float:
    return held_out_figures(head, embedder, holdout)["f1"]


def escalation_evaluator(embedder: Embedder) -> Evaluate:
    """F1 of the head in a version folder at its own threshold, on a held-out file."""

    def evaluate(folder: Path, holdout: Path) -> float:
        return head_f1(EscalationHead.load(folder, embedder), embedder, holdout)

    return evaluate


def _no_head(_holdout: Path) -> float:
    return 0.0


NO_HEAD: Baseline = _no_head
"""What serves without a version: no learned escalation, which finds none of the escalated tickets."""


def trained_floor(folder: Path) -> float:
    """The precision floor the version was trained for (``heads.min_precision``), else the default."""
    options = read_manifest(folder).get("training", {}).get("options", {})
    floor = options.get("min_precision") if isinstance(options, dict) else None
    return float(floor) if isinstance(floor, int | float) else HeadsOptions().min_precision


def precision_floor(embedder: Embedder) -> Check:
    """Refuse a head whose held-out precision is under its floor, or whose F1 is 0."""

    def check(candidate: Path, _current: Path | None, holdout: Path, _margin: float) -> str | None:
        floor = trained_floor(candidate)
        found = held_out_figures(EscalationHead.load(candidate, embedder), embedder, holdout)
        if found["precision"] + 1e-9 >= floor and found["f1"] > 0:
            return None
        return (
            f"held-out precision {found['precision']:.4f} and F1 {found['f1']:.4f}; an escalation head "
            f"needs precision at least {floor:.2f} (heads.min_precision) and F1 above 0, or it mostly "
            "raises false alarms. Label more tickets and retrain"
        )

    return check
