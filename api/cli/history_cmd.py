"""``replykit history``: import a helpdesk export (redacted before it is stored), and see what is stored.

Bad records are listed with their location and never stop the file; the exit code is 1 only when
nothing at all could be imported, so a script notices an export that was entirely unusable.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from api.cli.kb_cmd import MAX_PROBLEMS_SHOWN
from api.cli.progress import err_console
from kb.store import Store
from kb.store.history import get_import, history_stats, list_imports
from kb.store.tenants import get_tenant
from suggest.config import get_settings
from suggest.errors import InputError
from training.data import file_sha256
from training.history import SOURCES, ColumnMap, detect_source, read_history, reader_for
from training.history.ingest import ImportSummary, import_history, load_redaction_rules
from training.history.sources import TABULAR
from training.redact import Redactor

app = typer.Typer(
    help="Import helpdesk history for retraining (redacted) and inspect it.", no_args_is_help=True
)
console = Console()
Tenant = Annotated[str, typer.Option("--tenant", "-t", help="Tenant id.")]
Column = Annotated[str | None, typer.Option(help="Column (CSV header or JSON key); csv and jsonl only.")]
FLAGS = {
    "id": "--id-col",
    "text": "--text-col",
    "reply": "--reply-col",
    "thread": "--thread-col",
    "subject": "--subject-col",
    "customer_name": "--customer-name-col",
    "customer_email": "--customer-email-col",
    "tags": "--tags-col",
    "csat": "--csat-col",
    "csat_scale": "--csat-scale",
    "created_at": "--created-col",
    "language": "--language-col",
    "status": "--status-col",
}
"""``ColumnMap`` field → its option (the names docs/history-import.md gives)."""


@contextmanager
def open_store(tenant: str) -> Iterator[Store]:
    """The database, migrated, after checking that the tenant exists."""
    store = Store.from_settings(get_settings())
    try:
        with store.session() as session:
            get_tenant(session, tenant)
        yield store
    finally:
        store.close()


def _fields(pairs: list[str]) -> dict[str, str]:
    """``NAME=COLUMN`` options as ``{name: column}``."""
    fields: dict[str, str] = {}
    for pair in pairs:
        name, sep, column = (part.strip() for part in pair.partition("="))
        if not (sep and name and column):
            raise InputError(f"--field expects NAME=COLUMN (e.g. --field intent=label), got {pair!r}")
        fields[name] = column
    return fields


def _columns(source: str, named: Mapping[str, object], fields: dict[str, str]) -> ColumnMap | None:
    given = {key: value for key, value in named.items() if value is not None}
    if source not in TABULAR:
        if given:
            flags = ", ".join(FLAGS[key] for key in given)
            raise InputError(
                f"{flags} name columns of csv and jsonl tables; a {source} export has its own fields. "
                "Leave them out (use --field NAME=FIELD to keep a custom field)."
            )
        return None
    try:
        return ColumnMap.model_validate(given | {"fields": fields})
    except ValidationError as err:
        problems = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in err.errors())
        raise InputError(f"the column options do not work for a {source} table: {problems}") from None


def _bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )


def print_summary(summary: ImportSummary, tenant: str) -> None:
    table = Table(title=f"import {summary.import_id}: {summary.status}")
    table.add_column("tickets")
    table.add_column("count", justify="right")
    for key, n in summary.counts().items():
        table.add_row(key, f"{n:,}")
    console.print(table)
    redaction = Table(title="redaction")
    redaction.add_column("type")
    redaction.add_column("replaced", justify="right")
    for kind, n in summary.redaction.items():
        redaction.add_row(kind, f"{n:,}")
    console.print(redaction)
    if summary.problem_count:
        console.print(f"[yellow]{summary.problem_count:,} problem(s):[/yellow]")
        for problem in summary.problems[:MAX_PROBLEMS_SHOWN]:
            console.print(f"  {escape(problem.location)}: {escape(problem.message)}", highlight=False)
        if summary.problem_count > MAX_PROBLEMS_SHOWN:
            console.print(
                f"  … and {summary.problem_count - MAX_PROBLEMS_SHOWN:,} more (the first "
                f"{len(summary.problems)} are kept: replykit history imports --tenant {tenant} "
                f"--id {summary.import_id})"
            )


@app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="The export file (.json, .jsonl, .csv).")],
    *,
    tenant: Tenant,
    source: Annotated[
        str | None, typer.Option(help=f"One of {', '.join(SOURCES)}; sniffed if left out.")
    ] = None,
    id_col: Annotated[str | None, typer.Option(help="Ticket id column (default: id).")] = None,
    text_col: Column = None,
    reply_col: Column = None,
    thread_col: Column = None,
    subject_col: Column = None,
    customer_name_col: Column = None,
    customer_email_col: Column = None,
    tags_col: Column = None,
    csat_col: Column = None,
    csat_scale: Annotated[
        int | None, typer.Option(help="Whole-number ratings run 1..this (default 5).")
    ] = None,
    created_col: Column = None,
    language_col: Column = None,
    status_col: Column = None,
    field: Annotated[
        list[str] | None,
        typer.Option(help="Repeatable NAME=COLUMN: keep a column (or a helpdesk's custom field) as NAME."),
    ] = None,
) -> None:
    """Import tickets with their threads; every text is redacted before it is stored. Importing the
    same export again updates the stored tickets."""
    if not path.is_file():
        raise InputError(f"{path} does not exist or is not a file; expected a helpdesk export.")
    fields = _fields(field or [])
    name = (source or detect_source(path)).strip().lower()
    reader_for(name)  # an unknown --source is refused before anything else is said about it
    named = {
        "id": id_col,
        "text": text_col,
        "reply": reply_col,
        "thread": thread_col,
        "subject": subject_col,
        "customer_name": customer_name_col,
        "customer_email": customer_email_col,
        "tags": tags_col,
        "csat": csat_col,
        "csat_scale": csat_scale,
        "created_at": created_col,
        "language": language_col,
        "status": status_col,
    }
    columns = _columns(name, named, fields)
    field_names = None if columns is not None or not fields else {col: key for key, col in fields.items()}
    settings = get_settings()
    with open_store(tenant) as store, _bar() as bars:
        redactor = Redactor(load_redaction_rules(settings.data_dir, tenant))
        task = bars.add_task("Importing", total=path.stat().st_size)
        items = read_history(
            path,
            name,
            columns=columns,
            field_names=field_names,
            progress=lambda done, total: bars.update(task, completed=done, total=total),
        )
        summary = import_history(
            store.engine,
            tenant,
            items,
            redactor,
            file_name=path.name,
            sha256=file_sha256(path),
            source=name,
            progress=lambda s: bars.update(task, description=f"Importing ({s.imported:,} tickets)"),
        )
    print_summary(summary, tenant)
    if summary.imported == 0:
        err_console.print("[red]nothing was imported[/red]: see the problems above.")
        raise typer.Exit(1)


def _count_table(
    title: str, counts: Mapping[str, int] | Mapping[str | None, int], missing: str = ""
) -> Table:
    table = Table(title=title)
    table.add_column("value")
    table.add_column("tickets", justify="right")
    for value, n in counts.items():
        table.add_row(escape(missing if value is None else value), f"{n:,}")
    return table


@app.command("stats")
def stats(
    tenant: Tenant,
    field: Annotated[str, typer.Option(help="Count tickets per value of this field.")] = "intent",
) -> None:
    """How many tickets are stored, per source, language, value of a field and CSAT."""
    with open_store(tenant) as store, store.session() as session:
        result = history_stats(session, tenant, field=field)
    console.print(f"{result.total:,} ticket(s) stored for {tenant}")
    console.print(_count_table("per source", result.by_source))
    console.print(_count_table("per language", result.by_language))
    console.print(_count_table(f"per {field}", result.by_field, missing=f"(no {field})"))
    console.print(_count_table("CSAT", result.csat))


@app.command("imports")
def imports(
    tenant: Tenant,
    import_id: Annotated[int | None, typer.Option("--id", help="Show this import's problems.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many of the latest imports.")] = 20,
) -> None:
    """The tenant's history imports, newest first (or one import's problems with --id)."""
    with open_store(tenant) as store, store.session() as session:
        if import_id is not None:
            record = get_import(session, tenant, import_id)
            console.print(f"import {record.id} ({escape(record.file_name)}): {record.status}")
            for problem in record.problems:
                console.print(
                    f"  {escape(problem['location'])}: {escape(problem['message'])}", highlight=False
                )
            return
        table = Table(title=f"history imports of {tenant}")
        for column in (
            "id",
            "file",
            "source",
            "started",
            "status",
            "read",
            "inserted",
            "updated",
            "problems",
        ):
            table.add_column(column)
        for row in list_imports(session, tenant, limit=limit):
            status = row.status + (f" ({row.error})" if row.error else "")
            counts = [f"{row.counts.get(k, 0):,}" for k in ("read", "inserted", "updated", "problems")]
            started = row.started_at.isoformat(timespec="seconds")
            table.add_row(str(row.id), escape(row.file_name), row.source, started, status, *counts)
    console.print(table)
