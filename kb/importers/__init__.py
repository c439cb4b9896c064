"""Import sources, chosen by what ``path`` is. Formats are documented in docs/kb-formats.md."""

from __future__ import annotations

import json
from pathlib import Path

from kb.importers.common import Parsed, RowProblem, Source, records
from kb.importers.markdown import read_folder
from kb.importers.structured import read_csv, read_json, read_jsonl
from kb.importers.zendesk import read_articles, read_macros
from suggest.errors import InputError

FORMATS = ("markdown", "jsonl", "json", "csv", "zendesk-articles", "zendesk-macros")


def detect_format(path: Path) -> str:
    if path.is_dir():
        return "markdown"
    suffix = path.suffix.lower()
    if suffix in {".jsonl", ".ndjson"}:
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    if suffix == ".json":
        with path.open(encoding="utf-8") as f:
            head = f.read(4096)
        if '"macros"' in head:
            return "zendesk-macros"
        if '"articles"' in head and ('"html_url"' in head or '"locale"' in head):
            return "zendesk-articles"
        return "json"
    raise InputError(
        f"cannot tell the format of {path}: expected a folder of .md files, or a .jsonl, .json or .csv file"
    )


def read_source(path: Path, fmt: str | None = None, default_language: str = "en") -> Source:
    """Rows of ``path``; unreadable rows come out as RowProblem, never as an exception."""
    if not path.exists():
        raise InputError(
            f"{path} does not exist; give a folder of Markdown files or a .jsonl/.json/.csv file"
        )
    fmt = fmt or detect_format(path)
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if fmt == "markdown":
        return read_folder(path)
    if fmt == "jsonl":
        return read_jsonl(path)
    if fmt == "csv":
        return read_csv(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InputError(f"{path} is not valid JSON ({err}); fix the file or export it again") from err
    if fmt == "zendesk-articles":
        return read_articles(path, data, default_language)
    if fmt == "zendesk-macros":
        return read_macros(path, data, default_language)
    return read_json(path, data)


__all__ = ["FORMATS", "Parsed", "RowProblem", "detect_format", "read_source", "records"]
