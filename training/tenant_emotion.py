"""A tenant's own sentiment and emotion heads, fitted from the labelled columns of its history.

Fitted the way training/emotion.py fits the shipped heads (centred per language, logistic
regression, temperature on data the fit did not see, scored by the same ``score_heads``), but on the
tenant's tickets alone: sentiment from its sentiment labels, emotions from its emotion labels when
every emotion occurs among them (else the shipped emotions head is kept, and with it the shipped
language means it was fitted on, so anger and frustration, and the ``strong_emotion`` escalations
they drive, stay as they were). Tenant language means replace the shipped ones only with tenant
emotions, and only for languages with ``heads.min_examples`` training tickets. The report scores
the candidate and the shipped heads on the same held-out tickets; the promotion gate compares
sentiment macro-F1, and emotion macro-F1 where the held-out tickets carry emotion labels, with the
active version or the shipped heads.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from suggest.analysis.emotion import SENTIMENTS, EmotionModel
from suggest.analysis.heads import LinearHead, embedder_meta, save_folder
from suggest.analysis.types import EMOTIONS
from suggest.errors import InputError, ModelCacheError
from suggest.protocols import Embedder
from training.emotion import score_heads  # the one way emotion heads are scored
from training.emotion_data import EmotionExample
from training.history.ingest import HeadExample
from training.intent import Progress
from training.linear import fit_sigmoids, fit_softmax, fit_temperature, mean_center, with_temperature
from training.registry import Baseline, Check, Evaluate, ModelRegistry, VersionInfo
from training.registry_files import HOLDOUT, REPORT_JSON
from training.registry_gate import TOLERANCE
from training.run import TrainOptions, split_for_evaluation
from training.vectors import VectorCache

TUNE_SHARE = 0.25
"""Share of the training tickets kept aside for the temperature (and the escalation threshold)."""


class HeadSkipped(InputError):  # noqa: N818 (an outcome: the run goes on without this head)
    """Too few labels for a head; the message says how many there are and how many are needed."""


@dataclass(frozen=True)
class FittedEmotion:
    model: EmotionModel
    report: dict[str, Any]
    held: list[HeadExample]


def _rows(examples: Sequence[HeadExample]) -> list[EmotionExample]:
    """Our examples as training/emotion.py scores them."""
    return [EmotionExample(e.text, "tenant", e.language or "und", e.label, e.emotions) for e in examples]


def _languages(examples: Sequence[HeadExample]) -> list[str]:
    return [e.language or "und" for e in examples]


def check_counts(counts: Counter[str], labels: Sequence[str], needed: int, what: str) -> None:
    short = {label: counts.get(label, 0) for label in labels if counts.get(label, 0) < needed}
    if short:
        found = ", ".join(f"{label} {n}" for label, n in short.items())
        raise HeadSkipped(
            f"{what}: too few labelled tickets ({found}); at least {needed} of each of "
            f"{', '.join(labels)} are needed. Label more tickets, or lower heads.min_examples."
        )


@dataclass(frozen=True)
class HeadSplit:
    """A head's examples split three ways (fit, tune the temperature and threshold, held out for
    the report and the gate), with every text embedded once."""

    train: list[HeadExample]
    fit: list[HeadExample]
    tune: list[HeadExample]
    held: list[HeadExample]
    vectors: np.ndarray
    row_of: dict[str, int]

    def embed(self, rows: Sequence[HeadExample]) -> np.ndarray:
        out: np.ndarray = self.vectors[[self.row_of[e.text] for e in rows]]
        return out


def split_and_embed(
    examples: Sequence[HeadExample],
    embedder: Embedder,
    options: TrainOptions,
    *,
    progress: Progress | None,
    vectors: VectorCache | None,
) -> HeadSplit:
    train, held = split_for_evaluation(examples, options.evaluation_share, options.seed, min_train=2)
    fit, tune = split_for_evaluation(train, TUNE_SHARE, options.seed + 1, min_train=2)
    texts = sorted({e.text for e in examples})
    found = (vectors or VectorCache(embedder)).embed(texts, progress)
    return HeadSplit(train, fit, tune, held, found, {t: i for i, t in enumerate(texts)})


def fit_emotion(
    examples: Sequence[HeadExample],
    embedder: Embedder,
    options: TrainOptions,
    shipped: EmotionModel,
    *,
    progress: Progress | None = None,
    vectors: VectorCache | None = None,
) -> FittedEmotion:
    """Fit the tenant's heads; raise ``HeadSkipped`` when a sentiment class has too few tickets.
    ``vectors`` is the run's embedding cache (a fresh one when None)."""
    heads = options.heads
    check_counts(Counter(e.label for e in examples if e.label), SENTIMENTS, heads.min_examples, "sentiment")
    started = time.perf_counter()
    split = split_and_embed(examples, embedder, options, progress=progress, vectors=vectors)
    train, fit, tune, held = split.train, split.fit, split.tune, split.held
    found, row_of, embed = split.vectors, split.row_of, split.embed

    keep_shipped = shipped_emotions_reason(fit)
    by_language: dict[str, list[int]] = {}
    for e in train:
        if e.language:
            by_language.setdefault(e.language, []).append(row_of[e.text])
    own = {k: v for k, v in by_language.items() if len(v) >= heads.min_examples and keep_shipped is None}
    means = {
        **shipped.language_means,
        **{k: found[v].mean(axis=0).astype(np.float32) for k, v in own.items()},
    }
    centring = EmotionModel(shipped.sentiment, shipped.emotions, "centring", means)
    x_fit = centring.shifted(embed(fit), _languages(fit))
    x_tune = centring.shifted(embed(tune), _languages(tune))
    center = mean_center(x_fit)
    sentiment = _fit_sentiment(fit, x_fit=x_fit, tune=tune, x_tune=x_tune, center=center, options=options)
    if keep_shipped is None:
        emotions = _fit_emotions(fit, x_fit=x_fit, tune=tune, x_tune=x_tune, center=center, options=options)
        emotions_from = "tenant"
    else:
        emotions, emotions_from = shipped.emotions, f"shipped ({keep_shipped})"
    model = EmotionModel(sentiment, emotions, "candidate", means)
    x_held, rows_held = embed(held), _rows(held)
    report = {
        "examples": len(train),
        "labels": {
            "sentiment": dict(sorted(Counter(e.label for e in examples if e.label).items())),
            "emotions": sum(e.emotions is not None for e in examples),
        },
        "split": {"fit": len(fit), "temperature": len(tune), "held_out": len(held)},
        "emotions_head": emotions_from,
        "temperatures": {"sentiment": sentiment.temperature, "emotions": emotions.temperature},
        "languages": sorted(own),
        "evaluation": score_heads(model, x_held, rows_held),
        "shipped": score_heads(shipped, x_held, rows_held),
        "seconds": round(time.perf_counter() - started, 1),
    }
    return FittedEmotion(model, report, held)


