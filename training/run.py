"""One training run for a tenant: hold out an evaluation split, embed once, train, evaluate, and
commit the result as a new registry version. Nothing goes live here: promotion is a separate,
gated step (training/registry.py), because a run is only as good as its held-out figures."""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from suggest.analysis.intent import OUT_OF_SCOPE
from suggest.errors import InputError
from suggest.protocols import Embedder
from training.data import Example
from training.evaluation import IntentEvaluation, evaluate_intent
from training.finetune import AccurateOptions, TunedEncoder, tune_encoder
from training.intent import (
    IntentTrainOptions,
    Progress,
    TrainedIntent,
    check_examples,
    embed_all,
    save_intent,
    train_intent,
)
from training.redact import RedactionReport, Redactor
from training.registry import ModelRegistry, VersionInfo
from training.registry_files import HOLDOUT
from training.report import write_intent_report
from training.self_training import SelfTrainingOptions, self_train
from training.vectors import VectorCache

REPORT_DIR = "report"
E = TypeVar("E", bound=Example)


class HeadsOptions(BaseModel):
    """The labelled history fields the sentiment/emotion and escalation heads retrain from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sentiment_field: str = Field(default="sentiment", min_length=1, description="negative|neutral|positive")
    emotions_field: str = Field(
        default="emotions", min_length=1, description="A comma/semicolon list of emotions; empty = none."
    )
    escalation_field: str = Field(default="escalated", min_length=1, description="true/false, yes/no, 1/0")
    min_examples: int = Field(
        default=20, ge=2, description="Needed per sentiment class, and of escalated and not escalated."
    )
    c: float = Field(default=1.0, gt=0, description="Inverse regularisation of the heads.")
    min_precision: float = Field(
        default=0.8, gt=0, le=1, description="The escalation threshold's precision floor on tuning data."
    )


class TrainOptions(BaseModel):
    """Everything a run takes, as one validated object; recorded in the version's manifest with
    the data's hash, so a run can be repeated exactly."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["fast", "accurate"] = Field(
        default="fast",
        description="fast: a calibrated linear head on frozen embeddings (minutes). accurate: the encoder is "
        "fine-tuned first and served beside the shared one (docs/accurate-mode.md; ten minutes or more).",
    )
    evaluation_share: float = Field(
        default=0.2, gt=0.0, lt=0.5, description="Share held out for the report and the promotion gate."
    )
    seed: int = 0
    intent: IntentTrainOptions = Field(default_factory=IntentTrainOptions)
    accurate: AccurateOptions = Field(default_factory=AccurateOptions)
    self_training: SelfTrainingOptions = Field(default_factory=SelfTrainingOptions)
    heads: HeadsOptions = Field(default_factory=HeadsOptions)


@dataclass(frozen=True)
class RunResult:
    version: VersionInfo
    evaluation: IntentEvaluation
    report: dict[str, Any]


