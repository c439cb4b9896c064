"""JSON exports read one record at a time, whatever their outer shape.

Accepted: JSON Lines (one object per line, even in a file named ``.json``, as Zendesk's full export
is), a JSON array of records, or an API page object whose records are under ``tickets``,
``payload``, ``data`` or ``data.payload``. Documents are streamed with ijson, so a million-ticket
export never sits in memory. A broken line in JSON Lines is one problem and the next line is read;
a document that breaks part-way ends with a problem saying how far it got.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

import ijson

from suggest.errors import InputError
from training.history.types import ImportProblem, Progress

CONTAINERS = ("tickets", "payload", "data", "data.payload")
"""Keys (ijson prefixes) of API page objects that hold the records."""
SHAPES = (
    "JSON Lines (one object per line), a JSON array of objects, or an object with the records "
    "under 'tickets', 'payload', 'data' or 'data.payload'"
)
LINE_SUFFIXES = (".jsonl", ".ndjson")
"""Always read line by line; other names are sniffed (Zendesk's JSON Lines export ends in .json)."""
_FIRST_LINE_LIMIT = 16 * 2**20
_LOOKAHEAD_LINES = 5
_PROGRESS_EVERY = 200
_BOM = b"\xef\xbb\xbf"

Record = tuple[str, dict[str, Any]]
"""(location, object) of one record."""


@dataclass(frozen=True)
class Layout:
    form: Literal["lines", "document"]
    prefix: str = ""
    """ijson prefix of the records in a document: ``item``, ``tickets.item``, ..."""

    @property
    def container(self) -> str | None:
        """The page object's key holding the records; None for arrays and lines."""
        return self.prefix.removesuffix(".item") if self.prefix.endswith(".item") else None


def _first_error_line(err: Exception) -> str:
    """ijson's messages quote the text around the error; only the first line is kept (no ticket text).
    Its C backend gives the message as bytes, whose ``str`` would put the quoted text on that line."""
    message = err.args[0] if err.args else ""
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return str(message).strip().split("\n", 1)[0]


def _open(path: Path) -> IO[bytes]:
    f = path.open("rb")
    if f.read(3) != _BOM:
        f.seek(0)
    return f


def _later_lines_are_objects(f: IO[bytes], start: int) -> bool:
    """Whether JSON Lines follow a broken first line (so only that line is lost)."""
    f.seek(start)
    f.readline(_FIRST_LINE_LIMIT)
    for _ in range(_LOOKAHEAD_LINES):
        line = f.readline(_FIRST_LINE_LIMIT)
        if not line:
            return False
        try:
            return isinstance(json.loads(line), dict)
        except ValueError:
            continue
    return False


def _container(events: Iterator[tuple[str, str, Any]]) -> Layout | str | None:
    """The document's layout from its first value's parse events; None when that value is a record."""
    _, event, _ = next(events)
    if event == "start_array":
        return Layout("document", "item")
    if event != "start_map":
        return f"the file holds a single JSON {event}; expected {SHAPES}"
    for prefix, event, _ in events:
        if event == "start_array" and prefix in CONTAINERS:
            return Layout("document", f"{prefix}.item")
        if prefix == "" and event == "end_map":
            break
    return None


def _layout(path: Path) -> Layout | str:
    """Where the records are, or why there are none (a sentence without the file name)."""
    if path.suffix.lower() in LINE_SUFFIXES:
        return Layout("lines")
    with _open(path) as f:
        start = f.tell()
        try:
            found = _container(ijson.parse(f, multiple_values=True))
        except StopIteration:
            return f"the file is empty; expected {SHAPES}"
        except ijson.JSONError as err:
            if _later_lines_are_objects(f, start):
                return Layout("lines")
            return f"not valid JSON ({_first_error_line(err)}); expected {SHAPES}"
        if found is not None:
            return found
        f.seek(start)
        first_line = f.readline(_FIRST_LINE_LIMIT)
    try:
        is_line = isinstance(json.loads(first_line), dict)
    except ValueError:
        is_line = False
    # One object spread over several lines is a single record, read as a document.
    return Layout("lines") if is_line else Layout("document", "")


def sniff(path: Path) -> Layout:
    """Where the records are; raises InputError when the file is no JSON or holds none."""
    layout = _layout(path)
    if isinstance(layout, str):
        raise InputError(f"{path.name}: {layout}.")
    return layout


def _lines(path: Path, progress: Progress | None, total: int) -> Iterator[Record | ImportProblem]:
    with _open(path) as f:
        for n, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            location = f"{path.name}:line {n}"
            if progress and n % _PROGRESS_EVERY == 0:
                progress(f.tell(), total)
            try:
                record = json.loads(raw)
            except UnicodeDecodeError:
                yield ImportProblem(location, "the line is not UTF-8 text; save the export as UTF-8")
                continue
            except json.JSONDecodeError as err:
                what = f"{err.msg.removesuffix(' at')} at character {err.pos + 1}"
                yield ImportProblem(location, f"not valid JSON ({what}); line skipped")
                continue
            if isinstance(record, dict):
                yield location, record
            else:
                yield ImportProblem(location, f"expected a JSON object, found {type(record).__name__}")


def _document(
    path: Path, layout: Layout, kind: str, progress: Progress | None, total: int
) -> Iterator[Record | ImportProblem]:
    n = 0
    with _open(path) as f:
        try:
            for n, record in enumerate(
                ijson.items(f, layout.prefix, use_float=True, multiple_values=layout.prefix == ""), start=1
            ):
                location = f"{path.name}:{kind}[{n - 1}]"
                if progress and n % _PROGRESS_EVERY == 0:
                    progress(f.tell(), total)
                if isinstance(record, dict):
                    yield location, record
                else:
                    yield ImportProblem(location, f"expected a JSON object, found {type(record).__name__}")
        except ijson.JSONError as err:
            where = f"after {kind}[{n - 1}]" if n else f"before the first {kind}"
            yield ImportProblem(
                f"{path.name}:{kind}[{n}]",
                f"the JSON breaks {where} ({_first_error_line(err)}); the records before it were read, "
                "the rest of the file was not. Repair the file and import it again.",
            )


def records(
    path: Path, *, kind: str = "ticket", progress: Progress | None = None
) -> Iterator[Record | ImportProblem]:
    """``(location, object)`` per record, or problems. A file that is no JSON at all is one problem."""
    total = path.stat().st_size
    layout = _layout(path)
    if isinstance(layout, str):
        yield ImportProblem(path.name, layout)
        return
    if layout.form == "lines":
        yield from _lines(path, progress, total)
    else:
        yield from _document(path, layout, kind, progress, total)
    if progress:
        progress(total, total)


def first_record(path: Path) -> dict[str, Any] | None:
    """The first object record (for sniffing the source); None when there is none."""
    for item in records(path):
        if isinstance(item, tuple):
            return item[1]
    return None


def side_items(path: Path, prefix: str) -> Iterator[Any]:
    """Objects in a side-loaded array of a page object (``users.item``), streamed."""
    with _open(path) as f:
        yield from ijson.items(f, prefix, use_float=True)
