"""Rows of tickets from a JSONL or CSV file, with the columns named by the caller.

Helpdesk exports name their columns in many ways, so every command takes ``--text-col`` and
friends. A row that cannot be used is reported with its ``file:line`` and skipped; the rest go on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb.importers.common import RowProblem
from kb.importers.structured import read_csv, read_jsonl
from suggest.errors import InputError

OUT_OF_SCOPE_LABELS = frozenset({"", "none", "null", "oos", "out_of_scope", "out-of-scope"})
"""Labels that mark an example as matching no intent (used to tune the out-of-scope threshold)."""


def parse_label(value: object) -> str | None:
    """An intent label as stripped text; None (out of scope) when it is missing, empty or one of
    ``OUT_OF_SCOPE_LABELS`` in any case. Every reader of labels (files, stored history, mining) uses
    this, so "OOS" means the same everywhere."""
    if value is None:
        return None
    label = str(value).strip()
    return None if label.lower() in OUT_OF_SCOPE_LABELS else label


def read_table(path: Path) -> Iterator[tuple[str, dict[str, Any]] | RowProblem]:
    """``(location, row)`` pairs, or problems, from a ``.jsonl``/``.ndjson`` or ``.csv`` file."""
    if not path.is_file():
        raise InputError(f"{path} does not exist or is not a file; expected a .jsonl or .csv file.")
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return read_jsonl(path)
    if suffix == ".csv":
        return read_csv(path, convert=False)
    raise InputError(f"{path.name}: unsupported file type '{suffix}'; expected .jsonl, .ndjson or .csv.")


def cell(row: dict[str, Any], column: str | None) -> str | None:
    """A cell as stripped text; None when the column is unset, absent or empty."""
    if column is None:
        return None
    value = row.get(column)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Example:
    text: str
    label: str | None
    """None marks an out-of-scope example."""
    language: str | None = None


@dataclass
class LabelledData:
    examples: list[Example]
    problems: list[RowProblem]
    sha256: str


def read_labelled(
    path: Path, *, text_col: str, label_col: str, language_col: str | None = None
) -> LabelledData:
    """Labelled examples for training; rows without text are reported, not guessed."""
    examples: list[Example] = []
    problems: list[RowProblem] = []
    seen_columns: set[str] = set()
    for item in read_table(path):
        if isinstance(item, RowProblem):
            problems.append(item)
            continue
        location, row = item
        seen_columns.update(row)
        text = cell(row, text_col)
        if text is None:
            problems.append(RowProblem(location, f"column '{text_col}' is missing or empty"))
            continue
        examples.append(Example(text, parse_label(row.get(label_col)), cell(row, language_col)))
    if not examples and seen_columns and text_col not in seen_columns:
        raise InputError(
            f"{path.name} has no column '{text_col}'; its columns are {sorted(seen_columns)}. "
            "Name the text column with --text-col."
        )
    if examples and label_col not in seen_columns:
        raise InputError(
            f"{path.name} has no column '{label_col}'; its columns are {sorted(seen_columns)}. "
            "Name the label column with --label-col."
        )
    return LabelledData(examples, problems, file_sha256(path))