def examples_sha256(examples: Sequence[Example]) -> str:
    """A hash of the examples themselves, for data that is not one file (imported history)."""
    digest = hashlib.sha256()
    for e in examples:
        digest.update(json.dumps([e.text, e.label], ensure_ascii=False).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def split_for_evaluation(
    examples: Sequence[E], share: float, seed: int, min_train: int
) -> tuple[list[E], list[E]]:
    """Stratified by label (out of scope is a label too), and decided by each text's seeded hash
    rather than by a random draw: each label holds out its ``share`` of texts with the lowest
    hashes, so a retrain on grown history holds out (nearly) the same tickets, and the active
    version has not trained on the candidate's held-out tickets the gate compares them on. Every
    label keeps at least ``min_train`` examples for training, so rare labels may have none held out."""
    groups: dict[str | None, list[int]] = defaultdict(list)
    for i, example in enumerate(examples):
        groups[example.label].append(i)
    held: set[int] = set()
    for rows in groups.values():
        n = min(max(1, round(len(rows) * share)), len(rows) - min_train)
        if n > 0:
            held.update(sorted(rows, key=lambda i: _position(seed, examples[i].text, i))[:n])
    train = [e for i, e in enumerate(examples) if i not in held]
    return train, [e for i, e in enumerate(examples) if i in held]


def _position(seed: int, text: str, index: int) -> tuple[bytes, int]:
    """Where a text falls in the seeded order; the index only breaks ties between equal texts."""
    return hashlib.sha256(f"{seed}\n{text}".encode()).digest(), index


def run_training(
    registry: ModelRegistry,
    examples: Sequence[Example],
    embedder: Embedder,
    options: TrainOptions,
    source: dict[str, Any],
    *,
    held_out: Sequence[Example] | None = None,
    progress: Progress | None = None,
    redactor: Redactor | None = None,
    vectors: VectorCache | None = None,
    base_model: Path | None = None,
    tuning: Progress | None = None,
    unlabelled: Sequence[str] = (),
) -> RunResult:
    """Train on the examples (less the evaluation split, unless ``held_out`` is given), evaluate,
    and commit a version holding the model, ``holdout.jsonl`` and ``report/``.

    Every text is redacted first (``redactor``, default rules when None): examples may come from
    a file that never went through the history import, and the held-out ones are stored.
    ``vectors`` shares the run's embeddings with the tenant's heads (training/vectors.py).
    The accurate mode fine-tunes ``base_model`` (the shared embedder's sentence-transformers
    folder) first, with ``tuning`` counting its steps, and the version carries that encoder.
    ``unlabelled`` tickets are used by self-training when ``options.self_training`` asks for it."""
    if options.mode == "accurate" and base_model is None:
        raise InputError(
            "the accurate mode fine-tunes the service's own model, but none is available here "
            "(a test embedder?); prepare it with `replykit models prepare`, or use the fast mode."
        )
    redactor, redaction = redactor or Redactor(), RedactionReport()
    examples = redacted(examples, redactor, redaction)
    if held_out is not None:
        held_out = redacted(held_out, redactor, redaction)
    if held_out is None:
        train, held = split_for_evaluation(
            examples, options.evaluation_share, options.seed, options.intent.min_examples
        )
    else:
        train, held = list(examples), list(held_out)
    if not held:
        raise InputError(
            "no example could be held out for evaluation: every label has too few examples. "
            "Add examples, or give a separate evaluation file."
        )
    check_examples(train, options.intent.min_examples)  # before fine-tuning, which takes minutes
    pool = _pool(unlabelled, options, redactor) if options.self_training.rounds else []
    labelled = {e.text for e in [*train, *held]}
    pool = [t for t in pool if t not in labelled]  # a held-out text must not come back pseudo-labelled
    texts = [e.text for e in [*train, *held]] + pool
    with ExitStack() as cleanup:
        tuned = None
        if base_model is not None and options.mode == "accurate":
            registry.root.mkdir(parents=True, exist_ok=True)  # scratch on the data disk: ~1 GB at its peak
            work = Path(
                cleanup.enter_context(tempfile.TemporaryDirectory(prefix=".tune-", dir=registry.root))
            )
            tuned = _tune(base_model, train, options, work, tuning)
        if tuned is not None:
            x = embed_all(tuned.embedder, texts, progress)
        else:
            x = embed_all(embedder, texts, progress) if vectors is None else vectors.embed(texts, progress)
        space = tuned.embedder if tuned else embedder
        x_train, x_held, x_pool = np.split(x, [len(train), len(train) + len(held)])
        trained = train_intent(train, space, options.intent, vectors=x_train)
        if pool:
            trained = self_train(
                trained,
                train,
                x_train,
                pool,
                x_pool,
                embedder=space,
                intent_options=options.intent,
                options=options.self_training,
            )
        if tuned is not None:
            model = replace(trained.model, encoder=tuned.embedder)
            trained = TrainedIntent(model, {**trained.report, "tuning": tuned.report})
        evaluation = evaluate_intent(trained.model, x_held, [e.text for e in held], [e.label for e in held])
        with registry.new_version() as staged:
            trained = TrainedIntent(replace(trained.model, version=staged.version), trained.report)
            record = {
                **source,
                "examples_sha256": examples_sha256([*train, *held]),
                "run": options.model_dump(mode="json"),
                "evaluation_examples": len(held),
                "redaction": redaction.as_dict(),
            }
            encoder = tuned.folder if tuned else None
            save_intent(staged.folder, trained, embedder, options.intent, record, encoder=encoder)
            _write_holdout(staged.folder / HOLDOUT, held)
            context = {"version": staged.version, "source": record, "training": trained.report["holdout"]}
            write_intent_report(
                staged.folder / REPORT_DIR,
                evaluation,
                title=f"Intent model {staged.version}",
                context=context,
            )
            info = registry.commit(staged)
    return RunResult(info, evaluation, trained.report)


def _pool(unlabelled: Sequence[str], options: TrainOptions, redactor: Redactor) -> list[str]:
    """Distinct, redacted unlabelled texts (at most ``max_unlabelled``, the last ones given)."""
    limit = options.self_training.max_unlabelled
    texts = [redactor.redact(t).text for t in unlabelled[-limit:] if t.strip()]
    return list(dict.fromkeys(texts))


def _tune(
    base: Path, train: Sequence[Example], options: TrainOptions, work: Path, progress: Progress | None
) -> TunedEncoder:
    """Fine-tune on the training split only: the held-out examples stay unseen by the encoder too."""
    labels = sorted({e.label or OUT_OF_SCOPE for e in train})
    index = {label: i for i, label in enumerate(labels)}
    y = [index[e.label or OUT_OF_SCOPE] for e in train]
    return tune_encoder(
        base,
        [e.text for e in train],
        y,
        len(labels),
        options.accurate,
        seed=options.seed,
        work=work,
        progress=progress,
    )


def redacted(examples: Sequence[E], redactor: Redactor, report: RedactionReport) -> list[E]:
    """The examples with their texts redacted (any ``Example`` subclass keeps its other fields)."""
    out = []
    for e in examples:
        result = redactor.redact(e.text)
        report.add(result.counts)
        out.append(replace(e, text=result.text))
    return out


def _write_holdout(path: Path, examples: Sequence[Example]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for e in examples:
            f.write(json.dumps({"text": e.text, "label": e.label}, ensure_ascii=False) + "\n")
