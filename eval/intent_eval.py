"""``replykit eval intent``: the project's intent model and two baselines, trained and scored on
the same split, side by side (issue 7).

Baselines: TF-IDF word 1–2-grams with a linear SVM, and the frozen embeddings with a logistic
regression. All three are scored the same way (eval/metrics.py): accuracy of each ticket's best
class, and accuracy and macro-F1 (over the gold classes) of the label actually given, where
replykit's abstention is the out-of-scope label and the baselines never abstain. The
project's model also gets its full report (per intent, confusion matrix, reliability diagram,
ECE; training/report.py) and, when the test set has out-of-scope tickets, the threshold curve:
out-of-scope recall against in-scope accuracy as the confidence threshold moves.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eval.metrics import macro_f1
from suggest.analysis.intent import OUT_OF_SCOPE, IntentModel
from suggest.protocols import Embedder
from training.data import Example
from training.evaluation import evaluate_intent
from training.intent import IntentTrainOptions, embed_all, train_intent
from training.report import write_intent_report

SUMMARY_JSON = "summary.json"
SUMMARY_MD = "summary.md"
CURVE_POINTS = 21


@dataclass(frozen=True)
class Split:
    train: list[Example]
    test: list[Example]
    hashes: dict[str, str]
    """sha256 of each input file, for the report."""


def _gold(examples: Sequence[Example]) -> list[str]:
    return [e.label or OUT_OF_SCOPE for e in examples]


def _accuracy(gold: list[str], predicted: list[str]) -> float:
    return round(float(np.mean([g == p for g, p in zip(gold, predicted, strict=True)])), 4)


def _scores(gold: list[str], top: list[str], given: list[str] | None = None) -> dict[str, float]:
    """``top``: each ticket's best class, no thresholds; ``given``: the label the system actually
    gives, abstentions included (a baseline never abstains: the same as ``top``)."""
    given = top if given is None else given
    return {
        "accuracy": _accuracy(gold, top),
        "accuracy_given": _accuracy(gold, given),
        "macro_f1": round(macro_f1(gold, given, labels=sorted(set(gold))), 4),
    }


def tfidf_svm(split: Split, seed: int) -> list[str]:
    """TF-IDF word 1–2-grams (sublinear) and a linear SVM, C=1."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    x_train = vectorizer.fit_transform([e.text for e in split.train])
    model = LinearSVC(C=1.0, random_state=seed).fit(x_train, _gold(split.train))
    return [str(label) for label in model.predict(vectorizer.transform([e.text for e in split.test]))]


def embedding_lr(x_train: np.ndarray, x_test: np.ndarray, split: Split, seed: int) -> list[str]:
    """The centred frozen embeddings and a logistic regression, C=10."""
    from sklearn.linear_model import LogisticRegression

    mean = x_train.mean(axis=0)
    model = LogisticRegression(C=10.0, max_iter=2000, random_state=seed).fit(
        x_train - mean, _gold(split.train)
    )
    return [str(label) for label in model.predict(x_test - mean)]


def threshold_curve(model: IntentModel, x_test: np.ndarray, split: Split) -> list[dict[str, float]]:
    """In-scope accuracy (right label given) and out-of-scope recall (no label given) as the
    minimum confidence rises from 0 to 1; empty when the test set has no out-of-scope ticket."""
    gold = _gold(split.test)
    outside = np.array([g == OUT_OF_SCOPE for g in gold])
    if not outside.any() or outside.all():
        return []
    probs = model.probabilities(x_test, [e.text for e in split.test])
    intents = [i for i, label in enumerate(model.labels) if label != OUT_OF_SCOPE]
    best = np.array(intents)[probs[:, intents].argmax(axis=1)]
    confidence = probs[np.arange(len(gold)), best]
    head_says_outside = probs.argmax(axis=1) != best
    right = np.array([model.labels[b] == g for b, g in zip(best, gold, strict=True)])
    curve = []
    for threshold in np.linspace(0.0, 1.0, CURVE_POINTS):
        labelled = ~head_says_outside & (confidence >= threshold)
        curve.append(
            {
                "threshold": round(float(threshold), 3),
                "in_scope_accuracy": round(float((labelled & right)[~outside].mean()), 4),
                "out_of_scope_recall": round(float((~labelled)[outside].mean()), 4),
            }
        )
    return curve


def recall_at_accuracy(curve: list[dict[str, float]], accuracy: float) -> float | None:
    """The best out-of-scope recall among thresholds that keep in-scope accuracy ≥ ``accuracy``."""
    kept = [p["out_of_scope_recall"] for p in curve if p["in_scope_accuracy"] >= accuracy]
    return max(kept) if kept else None


