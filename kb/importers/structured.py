"""JSON, JSONL and CSV sources. Every record carries ``type`` ("article" or "canned").

- JSONL: one record per line (``replykit kb export`` writes this).
- JSON: a list of records, or ``{"articles": [...], "canned": [...]}``.
- CSV: one row per article or per canned-response language variant. List cells (tags, intents,
  needs_from_customer, variables) are separated by ``;``. auto_send is true/false/yes/no/1/0.
Empty cells mean "not given".
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from kb.importers.common import RowProblem, Source

LIST_COLUMNS = ("tags", "intents", "needs_from_customer", "variables")
TRUE = {"true", "yes", "1", "y"}
FALSE = {"false", "no", "0", "n", ""}


def read_jsonl(path: Path) -> Source:
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            location = f"{path.name}:{n}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                yield RowProblem(location, f"not valid JSON: {err.msg} at column {err.colno}")
                continue
            if isinstance(row, dict):
                yield location, row
            else:
                yield RowProblem(location, f"expected a JSON object, got {type(row).__name__}")


def read_json(path: Path, data: Any) -> Source:
    listed: list[tuple[str, Any]]
    if isinstance(data, dict):
        listed = [
            (f"{path.name}: {key}[{n}]", {**row, "type": kind} if isinstance(row, dict) else row)
            for key, kind in (("articles", "article"), ("canned", "canned"))
            for n, row in enumerate(data.get(key, []))
        ]
    elif isinstance(data, list):
        listed = [(f"{path.name}[{n}]", row) for n, row in enumerate(data)]
    else:
        yield RowProblem(path.name, "expected a list of records or {'articles': [...], 'canned': [...]}")
        return
    for location, row in listed:
        if isinstance(row, dict):
            yield location, row
        else:
            yield RowProblem(location, f"expected a JSON object, got {type(row).__name__}")


def _cell(name: str, value: str) -> Any:
    if name in LIST_COLUMNS:
        return [part.strip() for part in value.split(";") if part.strip()]
    if name == "auto_send":
        lowered = value.strip().lower()
        if lowered in TRUE | FALSE:
            return lowered in TRUE
    return value


def read_csv(path: Path, *, convert: bool = True) -> Source:
    """CSV rows as dicts; ``convert`` turns list and boolean cells of KB records into values."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames:
            yield RowProblem(path.name, "the file is empty; expected a header row of field names")
            return
        while True:
            first_line = reader.line_num + 1  # a quoted cell may span lines; report where the row starts
            try:
                row = next(reader)
            except StopIteration:
                return
            location = f"{path.name}:{first_line}"
            if None in row:
                yield RowProblem(
                    location, f"has {len(row) - 1 + len(row[None])} cells, the header has {len(row) - 1}"
                )
                continue
            yield location, {k: _cell(k, v) if convert else v for k, v in row.items() if v}
