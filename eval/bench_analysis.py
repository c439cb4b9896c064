"""Ticket-understanding quality and speed (``python -m eval.bench_analysis``): issue 4's targets.

- Demo intents: train on kb/demo/tickets/*.train.jsonl, test on the held-out *.test.jsonl, per
  language; and English-only training tested on Dutch and Greek (with and without n-grams).
- Escalation: the demo's labelled escalation cases, per trigger and per language, with the real
  intent, emotion and policy. escalation.dev.jsonl is the set the policy was tuned on;
  escalation.test.jsonl was written afterwards, apart from the policy, and the targets are
  judged on it.
- BANKING77 (``--data-dir``, skipped when absent): the default head, train -> test, with timing.
- Emotion: the held-out figures recorded in the shipped heads' manifest by ``train-emotion``,
  and the language bias: how often plain questions (product info, quotes, subsidies, orders,
  charger installation) in the demo tickets score angry or negative, per language.
- Speed: one ~80-word ticket in-process (kb/demo/tickets/speed.jsonl; median, p95), and batch
  throughput over the demo test tickets.
"""

from __future__ import annotations

import csv
import json
import statistics
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from eval.bench_embed import machine_facts
from suggest.analysis.emotion import DEFAULT_FOLDER
from suggest.analysis.intent import IntentModel
from suggest.analysis.policy import default_policy
from suggest.analysis.types import Ticket
from suggest.config import get_settings
from suggest.embed.loader import load_embedder
from suggest.models.manifest import read_manifest
from suggest.pipeline import Pipeline
from suggest.protocols import Embedder
from training.data import Example
from training.demo import DEMO_OPTIONS, PLAIN_INTENTS, demo_examples, demo_tickets, ticket_file, ticket_text
from training.emotion import support_only_model
from training.intent import IntentTrainOptions, train_intent
from training.tenant_models import emotion_model_for

console = Console()
TARGETS = {
    "demo_accuracy": 0.95,
    "language_gap": 0.03,
    "escalation_recall": 0.95,
    "escalation_precision": 0.85,
    "banking77_accuracy": 0.92,
    "single_p50_ms": 10.0,
    "batch_per_s": 150.0,
}


def _rate(hits: int, n: int) -> float:
    return round(hits / n, 4) if n else 0.0