def run_intent_eval(
    split: Split, embedder: Embedder, out: Path, *, seed: int = 0, at_accuracy: float = 0.9
) -> dict[str, Any]:
    """Train and score all three on ``split``; write the report into ``out`` and return the summary."""
    texts = [e.text for e in [*split.train, *split.test]]
    started = time.perf_counter()
    x = embed_all(embedder, texts)
    embed_seconds = time.perf_counter() - started
    x_train, x_test = x[: len(split.train)], x[len(split.train) :]
    gold = _gold(split.test)

    started = time.perf_counter()
    trained = train_intent(split.train, embedder, IntentTrainOptions(seed=seed), vectors=x_train)
    evaluation = evaluate_intent(
        trained.model, x_test, [e.text for e in split.test], [e.label for e in split.test]
    )
    test_texts = [e.text for e in split.test]
    given = [r.label or OUT_OF_SCOPE for r in trained.model.predict(x_test, test_texts)]
    top = [trained.model.labels[i] for i in trained.model.probabilities(x_test, test_texts).argmax(axis=1)]
    systems: dict[str, dict[str, Any]] = {
        "replykit": {**_scores(gold, top, given), "seconds": round(time.perf_counter() - started, 2)}
    }
    started = time.perf_counter()
    systems["tfidf_svm"] = {
        **_scores(gold, tfidf_svm(split, seed)),
        "seconds": round(time.perf_counter() - started, 2),
    }
    started = time.perf_counter()
    lr = embedding_lr(x_train, x_test, split, seed)
    systems["embedding_lr"] = {**_scores(gold, lr), "seconds": round(time.perf_counter() - started, 2)}
    curve = threshold_curve(trained.model, x_test, split)
    summary = {
        "seed": seed,
        "data": split.hashes,
        "train_examples": len(split.train),
        "test_examples": len(split.test),
        "embedder": embedder.name,
        "embed_seconds": round(embed_seconds, 2),
        "systems": systems,
        "ratios": {
            name: {k: _ratio(systems["replykit"][k], figures[k]) for k in ("accuracy", "macro_f1")}
            for name, figures in systems.items()
            if name != "replykit"
        },
        "ece": evaluation.ece,
        "threshold_curve": curve,
        "out_of_scope_recall_at_accuracy": {
            "accuracy": at_accuracy,
            "recall": recall_at_accuracy(curve, at_accuracy),
        }
        if curve
        else None,
    }
    out.mkdir(parents=True, exist_ok=True)
    context = {"seed": seed, "data": split.hashes, "embedder": embedder.name}
    write_intent_report(out, evaluation, title="Intent evaluation", context=context)
    (out / SUMMARY_JSON).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    (out / SUMMARY_MD).write_text(summary_markdown(summary), encoding="utf-8")
    return summary


def _ratio(ours: float, theirs: float) -> float | None:
    return round(ours / theirs, 3) if theirs else None


def summary_markdown(summary: dict[str, Any]) -> str:
    """The side-by-side table: each system's figures and replykit's ratio to each baseline."""
    rows = [
        "| system | accuracy (best class) | accuracy (label given) | macro-F1 (label given) "
        "| replykit ÷ system (accuracy / macro-F1) | seconds |",
        "|---|---|---|---|---|---|",
    ]
    for name, figures in summary["systems"].items():
        ratio = summary["ratios"].get(name)
        shown = f"{ratio['accuracy']} / {ratio['macro_f1']}" if ratio else "—"
        accuracy, given, f1 = figures["accuracy"], figures["accuracy_given"], figures["macro_f1"]
        rows.append(f"| {name} | {accuracy:.2%} | {given:.2%} | {f1:.4f} | {shown} | {figures['seconds']} |")
    lines = [
        "# Intent evaluation: replykit and baselines",
        "",
        f"{summary['train_examples']} training and {summary['test_examples']} test examples; "
        f"seed {summary['seed']}; embedder {summary['embedder']}; data sha256 "
        + ", ".join(f"{name} {digest[:12]}" for name, digest in summary["data"].items())
        + ".",
        "",
        *rows,
        "",
        f"replykit's expected calibration error: {summary['ece']}. replykit abstains when no intent fits "
        "well (the label given is then out of scope); the baselines always answer.",
    ]
    at = summary["out_of_scope_recall_at_accuracy"]
    if at is not None:
        lines += ["", f"Out-of-scope recall at in-scope accuracy ≥ {at['accuracy']:.0%}: {at['recall']}."]
    return "\n".join(lines) + "\n"
