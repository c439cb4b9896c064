"""Tickets from a CSV or JSON Lines table whose columns the admin names (``ColumnMap``).

Two layouts: one customer message per row (``text``, with an optional agent ``reply``), or a
``thread`` column holding a JSON list of ``{"author", "text", "created_at"}`` messages. Rows are
read one at a time from the raw file, so the progress bar can follow the bytes read.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kb.importers.common import RowProblem
from suggest.errors import InputError
from training.data import cell
from training.history.draft import Draft
from training.history.jsonstream import records
from training.history.types import Author, Csat, ImportProblem, Item, Progress
from training.history.values import csat_value, describe, field_text, tags, text_or_none

_PROGRESS_EVERY = 200
AUTHORS = {a.value: a for a in Author}


class ColumnMap(BaseModel):
    """Which column holds what. Every name is a column (CSV header or JSON key)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = "id"
    text: str | None = None
    """The customer's message; the first one is the ticket text."""
    subject: str | None = None
    reply: str | None = None
    """One agent reply to the customer's message."""
    customer_name: str | None = None
    customer_email: str | None = None
    tags: str | None = None
    """Split on ``,``, ``;`` or ``|`` (a JSON list is taken as is)."""
    csat: str | None = None
    csat_scale: int = Field(default=5, ge=2, le=100)
    """Whole-number ratings run from 1 to this."""
    created_at: str | None = None
    language: str | None = None
    status: str | None = None
    thread: str | None = None
    """A JSON list of messages ``{"author": "customer|agent|system", "text", "created_at",
    "author_name"?, "public"?}``, instead of ``text``/``reply``."""
    fields: dict[str, str] = Field(default_factory=dict)
    """Our field name → column, e.g. ``{"intent": "label"}``."""

    @model_validator(mode="after")
    def _one_layout(self) -> ColumnMap:
        if (self.text is None) == (self.thread is None):
            raise ValueError(
                "name either the message column (text, --text-col) or the thread column "
                "(thread, --thread-col), not both and not neither"
            )
        if self.thread and self.reply:
            raise ValueError("reply (--reply-col) goes with text (--text-col), not with a thread column")
        return self

    def named(self) -> list[str]:
        """Every column this map reads."""
        single = (
            self.id,
            self.text,
            self.subject,
            self.reply,
            self.customer_name,
            self.customer_email,
            self.tags,
            self.csat,
            self.created_at,
            self.language,
            self.status,
            self.thread,
        )
        return list(dict.fromkeys([c for c in single if c] + list(self.fields.values())))


def _csv_rows(
    path: Path, columns: ColumnMap, progress: Progress | None, total: int
) -> Iterator[tuple[str, dict[str, Any]] | RowProblem]:
    with path.open("rb") as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        try:
            header = reader.fieldnames
        except UnicodeDecodeError:
            yield RowProblem(path.name, "the file is not UTF-8 text; save the export as UTF-8")
            return
        if not header:
            yield RowProblem(path.name, "the file is empty; expected a header row of column names")
            return
        missing = [c for c in columns.named() if c not in header]
        if missing:
            raise InputError(
                f"{path.name} has no column {', '.join(map(repr, missing))}; its columns are "
                f"{', '.join(header)}. Name the right columns (--text-col and friends)."
            )
        n = 0
        while True:
            first_line = reader.line_num + 1  # a quoted cell may span lines; report where the row starts
            try:
                row = next(reader)
            except StopIteration:
                return
            except (csv.Error, UnicodeDecodeError) as err:
                yield RowProblem(
                    f"{path.name}:line {first_line}", f"unreadable row ({err}); the rest was not read"
                )
                return
            n += 1
            if progress and n % _PROGRESS_EVERY == 0:
                progress(raw.tell(), total)
            location = f"{path.name}:line {first_line}"
            if None in row:
                yield RowProblem(
                    location,
                    f"has {len(row) - 1 + len(row[None])} cells, the header has {len(header)}; row skipped",
                )
            else:
                yield location, row


