"""Intent training figures for the retraining issue (issue 6), on the serving embedder.

- BANKING77 (``--data-dir``; skipped when absent): the fast mode trained on train (10,003) and
  scored on test (3,080): top-label accuracy, expected calibration error, and the wall time of
  training including embedding.
- BANKING77 10-shot: 10 training examples per intent, seeds 0-4, mean accuracy on test.
- Cross-lingual: trained on the demo's English tickets only, top-label accuracy on the demo's
  English, Dutch and Greek test tickets; then with two rounds of self-training on the demo's Dutch
  and Greek training tickets, their labels unused (training/self_training.py).

    python -m eval.bench_train --data-dir ../shared/datasets
"""

from __future__ import annotations

import csv
import json
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console

from eval.bench_analysis import intent_scores
from eval.bench_embed import machine_facts
from eval.metrics import expected_calibration_error
from suggest.analysis.intent import IntentModel
from suggest.config import get_settings
from suggest.embed.loader import load_embedder
from suggest.protocols import Embedder
from training.data import Example
from training.demo import demo_examples, demo_tickets
from training.intent import IntentTrainOptions, train_intent
from training.self_training import SelfTrainingOptions, self_train

console = Console()
TARGETS = {"banking77_accuracy": 0.935, "train_seconds": 180.0, "ten_shot_accuracy": 0.87, "ece": 0.05}
LANGUAGE_GAP = 0.05
SELF_TRAINING_ROUNDS = 2
SEEDS = range(5)


