"""``replykit analyze``: run the analysis over a file of tickets, one JSON object per ticket out.

Admins use it to audit historical tickets. Rows that cannot be analysed become error objects in
the output (with where they came from), so the output lines up with the input and nothing is
silently dropped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from api.cli.bars import embedding_bar
from kb.importers.common import RowProblem, describe
from suggest.analysis.types import Ticket
from suggest.config import get_settings
from suggest.embed.loader import load_embedder
from suggest.errors import InputError
from suggest.pipeline import Pipeline
from training.data import cell, read_table
from training.emotion import support_only_model
from training.tenant_models import load_tenant_pipeline

BATCH = 64
console = Console()


def _ticket(row: dict[str, Any], columns: dict[str, str | None]) -> Ticket:
    fields: dict[str, Any] = {name: cell(row, column) for name, column in columns.items()}
    if fields["thread_count"] is None:
        fields.pop("thread_count")
    return Ticket.model_validate({k: v for k, v in fields.items() if v is not None or k == "text"})


Row = tuple[str, str | None, Ticket | str]
"""(location, the row's id if any, the ticket or why the row is unusable)"""


def _rows(
    source: Iterator[tuple[str, dict[str, Any]] | RowProblem], columns: dict[str, str | None]
) -> Iterator[Row]:
    for item in source:
        if isinstance(item, RowProblem):
            yield item.location, None, item.message
            continue
        location, row = item
        row_id = cell(row, columns["id"])
        if cell(row, columns["text"]) is None:
            yield location, row_id, f"column '{columns['text']}' is missing or empty"
            continue
        try:
            yield location, row_id, _ticket(row, columns)
        except ValidationError as err:
            yield location, row_id, describe(err)


def _write_batch(pipeline: Pipeline, batch: list[Row], out: Any) -> tuple[int, int, int]:
    tickets = [t for _, _, t in batch if isinstance(t, Ticket)]
    outcomes = iter(pipeline.analyze_many(tickets))
    done = escalated = errors = 0
    for location, row_id, item in batch:
        result = next(outcomes) if isinstance(item, Ticket) else InputError(item)
        if isinstance(result, InputError):
            record: dict[str, Any] = {"id": row_id, "location": location, "error": str(result)}
            errors += 1
        else:
            record = result.to_record()
            escalated += result.escalation.escalate
        done += 1
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return done, escalated, errors


def analyze(
    *,
    input_file: Annotated[Path, typer.Option("--input", help="Tickets: .jsonl or .csv.")],
    output: Annotated[Path, typer.Option("--output", help="Where to write one JSON object per ticket.")],
    model: Annotated[Path | None, typer.Option(help="Intent model folder (default: the tenant's).")] = None,
    tenant: Annotated[str, typer.Option(help="Whose intent model and escalation policy to use.")] = "demo",
    policy: Annotated[
        Path | None, typer.Option(help="Escalation policy YAML merged over the defaults.")
    ] = None,
    text_col: str = "text",
    id_col: str = "id",
    subject_col: str = "subject",
    language_col: Annotated[
        str, typer.Option(help="The customer's known language (for short texts).")
    ] = "language",
    channel_col: str = "channel",
    tier_col: Annotated[str, typer.Option(help="Customer tier (e.g. vip).")] = "customer_tier",
    thread_count_col: Annotated[
        str, typer.Option(help="Customer messages in the thread so far.")
    ] = "thread_count",
) -> None:
    """Analyse every ticket in a file: language, intent, sentiment, emotions and escalation."""
    columns: dict[str, str | None] = {
        "text": text_col,
        "id": id_col,
        "subject": subject_col,
        "language": language_col,
        "channel": channel_col,
        "customer_tier": tier_col,
        "thread_count": thread_count_col,
    }
    settings = get_settings()
    rows = _rows(read_table(input_file), columns)  # read_table checks the file before the model loads
    pipeline = load_tenant_pipeline(
        settings.data_dir,
        tenant,
        load_embedder(settings),
        model=model,
        policy=policy,
        emotion_fallback=support_only_model,
    )
    totals = [0, 0, 0]
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8") as out, embedding_bar("Analysing") as progress:
        batch: list[Row] = []
        for item in rows:
            batch.append(item)
            if len(batch) == BATCH:
                totals = [a + b for a, b in zip(totals, _write_batch(pipeline, batch, out), strict=True)]
                batch = []
                progress(totals[0], 0)
        if batch:
            totals = [a + b for a, b in zip(totals, _write_batch(pipeline, batch, out), strict=True)]
    done, escalated, errors = totals
    console.print(
        f"{done} ticket(s) written to {escape(str(output))}: {escalated} escalated, {errors} with errors"
    )
