"""``replykit mine`` and ``replykit drafts``: mine canned-reply drafts from the imported history and
review them. Drafts never go live by themselves; ``drafts accept`` publishes one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, cast

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from api.cli.bars import embedding_bar
from api.cli.history_cmd import open_store
from api.cli.kb_cmd import open_library
from kb.db.schema import ReplyDraft
from kb.store.drafts import (
    STATUSES,
    DraftEdit,
    DraftStatus,
    accept_draft,
    get_draft,
    list_drafts,
    reject_draft,
)
from kb.vocabulary import Category
from suggest.config import get_settings
from suggest.errors import InputError
from training.mining import DEFAULT_THRESHOLD, MiningOptions, load_mining_rules, marker_notes, mine_drafts

app = typer.Typer(help="Review canned-reply drafts mined from the history.", no_args_is_help=True)
console = Console()
Tenant = Annotated[str, typer.Option("--tenant", "-t", help="Tenant id.")]
DraftId = Annotated[int, typer.Argument(help="The draft's id (see `replykit drafts list`).")]
REVIEWER = "cli"


def mine(
    tenant: Tenant,
    label_field: Annotated[str, typer.Option(help="The ticket field holding the intent.")] = "intent",
    min_uses: Annotated[int, typer.Option(min=1, help="Offer only replies used this often.")] = 3,
    threshold: Annotated[
        float, typer.Option(min=0.01, max=1.0, help="Cosine similarity at which replies count as one.")
    ] = DEFAULT_THRESHOLD,
) -> None:
    """Mine the imported history into canned-reply drafts for review; run again to update counts."""
    options = MiningOptions(
        label_field=label_field,
        min_uses=min_uses,
        threshold=threshold,
        rules=load_mining_rules(get_settings().data_dir, tenant),
    )
    with open_library() as library, embedding_bar("Reading replies") as bar:
        summary = mine_drafts(library.store, tenant, library.embedder, options, progress=bar)
        with library.store.session() as session:
            top, total = list_drafts(session, tenant, status="pending", limit=20)
            console.print(_table(f"pending drafts of {tenant} ({total} in all)", top))
    counts = Table(title="mining")
    counts.add_column("")
    counts.add_column("count", justify="right")
    for name, value in vars(summary).items():
        counts.add_row(name.replace("_", " "), f"{value:,}")
    console.print(counts)


def _table(title: str, rows: list[ReplyDraft]) -> Table:
    table = Table(title=title)
    for column in ("id", "status", "intent", "lang", "uses", "coverage", "markers", "title"):
        table.add_column(column, justify="right" if column in ("id", "uses", "coverage") else "left")
    for row in rows:
        table.add_row(
            str(row.id),
            row.status,
            escape(row.intent or "(none)"),
            row.language,
            f"{row.usage_count:,}",
            f"{row.coverage:.0%}",
            " ".join(row.markers),
            escape(row.title),
        )
    return table


@app.command("list")
def list_(
    tenant: Tenant,
    status: Annotated[str, typer.Option(help=f"One of {', '.join(STATUSES)}, or all.")] = "pending",
    intent: Annotated[str | None, typer.Option(help="Only this intent.")] = None,
    language: Annotated[str | None, typer.Option("--lang", help="Only this language.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 50,
) -> None:
    """Drafts, most used first (pending ones unless --status says otherwise)."""
    if status != "all" and status not in STATUSES:
        raise InputError(f"--status must be one of {', '.join(STATUSES)} or all, got {status!r}")
    with open_store(tenant) as store, store.session() as session:
        rows, total = list_drafts(
            session,
            tenant,
            status=None if status == "all" else cast(DraftStatus, status),
            intent=intent,
            language=language,
            limit=limit,
        )
        console.print(_table(f"{total} draft(s) of {tenant}", rows))


@app.command("show")
def show(draft_id: DraftId, tenant: Tenant) -> None:
    """One draft: its body, variables, markers to resolve and example tickets."""
    with open_store(tenant) as store, store.session() as session:
        row = get_draft(session, tenant, draft_id)
        console.print(f"[bold]draft {row.id}[/bold]: {escape(row.title)} ({row.status})")
        console.print(
            f"intent {escape(row.intent or '(none)')}, {row.language}, used {row.usage_count:,} times "
            f"({row.coverage:.0%} of the group's replies); examples: {', '.join(map(escape, row.examples))}"
        )
        console.print(f"variables: {', '.join(row.variables) or '-'}")
        console.print(escape(row.body), highlight=False)
        for note in marker_notes(row.markers, row.body):
            console.print(f"[yellow]note:[/yellow] {escape(note)}", highlight=False)
        if row.canned_id:
            console.print(f"published as canned response {escape(row.canned_id)}")


@app.command("accept")
def accept(
    draft_id: DraftId,
    *,
    tenant: Tenant,
    title: Annotated[str | None, typer.Option(help="A new title.")] = None,
    body_file: Annotated[
        Path | None, typer.Option(help="A file with the edited body (the template), e.g. without [DATE].")
    ] = None,
    category: Annotated[Category, typer.Option(help="The canned response's category.")] = Category.ANSWER,
    intent: Annotated[
        list[str] | None, typer.Option(help="Repeatable: the response's intents (default: the draft's).")
    ] = None,
    external_id: Annotated[str | None, typer.Option(help="The canned response's external id.")] = None,
) -> None:
    """Publish a draft as an active canned response and refresh the index; refused while markers remain."""
    body = None
    if body_file is not None:
        if not body_file.is_file():
            raise InputError(f"{body_file} does not exist; give a file holding the edited template")
        body = body_file.read_text(encoding="utf-8")
    edit = DraftEdit(
        title=title, body=body, category=category, intents=intent or None, external_id=external_id
    )
    with open_library() as library:
        with library.store.session() as session:
            response = accept_draft(session, tenant, draft_id, edit, reviewer=REVIEWER)
            external = response.external_id
        library.index.refresh(tenant)
    console.print(f"draft {draft_id} published as canned response {escape(external)} (active)")


@app.command("reject")
def reject(draft_id: DraftId, tenant: Tenant) -> None:
    """Reject a draft; mining again will not offer it."""
    with open_store(tenant) as store, store.session() as session:
        reject_draft(session, tenant, draft_id, reviewer=REVIEWER)
    console.print(f"draft {draft_id} rejected")