def _fit_sentiment(
    fit: Sequence[HeadExample],
    *,
    x_fit: np.ndarray,
    tune: Sequence[HeadExample],
    x_tune: np.ndarray,
    center: np.ndarray,
    options: TrainOptions,
) -> LinearHead:
    keep = np.array([e.label is not None for e in fit])
    y = np.array([SENTIMENTS.index(e.label) for e in fit if e.label is not None], dtype=int)
    head = fit_softmax(x_fit[keep], y, SENTIMENTS, options.heads.c, seed=options.seed, center=center)
    keep_t = np.array([e.label is not None for e in tune])
    y_t = np.array([SENTIMENTS.index(e.label) for e in tune if e.label is not None], dtype=int)
    if not keep_t.any():
        return head
    return with_temperature(head, fit_temperature(head.logits(x_tune[keep_t]), y_t))


def _emotion_matrix(rows: Sequence[HeadExample]) -> tuple[np.ndarray, np.ndarray]:
    keep = np.array([e.emotions is not None for e in rows], dtype=bool)
    y = np.array([[name in (e.emotions or ()) for name in EMOTIONS] for e in rows if e.emotions is not None])
    return keep, y.astype(np.float32).reshape(-1, len(EMOTIONS))


def shipped_emotions_reason(fit: Sequence[HeadExample]) -> str | None:
    """Why the shipped emotions head is kept, or None when every emotion occurs (and is absent)
    among the fit tickets' labels, so a tenant head can be fitted."""
    keep, y = _emotion_matrix(fit)
    if not keep.any():
        return "no emotion labels"
    positives = y.sum(axis=0)
    missing = [name for name, n in zip(EMOTIONS, positives, strict=True) if n == 0 or n == len(y)]
    if missing:
        return f"the labels never or always name {', '.join(missing)}"
    return None


def _fit_emotions(
    fit: Sequence[HeadExample],
    *,
    x_fit: np.ndarray,
    tune: Sequence[HeadExample],
    x_tune: np.ndarray,
    center: np.ndarray,
    options: TrainOptions,
) -> LinearHead:
    """The tenant's emotions head (``shipped_emotions_reason`` said it can be fitted)."""
    keep, y = _emotion_matrix(fit)
    head = fit_sigmoids(x_fit[keep], y, EMOTIONS, options.heads.c, seed=options.seed, center=center)
    keep_t, y_t = _emotion_matrix(tune)
    if keep_t.any():
        head = with_temperature(head, fit_temperature(head.logits(x_tune[keep_t]), y_t, multilabel=True))
    return head


def holdout_row(e: HeadExample) -> dict[str, Any]:
    emotions = None if e.emotions is None else sorted(e.emotions)
    return {"text": e.text, "label": e.label, "language": e.language, "emotions": emotions}


