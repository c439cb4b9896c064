"""``replykit train`` (an intent model from a labelled file) and ``replykit train-emotion``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from api.cli.bars import embedding_bar
from api.cli.kb_cmd import MAX_PROBLEMS_SHOWN
from suggest.config import get_settings
from suggest.embed.loader import load_embedder
from suggest.errors import InputError
from training.data import read_labelled
from training.intent import IntentTrainOptions, save_intent, train_intent

console = Console()


def show_intent_report(report: dict[str, Any]) -> None:
    held = report["holdout"]
    table = Table("held-out figure", "value", title="intent model")
    rows = [
        ("examples / intents", f"{report['examples']} / {report['intents']}"),
        ("out-of-scope examples", str(report["out_of_scope_examples"])),
        ("C (chosen on held-out)", f"{report['c']:g}"),
        ("temperature", f"{report['temperature']:.3f}"),
        ("accuracy (top label)", f"{held['accuracy']:.1%}"),
        ("accuracy, abstentions counted wrong", f"{held['accuracy_with_abstention']:.1%}"),
        ("coverage (label given)", f"{held['coverage']:.1%}"),
        ("ECE before / after calibration", f"{held['ece_before']:.3f} / {held['ece_after']:.3f}"),
        (
            "min confidence / min similarity",
            f"{report['min_confidence']:.3f} / {report['min_similarity']:.3f}",
        ),
        ("seconds (embed / fit)", f"{report['seconds']['embed']} / {report['seconds']['fit']}"),
    ]
    if "out_of_scope_recall" in held:
        rows.append(("out-of-scope recall", f"{held['out_of_scope_recall']:.1%}"))
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)


def train(
    *,
    data: Annotated[Path, typer.Option("--data", help="Labelled tickets: .jsonl or .csv.")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the model to (replaced whole).")],
    text_col: Annotated[str, typer.Option(help="Column with the ticket text.")] = "text",
    label_col: Annotated[
        str, typer.Option(help="Column with the intent; empty or 'out_of_scope' = none.")
    ] = "intent",
    seed: int = 0,
    holdout: Annotated[float, typer.Option(help="Share held out to calibrate and tune thresholds.")] = 0.2,
) -> None:
    """Train an intent model: a calibrated linear head with an out-of-scope threshold."""
    labelled = read_labelled(data, text_col=text_col, label_col=label_col)
    for problem in labelled.problems[:MAX_PROBLEMS_SHOWN]:
        console.print(f"[yellow]skipped[/yellow] {escape(problem.location)}: {escape(problem.message)}")
    if not labelled.examples:
        raise InputError(f"{data} has no usable rows; nothing to train on.")
    try:
        options = IntentTrainOptions(seed=seed, holdout=holdout)
    except ValueError as err:
        raise InputError(f"invalid training options: {err}") from None
    embedder = load_embedder(get_settings())
    with embedding_bar() as progress:
        trained = train_intent(labelled.examples, embedder, options, progress)
    source = {
        "file": data.name,
        "sha256": labelled.sha256,
        "text_col": text_col,
        "label_col": label_col,
        "skipped_rows": len(labelled.problems),
    }
    save_intent(out, trained, embedder, options, source)
    show_intent_report(trained.report)
    console.print(f"model written to {escape(str(out))}")


def train_emotion(
    *,
    data_dir: Annotated[Path, typer.Option(help="Folder holding goemotions/ and xed/.")] = Path(
        "../shared/datasets"
    ),
    out: Annotated[Path, typer.Option(help="Folder to write the heads to.")] = Path(
        "suggest/analysis/weights/emotion"
    ),
    c: float = 1.0,
    seed: int = 0,
) -> None:
    """Reproduce the default sentiment/emotion heads from the public sets and the support examples."""
    from training.emotion import EmotionTrainOptions, collect, save_emotion
    from training.emotion import train_emotion as fit

    options = EmotionTrainOptions(c=c, seed=seed)
    corpus = collect(data_dir, options)
    embedder = load_embedder(get_settings())
    with embedding_bar() as progress:
        model, report = fit(corpus, embedder, options, progress)
    save_emotion(out, model, report, embedder, options)
    table = Table("held-out set", "examples", "sentiment macro-F1", "emotion macro-F1")
    for name, scores in report["evaluations"].items():
        table.add_row(
            name,
            str(scores["examples"]),
            str(scores.get("sentiment_macro_f1", "–")),
            str(scores.get("emotion_macro_f1", "–")),
        )
    console.print(table)
    console.print(f"heads and model card written to {escape(str(out))}")
