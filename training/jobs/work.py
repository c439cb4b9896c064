"""The one training path that ``replykit train`` (in the foreground) and the job worker (in the
background) share: load the labelled examples, run (embed, fit, evaluate, commit a version), and
promote the version through the gate when asked. When the tenant's history carries sentiment,
emotions or escalated fields, the emotion and escalation heads are trained too, each its own
version through its own gate (training/tenant_emotion.py, training/tenant_escalation.py). The
heads are fitted before the intent run and committed after it, so a run stopped before its intent
commit leaves no version of any kind.

Callers watch and steer a run through ``Hooks``: the CLI draws progress bars, the job runner writes
progress to the job's record and raises to cancel. Raising from a hook before the version is
committed leaves nothing behind: ``run_training`` discards its staged folder on any exception.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.db.schema import HistoryTicketRow
from kb.store import Store
from suggest.errors import InputError
from suggest.protocols import Embedder
from training.data import Example
from training.history.ingest import (
    escalation_examples,
    labelled_examples,
    load_redaction_rules,
    sentiment_examples,
    unlabelled_texts,
)
from training.jobs.heads import HeadData, HeadOutcome, commit_heads, fit_heads
from training.redact import Redactor
from training.registry import (
    GateRefused,
    ModelRegistry,
    PromotionResult,
    Staged,
    VersionInfo,
    registry_evaluator,
)
from training.run import HeadsOptions, RunResult, TrainOptions, run_training
from training.vectors import VectorCache

Loader = Callable[[], tuple[list[Example], dict[str, Any]]]
"""Returns the labelled examples and a record of where they came from (kept in the version)."""

STAGES = {
    "loading": 0.0,
    "embedding": 0.05,
    "tuning": 0.05,
    "fitting": 0.75,
    "committing": 0.9,
    "promoting": 0.95,
}
"""Each stage and the share of the run done when it starts (at the latest). Embedding moves on to
``fitting``; the accurate mode's fine-tuning, far the longest step, takes the run to ``TUNED``
first, and the embedding with the tuned encoder follows from there."""
TUNED = 0.7


class Hooks:
    """What a run tells its caller; every method may raise to stop the run. Does nothing by itself."""

    def stage(self, name: str, message: str) -> None:
        """A stage of ``STAGES`` starts; ``message`` is a log line (counts only, never ticket text)."""

    def embedded(self, done: int, total: int) -> None:
        """``done`` of ``total`` examples embedded."""

    def tuned(self, done: int, total: int) -> None:
        """``done`` of ``total`` fine-tuning steps (the accurate mode)."""


@dataclass(frozen=True)
class TenantRun:
    run: RunResult
    promotion: PromotionResult | None
    """What the promotion did; None when it was not asked for or the gate refused."""
    refused: GateRefused | None
    """The gate's refusal: the version is committed but not active."""
    heads: tuple[HeadOutcome, ...] = ()
    """The emotion and escalation heads, when the loader could read their labels."""

    def summary(self, promote: bool) -> dict[str, Any]:
        """The run as the job record keeps it: figures and ids only."""
        e, report = self.run.evaluation, self.run.report
        promotion: dict[str, Any] = {"requested": promote, "promoted": self.promotion is not None}
        if self.promotion is not None:
            p = self.promotion
            promotion |= {"previous": p.previous, "candidate_f1": p.candidate_f1, "current_f1": p.current_f1}
        if self.refused is not None:
            promotion["refused"] = str(self.refused)
        return {
            "version": self.run.version.version,
            "evaluation": {
                "examples": e.examples,
                "accuracy": round(e.accuracy, 4),
                "macro_f1": round(e.macro_f1, 4),
                "coverage": round(e.coverage, 4),
                "ece": round(e.ece, 4),
                "out_of_scope_recall": None
                if e.out_of_scope_recall is None
                else round(e.out_of_scope_recall, 4),
            },
            "training": {
                k: report[k] for k in ("examples", "intents", "out_of_scope_examples") if k in report
            },
            "promotion": promotion,
            "heads": {
                h.kind: {
                    "version": h.version,
                    "skipped": h.skipped,
                    "unreadable_labels": h.unreadable,
                    "evaluation": h.evaluation,
                    "promoted": h.promoted,
                    "refused": h.refused,
                }
                for h in self.heads
            },
        }


def no_history_message(tenant: str, label_field: str) -> str:
    return (
        f"tenant '{tenant}' has no imported tickets with the field '{label_field}', so there is nothing to "
        f"train on. Import labelled history first: `replykit history import FILE --tenant {tenant} "
        f"--field {label_field}=COLUMN` (docs/history-import.md)."
    )