def _thread(draft: Draft, value: Any) -> None:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as err:
            draft.note(f"thread: not valid JSON ({err.msg} at character {err.pos})")
            return
    if not isinstance(value, list):
        draft.note(f"thread: expected a JSON list of messages, found {describe(value)}")
        return
    for n, message in enumerate(value):
        if not isinstance(message, dict):
            draft.note(f"thread[{n}]: expected a message object, found {describe(message)}; message skipped")
            continue
        author = AUTHORS.get(str(message.get("author", "")).strip().lower())
        if author is None:
            draft.note(
                f"thread[{n}].author: expected customer, agent or system, found "
                f"{describe(message.get('author'))}; message skipped"
            )
            continue
        draft.add(
            author,
            message.get("text"),
            created_at=draft.time(message.get("created_at"), f"thread[{n}].created_at"),
            author_name=text_or_none(message.get("author_name")),
            public=message.get("public") not in (False, "false", "no", "0", 0),
        )


def _csat(draft: Draft, columns: ColumnMap, row: dict[str, Any]) -> Csat | None:
    if columns.csat is None:
        return None
    try:
        return csat_value(row.get(columns.csat), scale_max=columns.csat_scale)
    except ValueError as err:
        draft.note(
            f"column '{columns.csat}': {err}; kept without a rating; check that --csat-col names the "
            "rating column and --csat-scale its highest whole number"
        )
        return None


def _ticket(source: str, location: str, row: dict[str, Any], columns: ColumnMap) -> Iterator[Item]:
    draft = Draft(source, location)
    if not draft.identify(row.get(columns.id), columns.id):
        yield from draft.problems_only()
        return
    created_at = (
        draft.time(
            row.get(columns.created_at),
            f"column '{columns.created_at}'",
            fix="check that --created-col names the column of the tickets' times",
        )
        if columns.created_at
        else None
    )
    if columns.thread:
        _thread(draft, row.get(columns.thread))
    elif cell(row, columns.text) is None:
        yield from draft.problems_only()
        yield ImportProblem(
            draft.location,
            f"column '{columns.text}' is missing or empty; it holds the customer's message, which is "
            "the ticket text. Row skipped",
        )
        return
    else:
        draft.add(Author.CUSTOMER, row.get(columns.text or ""), created_at=created_at)
        if columns.reply:
            draft.add(Author.AGENT, row.get(columns.reply), created_at=None)
    fields = {name: field_text(row.get(column)) for name, column in columns.fields.items()}
    yield from draft.finish(
        subject=cell(row, columns.subject),
        created_at=created_at,
        customer_names=[row.get(columns.customer_name)] if columns.customer_name else [],
        customer_emails=[row.get(columns.customer_email)] if columns.customer_email else [],
        tags=tags(row.get(columns.tags)) if columns.tags else (),
        fields={k: v for k, v in fields.items() if v},
        csat=_csat(draft, columns, row),
        language=cell(row, columns.language),
        status=cell(row, columns.status),
    )


def _read(
    source: str, rows: Iterator[tuple[str, dict[str, Any]] | RowProblem], columns: ColumnMap
) -> Iterator[Item]:
    for item in rows:
        if isinstance(item, ImportProblem):
            yield item
        else:
            yield from _ticket(source, *item, columns)


def read_csv(path: Path, *, columns: ColumnMap, progress: Progress | None = None) -> Iterator[Item]:
    """Tickets from a CSV file with a header row (UTF-8, a BOM is fine)."""
    yield from _read("csv", _csv_rows(path, columns, progress, path.stat().st_size), columns)
    if progress:
        progress(path.stat().st_size, path.stat().st_size)


def read_jsonl(path: Path, *, columns: ColumnMap, progress: Progress | None = None) -> Iterator[Item]:
    """Tickets from JSON Lines (or a JSON array) of flat objects."""
    yield from _read("jsonl", records(path, kind="row", progress=progress), columns)