def commit_head(
    registry: ModelRegistry,
    save: Callable[[Path, str], None],
    held: Sequence[HeadExample],
    report: dict[str, Any],
) -> VersionInfo:
    """Stage a version, let ``save(folder, version)`` write the model, add ``holdout.jsonl`` and
    ``report/report.json``, and commit it; nothing is left behind on an error."""
    with registry.new_version() as staged:
        save(staged.folder, staged.version)
        with (staged.folder / HOLDOUT).open("w", encoding="utf-8") as f:
            for e in held:
                f.write(json.dumps(holdout_row(e), ensure_ascii=False) + "\n")
        path = staged.folder / REPORT_JSON
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"kind": registry.kind, **report}, indent=2) + "\n", encoding="utf-8")
        return registry.commit(staged)


def commit_emotion(
    registry: ModelRegistry,
    fitted: FittedEmotion,
    embedder: Embedder,
    options: TrainOptions,
    source: dict[str, Any],
) -> VersionInfo:
    evaluation = fitted.report["evaluation"]
    figures = {
        "examples": evaluation["examples"],
        "macro_f1": evaluation.get("sentiment_macro_f1"),
        **{k: v for k, v in evaluation.items() if k != "emotion_f1"},
        "shipped_sentiment_macro_f1": fitted.report["shipped"].get("sentiment_macro_f1"),
        "shipped_emotion_macro_f1": fitted.report["shipped"].get("emotion_macro_f1"),
    }

    def save(folder: Path, version: str) -> None:
        model = replace(fitted.model, version=version)
        training = {
            "report": fitted.report,
            "source": source,
            "options": options.heads.model_dump(mode="json"),
        }
        meta = {**model.meta(), "embedder": embedder_meta(embedder), "training": training}
        save_folder(folder, model.tensors(), meta)

    report = {"evaluation": figures, "shipped": fitted.report["shipped"], "training": fitted.report}
    return commit_head(registry, save, fitted.held, report)


def read_holdout(path: Path) -> list[HeadExample]:
    """A head version's held-out tickets, as ``holdout_row`` wrote them."""
    out = []
    try:
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            emotions = row.get("emotions")
            out.append(
                HeadExample(
                    str(row["text"]),
                    row.get("label"),
                    row.get("language"),
                    None if emotions is None else frozenset(emotions),
                )
            )
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ModelCacheError(
            f"{path} is not a held-out file as a training run writes it ({err!r}); retrain the version."
        ) from None
    return out


def _scores(model: EmotionModel, embedder: Embedder, held: Sequence[HeadExample]) -> dict[str, Any]:
    vectors = embedder.embed([e.text for e in held], "query") if held else np.zeros((0, embedder.dim))
    return score_heads(model, vectors, _rows(held))


def sentiment_f1(model: EmotionModel, embedder: Embedder, holdout: Path) -> float:
    scores = _scores(model, embedder, read_holdout(holdout))
    if "sentiment_macro_f1" not in scores:
        raise ModelCacheError(f"{holdout} has no sentiment-labelled tickets to score; retrain the version.")
    return float(scores["sentiment_macro_f1"])


def emotion_evaluator(embedder: Embedder) -> Evaluate:
    """Sentiment macro-F1 of the heads in a version folder on a held-out file."""

    def evaluate(folder: Path, holdout: Path) -> float:
        return sentiment_f1(EmotionModel.load(folder, embedder), embedder, holdout)

    return evaluate


def _shipped(embedder: Embedder, fallback: Callable[[Embedder], EmotionModel] | None) -> EmotionModel:
    from training.tenant_models import emotion_model_for

    return emotion_model_for(embedder, fallback)


def shipped_baseline(embedder: Embedder, fallback: Callable[[Embedder], EmotionModel] | None) -> Baseline:
    """Sentiment macro-F1 of the heads that serve a tenant without a version of its own."""

    def baseline(holdout: Path) -> float:
        return sentiment_f1(_shipped(embedder, fallback), embedder, holdout)

    return baseline


def emotion_check(embedder: Embedder, fallback: Callable[[Embedder], EmotionModel] | None) -> Check:
    """Emotion macro-F1 may not fall below the active version's (or the shipped heads') minus the
    margin, on the held-out tickets that carry emotion labels; none: nothing to check."""

    def check(candidate: Path, current: Path | None, holdout: Path, margin: float) -> str | None:
        held = [e for e in read_holdout(holdout) if e.emotions is not None]
        if not held:
            return None
        reference = _shipped(embedder, fallback) if current is None else EmotionModel.load(current, embedder)
        ours = float(_scores(EmotionModel.load(candidate, embedder), embedder, held)["emotion_macro_f1"])
        theirs = float(_scores(reference, embedder, held)["emotion_macro_f1"])
        if ours + TOLERANCE >= theirs - margin:
            return None
        against = "the shipped heads" if current is None else current.name
        return (
            f"emotion macro-F1 {ours:.4f} vs {against} {theirs:.4f} − margin {margin:.4f} on {len(held)} "
            f"emotion-labelled held-out tickets; it needs at least {theirs - margin:.4f}"
        )

    return check