def has_labelled_history(session: Session, tenant: str, label_field: str) -> bool:
    """Whether any stored ticket of the tenant has the label field: a query that stops at the first."""
    t = HistoryTicketRow
    probe = select(t.id).where(t.tenant_id == tenant, t.fields[label_field].as_string().is_not(None))
    return session.scalar(probe.limit(1)) is not None


class HistoryLoader:
    """Examples from the tenant's imported (redacted) history; ``heads`` also reads the sentiment,
    emotions and escalated fields for the heads (a file loader has none)."""

    def __init__(self, store: Store, tenant: str, label_field: str) -> None:
        self.store, self.tenant, self.label_field = store, tenant, label_field

    def __call__(self) -> tuple[list[Example], dict[str, Any]]:
        with self.store.session() as session:
            examples = labelled_examples(session, self.tenant, self.label_field)
        if not examples:
            raise InputError(no_history_message(self.tenant, self.label_field))
        return examples, {"history": self.tenant, "label_field": self.label_field}

    def unlabelled(self, limit: int) -> list[str]:
        """The tenant's latest stored tickets without the label field, for self-training."""
        with self.store.session() as session:
            return unlabelled_texts(session, self.tenant, self.label_field, limit)

    def heads(self, options: HeadsOptions) -> HeadData:
        with self.store.session() as session:
            sentiment = sentiment_examples(
                session, self.tenant, options.sentiment_field, options.emotions_field
            )
            escalation = escalation_examples(session, self.tenant, options.escalation_field)
        return HeadData(sentiment, escalation)


def history_loader(store: Store, tenant: str, label_field: str) -> Loader:
    """Examples from the tenant's imported (redacted) history (and, for the heads, their labels)."""
    return HistoryLoader(store, tenant, label_field)


class _HookedRegistry(ModelRegistry):
    """The registry, telling the hooks before a run is staged and before it is committed: the last
    moments a run can still be stopped without leaving a version behind."""

    def __init__(self, data_dir: Path, tenant: str, hooks: Hooks) -> None:
        super().__init__(data_dir, tenant)
        self._hooks = hooks

    def commit(self, staged: Staged) -> VersionInfo:
        self._hooks.stage("committing", f"committing {staged.version}")
        return super().commit(staged)


def train_tenant(
    data_dir: Path,
    tenant: str,
    embedder: Embedder,
    options: TrainOptions,
    load: Loader,
    *,
    promote: bool = False,
    actor: str = "cli",
    hooks: Hooks | None = None,
    base_model: Path | None = None,
) -> TenantRun:
    """Load, train, commit a version and (with ``promote``) make it active if the gate passes.
    ``base_model`` is the shared embedder's folder, which the accurate mode fine-tunes."""
    hooks = hooks or Hooks()
    hooks.stage("loading", "loading the labelled examples")
    examples, source = load()
    intents = len({e.label for e in examples if e.label is not None})
    hooks.stage("embedding", f"embedding {len(examples)} examples ({intents} intents)")

    def embedded(done: int, total: int) -> None:
        hooks.embedded(done, total)
        if done >= total:
            hooks.stage("fitting", "fitting and calibrating the intent model")

    registry = _HookedRegistry(data_dir, tenant, hooks)
    redactor = Redactor(load_redaction_rules(data_dir, tenant))  # the tenant's own patterns too
    data = load.heads(options.heads) if isinstance(load, HistoryLoader) else None
    vectors = VectorCache(embedder)  # a text the heads and the intent model share is embedded once
    fitted = (
        fit_heads(data, tenant, embedder, options, redactor=redactor, stage=hooks.stage, vectors=vectors)
        if data
        else []
    )

    unlabelled = (
        load.unlabelled(options.self_training.max_unlabelled)
        if options.self_training.rounds and isinstance(load, HistoryLoader)
        else []
    )

    def tuned(done: int, total: int) -> None:
        hooks.tuned(done, total)
        if done >= total:
            hooks.stage("embedding", f"embedding {len(examples)} examples with the tuned encoder")

    if options.mode == "accurate" and base_model is not None:
        hooks.stage("tuning", "fine-tuning the encoder (accurate mode)")
    result = run_training(
        registry,
        examples,
        embedder,
        options,
        source,
        progress=embedded,
        redactor=redactor,
        vectors=vectors,
        base_model=base_model,
        tuning=tuned,
        unlabelled=unlabelled,
    )
    heads = commit_heads(data_dir, tenant, embedder, options, fitted, promote=promote, actor=actor)
    if not promote:
        return TenantRun(result, None, None, heads)
    hooks.stage("promoting", f"promoting {result.version.version} through the gate")
    for head in heads:
        hooks.stage("promoting", head.line())
    try:
        promotion = registry.promote(
            result.version.version, evaluate=registry_evaluator(embedder), actor=actor
        )
    except GateRefused as refused:
        return TenantRun(result, None, refused, heads)
    return TenantRun(result, promotion, None, heads)
