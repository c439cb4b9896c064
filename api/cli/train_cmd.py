"""``replykit train`` (an intent model from a labelled file) and ``replykit train-emotion``."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from api.cli.bars import Update, embedding_bar, progress_bars
from api.cli.history_cmd import open_store
from api.cli.kb_cmd import MAX_PROBLEMS_SHOWN
from api.cli.progress import err_console
from kb.store.jobs import start_job
from suggest.config import get_settings
from suggest.embed.loader import base_folder, load_embedder
from suggest.errors import ConflictError, InputError
from training.data import Example, read_labelled
from training.finetune import AccurateOptions
from training.intent import IntentTrainOptions, save_intent, train_intent
from training.jobs import (
    Hooks,
    JobCancelled,
    JobContext,
    TenantRun,
    execute_job,
    has_labelled_history,
    no_history_message,
    train_tenant,
)
from training.run import REPORT_DIR, RunResult, TrainOptions
from training.self_training import SelfTrainingOptions

console = Console()


class Mode(StrEnum):
    fast = "fast"
    accurate = "accurate"


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
    tenant: Annotated[
        str | None, typer.Option(help="Train a new model version for this tenant (see `models list`).")
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data", help="Labelled tickets (.jsonl or .csv); default: the tenant's imported history."
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Instead of a tenant: a folder to write one model to.")
    ] = None,
    text_col: Annotated[str, typer.Option(help="Column with the ticket text.")] = "text",
    label_col: Annotated[
        str, typer.Option(help="Column (or imported field) with the intent; empty or 'out_of_scope' = none.")
    ] = "intent",
    seed: int = 0,
    holdout: Annotated[float, typer.Option(help="Share held out to calibrate and tune thresholds.")] = 0.2,
    evaluation_share: Annotated[
        float, typer.Option(help="Share held out for the run's report and the promotion gate (tenant runs).")
    ] = 0.2,
    promote: Annotated[
        bool, typer.Option("--promote", help="Promote the new version if it passes the gate.")
    ] = False,
    mode: Annotated[
        Mode,
        typer.Option(
            help="fast: a head on frozen embeddings. accurate: fine-tune the encoder first (tenant runs)."
        ),
    ] = Mode.fast,
    epochs: Annotated[
        int | None, typer.Option(help="Accurate mode: fine-tuning epochs (default: chosen from the data).")
    ] = None,
    self_training: Annotated[
        int,
        typer.Option(
            help="Rounds of self-training on the history's unlabelled tickets (0: off; tenant history runs)."
        ),
    ] = 0,
) -> None:
    """Train an intent model: a calibrated linear head with an out-of-scope threshold.

    With --tenant the model becomes a new version in the tenant's registry, with a held-out
    report (report/report.md, confusion and calibration plots); with --promote it goes live if
    its macro-F1 is within the margin of the active model's on the same held-out tickets."""
    if (tenant is None) == (out is None):
        raise InputError("give exactly one of --tenant (a new model version) or --out (a model folder).")
    if out is not None and data is None:
        raise InputError("--out needs --data: the labelled file to train on.")
    if data is not None and self_training:
        raise InputError(
            "--self-training uses the unlabelled tickets of the tenant's imported history; "
            "drop --data to train on the history, or drop --self-training."
        )
    if out is not None and mode is Mode.accurate:
        raise InputError("--mode accurate trains a tenant's model version: use --tenant instead of --out.")
    try:
        options = TrainOptions(
            mode=mode.value,
            seed=seed,
            evaluation_share=evaluation_share,
            intent=IntentTrainOptions(seed=seed, holdout=holdout),
            accurate=AccurateOptions(epochs=epochs),
            self_training=SelfTrainingOptions(rounds=self_training),
        )
    except ValueError as err:
        raise InputError(f"invalid training options: {err}") from None
    if out is not None:
        assert data is not None
        examples, source = _file_examples(data, text_col, label_col)
        embedder = load_embedder(get_settings())
        with embedding_bar() as progress:
            trained = train_intent(examples, embedder, options.intent, progress)
        save_intent(out, trained, embedder, options.intent, source)
        show_intent_report(trained.report)
        console.print(f"model written to {escape(str(out))}")
        return
    assert tenant is not None
    if data is not None:
        examples, source = _file_examples(data, text_col, label_col)
        settings = get_settings()
        embedder = load_embedder(settings)
        with progress_bars() as bar:
            run = train_tenant(
                settings.data_dir,
                tenant,
                embedder,
                options,
                lambda: (examples, source),
                promote=promote,
                hooks=BarHooks(bar),
                base_model=base_folder(settings) if options.mode == "accurate" else None,
            )
    else:
        run = _train_as_job(tenant, label_col, options, promote)
    show_intent_report(run.run.report)
    _show_evaluation(run.run)
    for head in run.heads:  # the emotion and escalation heads, when trained from the history
        console.print(escape(head.line()), highlight=False)
    if run.refused is not None:
        raise run.refused
    if run.promotion is not None:
        console.print(f"[green]✓[/green] {run.promotion.version} is active for tenant '{escape(tenant)}'")
    else:
        console.print(f"promote it with: replykit models promote {run.run.version.version} --tenant {tenant}")


