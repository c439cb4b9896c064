"""The emotion and escalation heads in a tenant's training run: fitted from the history's
sentiment, emotions and escalated fields before the intent run, committed after it, each as its
own version through its own gate (training/tenant_emotion.py, training/tenant_escalation.py).
They embed through the run's ``VectorCache``, so a text the intent model also trains on is
embedded once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from suggest.protocols import Embedder
from training.emotion import support_only_model
from training.history.ingest import HeadLabels
from training.redact import RedactionReport, Redactor
from training.registry import GateRefused, ModelRegistry, VersionInfo, gate_for
from training.run import TrainOptions, redacted
from training.tenant_emotion import FittedEmotion, HeadSkipped, commit_emotion, fit_emotion
from training.tenant_escalation import FittedEscalation, commit_escalation, fit_escalation
from training.tenant_models import emotion_model_for
from training.vectors import VectorCache


@dataclass(frozen=True)
class HeadData:
    sentiment: HeadLabels
    escalation: HeadLabels


@dataclass
class HeadOutcome:
    """What became of one head (``emotion`` or ``escalation``) in a run: figures and ids only."""

    kind: str
    skipped: str | None = None
    """Why no version was trained (too few labels, no field in the history)."""
    unreadable: int = 0
    """Tickets whose label value could not be read (left out, never guessed)."""
    version: str | None = None
    evaluation: dict[str, Any] = field(default_factory=dict)
    promoted: bool = False
    refused: str | None = None

    def line(self) -> str:
        """One line for the CLI and the job's log."""
        what = "emotion heads" if self.kind == "emotion" else "escalation head"
        bad = f" ({self.unreadable} unreadable labels skipped)" if self.unreadable else ""
        if self.skipped is not None:
            return f"{what}: skipped: {self.skipped}{bad}"
        e = self.evaluation
        if self.kind == "emotion":
            shipped = e.get("shipped_sentiment_macro_f1")
            figures = f"sentiment macro-F1 {e.get('sentiment_macro_f1')} vs shipped {shipped}"
        else:
            figures = (
                f"F1 {e.get('f1')}, precision {e.get('precision')}, recall {e.get('recall')} "
                f"at threshold {e.get('threshold')}"
            )
        state = (
            "promoted" if self.promoted else f"not promoted: {self.refused}" if self.refused else "committed"
        )
        return f"{what}: {self.version}: {figures} on {e.get('examples')} held-out tickets; {state}{bad}"


@dataclass
class Fitted:
    outcome: HeadOutcome
    fitted: FittedEmotion | FittedEscalation | None = None
    source: dict[str, Any] = field(default_factory=dict)


def fit_heads(
    data: HeadData,
    tenant: str,
    embedder: Embedder,
    options: TrainOptions,
    *,
    redactor: Redactor,
    stage: Callable[[str, str], None],
    vectors: VectorCache | None = None,
) -> list[Fitted]:
    """Fit the heads the history has labels for; nothing is written yet (see ``commit_heads``).
    Reported under the run's "embedding" stage, which the intent run's embedding then moves on
    from (the heads' own share is not drawn, so a job's progress never goes back)."""
    vectors = vectors or VectorCache(embedder)
    heads = options.heads
    out = []
    for kind, labels, fields in (
        ("emotion", data.sentiment, [heads.sentiment_field, heads.emotions_field]),
        ("escalation", data.escalation, [heads.escalation_field]),
    ):
        outcome = HeadOutcome(kind, unreadable=labels.skipped)
        report = RedactionReport()
        examples = redacted(labels.examples, redactor, report)
        source = {"history": tenant, "fields": fields, "redaction": report.as_dict()}
        item = Fitted(outcome, source=source)
        if not examples:
            outcome.skipped = f"no imported ticket has a readable '{fields[0]}' field"
            out.append(item)
            continue
        stage("embedding", f"embedding and fitting the {kind} head on {len(examples)} labelled tickets")
        try:
            if kind == "emotion":
                shipped = emotion_model_for(embedder, support_only_model)
                item.fitted = fit_emotion(examples, embedder, options, shipped, vectors=vectors)
            else:
                item.fitted = fit_escalation(examples, embedder, options, vectors=vectors)
        except HeadSkipped as skipped:
            outcome.skipped = str(skipped)
        out.append(item)
    return out


def commit_heads(
    data_dir: Path,
    tenant: str,
    embedder: Embedder,
    options: TrainOptions,
    heads: list[Fitted],
    *,
    promote: bool,
    actor: str,
) -> tuple[HeadOutcome, ...]:
    for item in heads:
        fitted, outcome = item.fitted, item.outcome
        if fitted is None:
            continue
        registry = ModelRegistry(data_dir, tenant, outcome.kind)
        if isinstance(fitted, FittedEmotion):
            info = commit_emotion(registry, fitted, embedder, options, item.source)
        else:
            info = commit_escalation(registry, fitted, embedder, options, item.source)
        outcome.version = info.version
        outcome.evaluation = dict(report_evaluation(info))
        if promote:
            gate = gate_for(outcome.kind, embedder, support_only_model)
            try:
                registry.promote_gated(info.version, gate, actor=actor)
                outcome.promoted = True
            except GateRefused as refused:
                outcome.refused = str(refused)
    return tuple(item.outcome for item in heads)


def report_evaluation(info: VersionInfo) -> dict[str, Any]:
    """The held-out figures the version recorded (report/report.json's ``evaluation``)."""
    metrics = dict(info.metrics)
    if "holdout_examples" in metrics:
        metrics["examples"] = metrics.pop("holdout_examples")
    return metrics