def intent_scores(model: IntentModel, embedder: Embedder, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per language: top-1 accuracy, accuracy when abstentions count as wrong, out-of-scope recall."""
    texts = [ticket_text(r) for r in rows]
    results = model.predict(embedder.embed(texts, "query"), texts)
    tally: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row, result in zip(rows, results, strict=True):
        for key in (row["language"], "all"):
            t = tally[key]
            if row["intent"] is None:
                t["oos"] += 1
                t["oos_caught"] += result.label is None
            else:
                t["n"] += 1
                t["top1"] += result.top[0].label == row["intent"]
                t["right"] += result.label == row["intent"]
                t["wrong"] += result.label is not None and result.label != row["intent"]
    return {
        language: {
            "in_scope": t["n"],
            "top1_accuracy": _rate(t["top1"], t["n"]),
            "accuracy": _rate(t["right"], t["n"]),
            "wrong_label_rate": _rate(t["wrong"], t["n"]),
            "out_of_scope": t["oos"],
            "out_of_scope_recall": _rate(t["oos_caught"], t["oos"]),
        }
        for language, t in tally.items()
    }


def demo_intents(embedder: Embedder) -> tuple[dict[str, Any], IntentModel]:
    started = time.perf_counter()
    trained = train_intent(demo_examples("train"), embedder, DEMO_OPTIONS)  # the model `make run` serves
    seconds = round(time.perf_counter() - started, 1)
    out = {
        "train_seconds": seconds,
        "training": trained.report["holdout"],
        "test": intent_scores(trained.model, embedder, demo_tickets("test")),
    }
    for lexical in (True, False):
        options = IntentTrainOptions() if lexical else IntentTrainOptions(ngrams=())
        english = train_intent(demo_examples("train", ("en",)), embedder, options).model
        out[f"english_only_{'ngrams' if lexical else 'embedding_only'}"] = intent_scores(
            english, embedder, demo_tickets("test")
        )
    return out, trained.model


def escalation(pipeline: Pipeline, name: str) -> dict[str, Any]:
    cases = ticket_file(name)
    tickets = [
        Ticket(
            id=c["id"],
            text=c["text"],
            subject=c.get("subject"),
            channel=c["channel"],
            customer_tier=c["customer_tier"],
            thread_count=c["thread_count"],
        )
        for c in cases
    ]
    results = pipeline.analyze_many(tickets)
    tally: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    misses, false_alarms = [], []
    for case, result in zip(cases, results, strict=True):
        assert not isinstance(result, Exception)
        said = result.escalation.escalate
        codes = {r.code for r in result.escalation.reasons}
        for key in (case["language"], "all"):
            t = tally[key]
            t["tp"] += said and case["escalate"]
            t["fp"] += said and not case["escalate"]
            t["fn"] += not said and case["escalate"]
        for trigger in case["triggers"]:
            t = tally[f"trigger:{trigger}"]
            t["n"] += 1
            t["escalated"] += said
            t["named"] += trigger in codes
        if case["escalate"] and not said:
            misses.append({"id": case["id"], "triggers": case["triggers"]})
        if said and not case["escalate"]:
            false_alarms.append({"id": case["id"], "reasons": sorted(codes)})
    out: dict[str, Any] = {"cases": len(cases), "positives": sum(c["escalate"] for c in cases)}
    for key, t in sorted(tally.items()):
        if key.startswith("trigger:"):
            out[key] = {
                "n": t["n"],
                "recall": _rate(t["escalated"], t["n"]),
                "named": _rate(t["named"], t["n"]),
            }
        else:
            precision = _rate(t["tp"], t["tp"] + t["fp"])
            recall = _rate(t["tp"], t["tp"] + t["fn"])
            f1 = round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0
            out[key] = {"precision": precision, "recall": recall, "f1": f1}
    out["misses"], out["false_alarms"] = misses, false_alarms
    return out


def emotion_bias(pipeline: Pipeline) -> dict[str, Any]:
    """Per language: the share of plain questions over the anger threshold, and the share negative."""
    rows = [r for split in ("train", "test") for r in demo_tickets(split) if r["intent"] in PLAIN_INTENTS]
    results = pipeline.analyze_many([Ticket(text=ticket_text(r)) for r in rows])
    anger = pipeline.policy.thresholds.anger
    out: dict[str, Any] = {"anger_threshold": anger}
    for language in ("en", "nl", "el"):
        mine = [a for r, a in zip(rows, results, strict=True) if r["language"] == language]
        scored = [a for a in mine if not isinstance(a, Exception) and a.sentiment is not None]
        out[language] = {
            "tickets": len(scored),
            "angry": _rate(sum(a.emotions["anger"] >= anger for a in scored), len(scored)),
            "negative": _rate(
                sum(a.sentiment.label == "negative" for a in scored if a.sentiment), len(scored)
            ),
        }
    return out


def banking77(embedder: Embedder, data_dir: Path) -> dict[str, Any] | None:
    root = data_dir / "banking77" / "banking_data"
    if not (root / "train.csv").is_file():
        console.print(f"[yellow]BANKING77 not found under {root}; skipped.[/yellow]")
        return None

    def rows(split: str) -> list[dict[str, str]]:
        with (root / f"{split}.csv").open(encoding="utf-8") as f:
            return list(csv.DictReader(f))

    started = time.perf_counter()
    trained = train_intent([Example(r["text"], r["category"]) for r in rows("train")], embedder)
    seconds = round(time.perf_counter() - started, 1)
    test = [{"text": r["text"], "intent": r["category"], "language": "en"} for r in rows("test")]
    return {
        "train_seconds": seconds,
        "report_seconds": trained.report["seconds"],
        "test": intent_scores(trained.model, embedder, test)["all"],
    }


def speed(pipeline: Pipeline, eighty: list[str], tickets: list[str]) -> dict[str, Any]:
    for text in eighty[:20]:
        pipeline.analyze(Ticket(text=text))
    times = []
    for i in range(300):
        started = time.perf_counter()
        pipeline.analyze(Ticket(text=eighty[i % len(eighty)]))
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    batch = [Ticket(text=tickets[i % len(tickets)]) for i in range(512)]
    rates = []
    for _ in range(3):
        started = time.perf_counter()
        pipeline.analyze_many(batch)
        rates.append(len(batch) / (time.perf_counter() - started))
    return {
        "single_words_mean": round(statistics.mean(len(t.split()) for t in eighty), 1),
        "single_p50_ms": round(times[len(times) // 2], 2),
        "single_p95_ms": round(times[int(len(times) * 0.95)], 2),
        "batch_per_s_median": round(statistics.median(rates), 1),
        "batch_per_s_rounds": [round(r, 1) for r in rates],
    }


def main(
    *,
    data_dir: Annotated[Path, typer.Option(help="Public datasets (BANKING77).")] = Path("../shared/datasets"),
    out: Annotated[Path, typer.Option(help="JSON results file.")] = Path("bench-results/analysis.json"),
    skip_banking: bool = False,
) -> None:
    """Measure intent, escalation, emotion and speed against issue 4's targets."""
    embedder = load_embedder(get_settings())
    console.print("Demo intents…")
    demo, model = demo_intents(embedder)
    emotion = emotion_model_for(embedder, support_only_model)
    pipeline = Pipeline(embedder, model, emotion, default_policy())
    console.print("Escalation cases…")
    results: dict[str, Any] = {
        "demo_intents": demo,
        "escalation": escalation(pipeline, "escalation.test.jsonl"),
        "escalation_dev": escalation(pipeline, "escalation.dev.jsonl"),
    }
    if not skip_banking:
        console.print("BANKING77…")
        results["banking77"] = banking77(embedder, data_dir)
    results["emotion"] = read_manifest(DEFAULT_FOLDER)["training"]["report"]["evaluations"]
    results["emotion_bias"] = emotion_bias(pipeline)
    console.print("Speed…")
    eighty = [ticket_text(r) for r in ticket_file("speed.jsonl")]
    results["speed"] = speed(pipeline, eighty, [ticket_text(r) for r in demo_tickets("test")])
    test = demo["test"]
    gap = max(test["all"]["accuracy"] - test[lang]["accuracy"] for lang in ("nl", "el"))
    gap_vs_en = max(test["en"]["accuracy"] - test[lang]["accuracy"] for lang in ("nl", "el"))
    esc = results["escalation"]["all"]
    checks = {
        "demo_accuracy": (test["all"]["accuracy"], test["all"]["accuracy"] >= TARGETS["demo_accuracy"]),
        "language_gap": (round(gap_vs_en, 4), gap_vs_en <= TARGETS["language_gap"]),
        "escalation_recall": (esc["recall"], esc["recall"] >= TARGETS["escalation_recall"]),
        "escalation_precision": (esc["precision"], esc["precision"] >= TARGETS["escalation_precision"]),
        "single_p50_ms": (
            results["speed"]["single_p50_ms"],
            results["speed"]["single_p50_ms"] <= TARGETS["single_p50_ms"],
        ),
        "batch_per_s": (
            results["speed"]["batch_per_s_median"],
            results["speed"]["batch_per_s_median"] >= TARGETS["batch_per_s"],
        ),
    }
    if results.get("banking77"):
        acc = results["banking77"]["test"]["top1_accuracy"]
        checks["banking77_accuracy"] = (acc, acc >= TARGETS["banking77_accuracy"])
    results["verdict"] = {
        k: {"value": v, "target": TARGETS[k], "passed": ok} for k, (v, ok) in checks.items()
    }
    results["gap_vs_overall"] = round(gap, 4)
    results["machine"] = machine_facts()
    results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    console.print_json(json.dumps({k: results[k] for k in ("verdict",)}))
    console.print(f"results written to {out}")


if __name__ == "__main__":
    typer.run(main)