def _rows(root: Path, split: str) -> list[dict[str, str]]:
    with (root / f"{split}.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def score(embedder: Embedder, train: list[Example], test: list[dict[str, str]], x_test: np.ndarray) -> Any:
    started = time.perf_counter()
    trained = train_intent(train, embedder)
    seconds = time.perf_counter() - started
    texts = [r["text"] for r in test]
    probs = trained.model.probabilities(x_test, texts)
    gold = np.array([trained.model.labels.index(r["category"]) for r in test])
    return (
        trained,
        seconds,
        float((probs.argmax(axis=1) == gold).mean()),
        expected_calibration_error(probs, gold),
    )


def banking77_rows(data_dir: Path) -> tuple[list[dict[str, str]], list[dict[str, str]]] | None:
    """BANKING77's train and test rows, or None (with a note) when the dataset is absent."""
    root = data_dir / "banking77" / "banking_data"
    if not (root / "train.csv").is_file():
        console.print(f"[yellow]BANKING77 not found under {root}; skipped.[/yellow]")
        return None
    return _rows(root, "train"), _rows(root, "test")


def ten_shot(train_rows: list[dict[str, str]], seed: int) -> list[Example]:
    """10 training examples per intent, drawn with ``default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    by_label: dict[str, list[dict[str, str]]] = {}
    for row in train_rows:
        by_label.setdefault(row["category"], []).append(row)
    return [
        Example(rows[i]["text"], label)
        for label, rows in sorted(by_label.items())
        for i in rng.choice(len(rows), 10, replace=False)
    ]


def banking77(embedder: Embedder, data_dir: Path) -> dict[str, Any] | None:
    data = banking77_rows(data_dir)
    if data is None:
        return None
    train_rows, test = data
    x_test = embedder.embed([r["text"] for r in test], "query")
    console.print("BANKING77 full…")
    trained, seconds, accuracy, ece = score(
        embedder, [Example(r["text"], r["category"]) for r in train_rows], test, x_test
    )
    full = {
        "train_seconds_with_embedding": round(seconds, 1),
        "report_seconds": trained.report["seconds"],
        "c": trained.report["c"],
        "neighbour_weight": trained.report["neighbour_weight"],
        "test_accuracy": round(accuracy, 4),
        "test_ece": ece,
    }
    shots = []
    for seed in SEEDS:
        console.print(f"BANKING77 10-shot, seed {seed}…")
        shots.append(round(score(embedder, ten_shot(train_rows, seed), test, x_test)[2], 4))
    return {"full": full, "ten_shot": {"accuracies": shots, "mean": round(statistics.mean(shots), 4)}}


def language_gap(model: IntentModel, embedder: Embedder) -> dict[str, Any]:
    """Top-label accuracy on the demo's test tickets per language and English's lead (the target),
    and the accuracy of the label actually given (an abstention counts as wrong)."""
    scores = intent_scores(model, embedder, demo_tickets("test"))
    top1 = {language: scores[language]["top1_accuracy"] for language in ("en", "nl", "el")}
    gap = max(top1["en"] - top1["nl"], top1["en"] - top1["el"])
    given = {language: scores[language]["accuracy"] for language in ("en", "nl", "el")}
    return {"top1_accuracy": top1, "gap": round(gap, 4), "accuracy_with_abstention": given}


def cross_lingual(embedder: Embedder) -> dict[str, Any]:
    """English labels only; then the same with self-training on the unlabelled Dutch and Greek
    training tickets (their labels unused)."""
    console.print("Cross-lingual (demo, English-only training)…")
    english = demo_examples("train", ("en",))
    x_english = embedder.embed([e.text for e in english], "query")
    trained = train_intent(english, embedder, vectors=x_english)
    plain = language_gap(trained.model, embedder)
    console.print("Cross-lingual, with self-training on unlabelled Dutch and Greek tickets…")
    pool = [e.text for e in demo_examples("train", ("nl", "el"))]
    options = SelfTrainingOptions(rounds=SELF_TRAINING_ROUNDS)
    started = time.perf_counter()
    selftrained = self_train(
        trained,
        english,
        x_english,
        pool,
        embedder.embed(pool, "query"),
        embedder=embedder,
        intent_options=IntentTrainOptions(),
        options=options,
    )
    return {
        **plain,
        "self_trained": {
            **language_gap(selftrained.model, embedder),
            "seconds": round(time.perf_counter() - started, 1),
            "rounds": selftrained.report["self_training"]["rounds"],
            "options": options.model_dump(mode="json"),
        },
    }


def main(
    data_dir: Annotated[Path, typer.Option(help="Public datasets (BANKING77).")] = Path("../shared/datasets"),
    out: Annotated[Path, typer.Option(help="JSON results file.")] = Path("bench-results/train.json"),
    skip_banking: Annotated[bool, typer.Option(help="Only the cross-lingual figures (a minute).")] = False,
) -> None:
    """Measure the fast intent mode against issue 6's targets."""
    embedder = load_embedder(get_settings())
    results: dict[str, Any] = {
        "banking77": None if skip_banking else banking77(embedder, data_dir),
        "cross_lingual": cross_lingual(embedder),
    }
    verdict: dict[str, Any] = {}
    if results["banking77"]:
        full, shots = results["banking77"]["full"], results["banking77"]["ten_shot"]
        checks = {
            "banking77_accuracy": (
                full["test_accuracy"],
                full["test_accuracy"] >= TARGETS["banking77_accuracy"],
            ),
            "train_seconds": (
                full["train_seconds_with_embedding"],
                full["train_seconds_with_embedding"] <= TARGETS["train_seconds"],
            ),
            "ece": (full["test_ece"], full["test_ece"] <= TARGETS["ece"]),
            "ten_shot_accuracy": (shots["mean"], shots["mean"] >= TARGETS["ten_shot_accuracy"]),
        }
        verdict = {k: {"value": v, "target": TARGETS[k], "passed": ok} for k, (v, ok) in checks.items()}
    for name, figures in (
        ("language_gap", results["cross_lingual"]),
        ("language_gap_self_trained", results["cross_lingual"]["self_trained"]),
    ):
        verdict[name] = {
            "value": figures["gap"],
            "target": LANGUAGE_GAP,
            "passed": figures["gap"] <= LANGUAGE_GAP,
        }
    results |= {"verdict": verdict, "machine": machine_facts(), "finished_at": datetime.now(UTC).isoformat()}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    console.print_json(json.dumps(verdict))
    console.print(f"results written to {out}")


if __name__ == "__main__":
    typer.run(main)