class BarHooks(Hooks):
    """The shared training path, drawn as progress bars with a line per stage."""

    def __init__(self, bar: Callable[[str], Update]) -> None:
        self._bar = bar

    def stage(self, name: str, message: str) -> None:
        err_console.print(f"[dim]{escape(message)}[/dim]", highlight=False)

    def embedded(self, done: int, total: int) -> None:
        self._bar("Embedding")(done, total)

    def tuned(self, done: int, total: int) -> None:
        self._bar("Fine-tuning (steps)")(done, total)


def _train_as_job(tenant: str, label_field: str, options: TrainOptions, promote: bool) -> TenantRun:
    """A run on the tenant's imported history, in the foreground but recorded as a training job
    (``replykit jobs list`` shows it, and ``jobs cancel`` or the API can stop it), through the same
    code the background worker runs. The job is created running and owned by this process, never
    queued: a worker (the API's recovery sweep) could otherwise claim it before this process does."""
    settings = get_settings()
    with open_store(tenant) as store:
        with store.session() as session:
            if not has_labelled_history(session, tenant, label_field):
                raise InputError(
                    no_history_message(tenant, label_field) + " Or train from a file with --data."
                )
        embedder = load_embedder(settings)
        context = JobContext(
            store, settings.data_dir, lambda: embedder, base_model=lambda: base_folder(settings)
        )
        with store.session() as session:
            job = start_job(
                session,
                tenant,
                context.worker_id,
                options=options.model_dump(mode="json"),
                source={"history": tenant, "label_field": label_field},
                promote=promote,
                requested_by="cli",
            )
            job_id = job.id
        err_console.print(f"[dim]training job {job_id}[/dim]", highlight=False)
        try:
            with progress_bars() as bar:
                run = execute_job(context, job_id, also=BarHooks(bar), reraise=True, claimed=True)
        except JobCancelled:
            err_console.print(f"training job {job_id} was cancelled; no version was kept")
            raise typer.Exit(1) from None
    if run is None:
        raise ConflictError(
            f"training job {job_id} was taken over by another worker while it ran (this process stopped "
            f"refreshing it for a minute), so this run's result was dropped; `replykit jobs show {job_id} "
            f"--tenant {tenant}` shows what became of it."
        )
    return run


def _file_examples(data: Path, text_col: str, label_col: str) -> tuple[list[Example], dict[str, Any]]:
    """The labelled examples in a file and a record of where they came from."""
    labelled = read_labelled(data, text_col=text_col, label_col=label_col)
    for problem in labelled.problems[:MAX_PROBLEMS_SHOWN]:
        console.print(f"[yellow]skipped[/yellow] {escape(problem.location)}: {escape(problem.message)}")
    if not labelled.examples:
        raise InputError(f"{data} has no usable rows; nothing to train on.")
    source = {
        "file": data.name,
        "sha256": labelled.sha256,
        "text_col": text_col,
        "label_col": label_col,
        "skipped_rows": len(labelled.problems),
    }
    return labelled.examples, source


def _show_evaluation(result: RunResult) -> None:
    e = result.evaluation
    table = Table("evaluation figure", "value", title=f"{result.version.version}: held-out evaluation")
    table.add_row("examples", str(e.examples))
    table.add_row("accuracy (top label)", f"{e.accuracy:.1%}")
    table.add_row("macro-F1 (abstention = out of scope)", f"{e.macro_f1:.4f}")
    table.add_row("coverage", f"{e.coverage:.1%}")
    table.add_row("ECE", f"{e.ece:.3f}")
    table.add_row("report", str(result.version.folder / REPORT_DIR / "report.md"))
    console.print(table)


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
