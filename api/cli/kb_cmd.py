"""``replykit kb``: import, export, reindex and search a tenant's knowledge base."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from api.cli.progress import err_console, steps
from kb.importers import FORMATS
from kb.importers.apply import ImportReport
from kb.library import Library
from suggest.config import get_settings
from suggest.embed.loader import load_embedder
from suggest.errors import InputError

app = typer.Typer(help="Manage the knowledge base and canned responses.", no_args_is_help=True)
console = Console()
Tenant = Annotated[str, typer.Option("--tenant", "-t", help="Tenant id.")]
MAX_PROBLEMS_SHOWN = 50


@contextmanager
def open_library() -> Iterator[Library]:
    settings = get_settings()
    with steps() as report:
        report.step("Loading the model")
        embedder = load_embedder(settings, step=report.step, warn=report.warn)
    library = Library.from_settings(settings, embedder)
    try:
        yield library
    finally:
        library.close()


def _bars() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )


def print_report(report: ImportReport) -> None:
    for key, count in sorted(report.counts.items()):
        console.print(f"{key}: {count}")
    if report.problems:
        console.print(f"[yellow]{len(report.problems)} row(s) not imported:[/yellow]")
        for problem in report.problems[:MAX_PROBLEMS_SHOWN]:
            console.print(f"  {escape(problem.location)}: {escape(problem.message)}", highlight=False)
        if len(report.problems) > MAX_PROBLEMS_SHOWN:
            console.print(f"  … and {len(report.problems) - MAX_PROBLEMS_SHOWN} more")


@app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="A folder of .md files, or a .jsonl, .json or .csv file.")],
    tenant: Tenant = "demo",
    fmt: Annotated[str | None, typer.Option("--format", help=f"One of {', '.join(FORMATS)}.")] = None,
    language: Annotated[str, typer.Option("--lang", help="Language of rows that do not say.")] = "en",
) -> None:
    """Import content; unchanged items are skipped and not re-embedded. Bad rows are listed, not fatal."""
    with open_library() as library, _bars() as bars:
        rows = bars.add_task("Importing", total=None)
        vectors = bars.add_task("Embedding", total=None, visible=False)
        report, refresh = library.import_path(
            tenant,
            path,
            fmt=fmt,
            default_language=language,
            rows_done=lambda n: bars.advance(rows, n),
            embedded=lambda done, total: bars.update(vectors, completed=done, total=total, visible=True),
        )
    print_report(report)
    console.print(f"index: {refresh.count} items, {refresh.embedded} embedded, {refresh.reason}")
    if report.problems:
        raise typer.Exit(1)


@app.command("export")
def export(
    path: Annotated[Path, typer.Argument(help="The .jsonl file to write.")], tenant: Tenant = "demo"
) -> None:
    """Export every article and canned response as JSONL, which `kb import` reads back."""
    if path.suffix.lower() != ".jsonl":
        raise InputError(f"export writes JSONL; give a path ending in .jsonl, got {path.name}")
    with open_library() as library:
        counts = library.export(tenant, path)
    console.print(f"wrote {counts['article']} articles and {counts['canned']} canned responses to {path}")


@app.command("reindex")
def reindex(
    tenant: Tenant = "demo",
    force: Annotated[bool, typer.Option(help="Rebuild even when the index is up to date.")] = False,
) -> None:
    """Embed what is new and rebuild the tenant's index from the database."""
    with open_library() as library, _bars() as bars:
        task = bars.add_task("Embedding", total=None)
        result = library.index.refresh(
            tenant, force=force, progress=lambda done, total: bars.update(task, completed=done, total=total)
        )
    console.print(
        f"{result.reason}: {result.count} items, {result.embedded} embedded, build {result.build_id}"
    )


@app.command("search")
def search(
    text: Annotated[str, typer.Argument(help="The ticket or question.")],
    tenant: Tenant = "demo",
    lang: Annotated[str | None, typer.Option("--lang", help="Prefer this language.")] = None,
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="How many hits.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Search articles and canned responses the way the suggestion pipeline does."""
    with open_library() as library:
        result = library.search.search(tenant, text, k=k, language=lang)
    if as_json:
        typer.echo(
            json.dumps({**asdict(result), "hits": [asdict(h) for h in result.hits]}, ensure_ascii=False)
        )
        return
    table = Table(title=f"{len(result.hits)} hit(s)" + (" (with other languages)" if result.fallback else ""))
    for column in ("score", "kind", "lang", "title", "snippet"):
        table.add_column(column)
    for hit in result.hits:
        lang_cell = hit.language + (" ↪" if hit.cross_language else "")
        table.add_row(f"{hit.score:.3f}", hit.kind, lang_cell, escape(hit.title), escape(hit.snippet[:90]))
    console.print(table)
