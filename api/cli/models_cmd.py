"""``replykit models ...``: build and check the model cache."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from api.cli.progress import err_console, steps
from suggest.config import get_settings
from suggest.errors import ModelCacheError
from suggest.models.prepare import PreparedModel, cache_root, load_prepared, prepare_model

app = typer.Typer(help="Prepare and verify the embedding model.", no_args_is_help=True)
console = Console()


def _summary(prepared: PreparedModel) -> Table:
    m = prepared.manifest
    table = Table(title="Prepared model", show_header=False)
    table.add_row("model", str(m.get("model")))
    table.add_row("folder", str(prepared.folder))
    table.add_row("dimension", str(m.get("dim")))
    table.add_row("serving backend", str(m.get("serving_backend")))
    checks = m.get("checks", {})
    for lang, r in checks.get("cross_lingual", {}).items():
        table.add_row(
            f"{lang}↔en cosine", f"translation {r['translation']:.3f} vs unrelated {r['unrelated']:.3f}"
        )
    onnx = checks.get("onnx_int8", {})
    if onnx:
        verdict = "passed" if onnx.get("passed") else "failed"
        table.add_row(
            "int8 vs fp32", f"min cosine {onnx['min_cosine']:.4f} ({verdict}, needs ≥ {onnx['threshold']})"
        )
    table.add_row("files", f"{len(m.get('files', {}))} with sha256 in manifest.json")
    return table


@app.command()
def prepare(
    force: Annotated[bool, typer.Option("--force", help="Rebuild even if the cache is valid.")] = False,
) -> None:
    """Build the model folder (weights, tokenizer, ONNX int8) into the cache and check it."""
    settings = get_settings()
    with steps() as report:
        prepared = prepare_model(settings, force=force, step=report.step, warn=report.warn)
    console.print(_summary(prepared))


@app.command()
def verify() -> None:
    """Check the prepared model against its manifest's sha256 hashes. Exits 1 on a mismatch."""
    settings = get_settings()
    try:
        with steps() as report:
            report.step("Checking sha256 of every file")
            prepared = load_prepared(settings)
    except ModelCacheError as err:
        err_console.print(
            f"[red]✗[/red] {escape(str(err))}\nRun `replykit models prepare` to rebuild it.", highlight=False
        )
        raise typer.Exit(1) from None
    console.print(f"[green]✓[/green] {escape(str(cache_root(settings)))} matches its manifest.")
    console.print(_summary(prepared))
