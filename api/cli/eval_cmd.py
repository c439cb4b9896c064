"""``replykit eval ...``: measure quality on labelled data, side by side with baselines (eval/)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from suggest.config import get_settings
from suggest.embed.loader import load_embedder
from suggest.errors import InputError
from training.data import Example, read_labelled

app = typer.Typer(
    help="Evaluate on labelled data, with baselines run on the same split.", no_args_is_help=True
)
console = Console()
BANKING77 = Path("banking77") / "banking_data"


def _read(path: Path, text_col: str, label_col: str) -> tuple[list[Example], str]:
    labelled = read_labelled(path, text_col=text_col, label_col=label_col)
    if not labelled.examples:
        raise InputError(f"{path} has no usable rows (text column '{text_col}', label column '{label_col}').")
    if labelled.problems:
        console.print(f"[yellow]{len(labelled.problems)} row(s) of {escape(path.name)} skipped[/yellow]")
    return labelled.examples, labelled.sha256


@app.command()
def intent(
    *,
    train: Annotated[Path | None, typer.Option(help="Labelled training file (.jsonl or .csv).")] = None,
    test: Annotated[Path | None, typer.Option(help="Labelled test file.")] = None,
    data_dir: Annotated[
        Path, typer.Option(help="Without --train/--test: BANKING77 under this folder.")
    ] = Path("../shared/datasets"),
    text_col: Annotated[str, typer.Option(help="Text column (BANKING77: text).")] = "text",
    label_col: Annotated[
        str, typer.Option(help="Label column; empty or 'out_of_scope' = out of scope (BANKING77: category).")
    ] = "",
    out: Annotated[Path, typer.Option(help="Report folder.")] = Path("reports/intent"),
    seed: int = 0,
    at_accuracy: Annotated[
        float, typer.Option(help="In-scope accuracy at which out-of-scope recall is reported.")
    ] = 0.9,
) -> None:
    """The intent model against TF-IDF + linear SVM and embeddings + logistic regression, trained
    and scored on the same split; writes report.md, plots and summary.md/json to --out."""
    from eval.intent_eval import Split, run_intent_eval

    if (train is None) != (test is None):
        raise InputError("give both --train and --test, or neither (then BANKING77 from --data-dir is used).")
    if train is None or test is None:
        root = data_dir / BANKING77
        if not (root / "train.csv").is_file():
            raise InputError(f"no --train/--test given and BANKING77 is not under {root}; give the files.")
        train, test, label_col = root / "train.csv", root / "test.csv", label_col or "category"
    label_col = label_col or "intent"
    train_examples, train_hash = _read(train, text_col, label_col)
    test_examples, test_hash = _read(test, text_col, label_col)
    split = Split(train_examples, test_examples, {train.name: train_hash, test.name: test_hash})
    embedder = load_embedder(get_settings())
    with console.status("Embedding, training and scoring replykit and the baselines"):
        summary = run_intent_eval(split, embedder, out, seed=seed, at_accuracy=at_accuracy)
    for name, figures in summary["systems"].items():
        console.print(f"{name}: accuracy {figures['accuracy']:.2%}, macro-F1 {figures['macro_f1']:.4f}")
    console.print(f"report written to {escape(str(out))}/summary.md")


@app.command()
def retrieval(
    *,
    data_dir: Annotated[Path, typer.Option(help="The folder that holds stackfaq/.")] = Path(
        "../shared/datasets"
    ),
    out: Annotated[Path, typer.Option(help="Report folder.")] = Path("reports/retrieval"),
) -> None:
    """StackFAQ questions → articles through replykit's knowledge base and through BM25: recall@1/5/10
    and MRR side by side; writes summary.md/json to --out."""
    from eval.retrieval_eval import STACKFAQ, read_stackfaq, run_retrieval_eval

    faq = read_stackfaq(data_dir / STACKFAQ)
    embedder = load_embedder(get_settings())
    with console.status(f"Importing {len(faq.articles)} articles and ranking {len(faq.queries)} queries"):
        summary = run_retrieval_eval(faq, embedder, out)
    for name, figures in summary["systems"].items():
        r1, r5, mrr = figures["recall@1"], figures["recall@5"], figures["mrr"]
        console.print(f"{name}: recall@1 {r1:.2%}, recall@5 {r5:.2%}, MRR {mrr}")
    console.print(f"report written to {escape(str(out))}/summary.md")
