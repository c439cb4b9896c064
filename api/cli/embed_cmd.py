"""``replykit embed``: embed texts and compare them, a quick look at what the model sees."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from api.cli.progress import steps
from suggest.config import get_settings
from suggest.embed.loader import load_embedder
from suggest.embed.text import validate_texts
from suggest.errors import InputError
from suggest.language import detect_language

console = Console()
MAX_TABLE = 12


class Kind(StrEnum):
    query = "query"
    passage = "passage"


class Backend(StrEnum):
    """The values of suggest.config.EmbedBackend, as choices typer can check and list."""

    auto = "auto"
    onnx = "onnx"
    torch = "torch"
    fake = "fake"


def _read_file(path: Path) -> list[str]:
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise InputError(f"cannot read {path}: {err.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise InputError(
            f"{path} is not valid UTF-8 (byte {err.start}, line {line}); re-save it as UTF-8"
        ) from None
    return [line for line in text.splitlines() if line.strip()]


def _short(text: str, width: int = 48) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _table(texts: list[str], vectors: np.ndarray) -> Table:
    sims = vectors @ vectors.T
    table = Table(title="Cosine similarity")
    table.add_column("#", justify="right")
    table.add_column("lang")
    table.add_column("text")
    for j in range(len(texts)):
        table.add_column(f"#{j + 1}", justify="right")
    best = None
    if len(texts) > 1:
        off = sims - 2 * np.eye(len(texts))
        best = tuple(sorted(np.unravel_index(int(np.argmax(off)), off.shape)))
    for i, text in enumerate(texts):
        cells = []
        for j in range(len(texts)):
            value = f"{sims[i, j]:.3f}"
            cells.append(f"[bold green]{value}[/]" if best and {i, j} == set(best) else value)
        table.add_row(str(i + 1), detect_language(text).code, escape(_short(text)), *cells)
    if best:
        table.caption = f"closest pair: #{best[0] + 1} and #{best[1] + 1} ({sims[best]:.3f})"
    return table


def embed(
    texts: Annotated[list[str] | None, typer.Argument(help="Texts to embed.", show_default=False)] = None,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="Embed each non-empty line of a UTF-8 file.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print {model, dim, vectors} as JSON.")] = False,
    kind: Annotated[Kind, typer.Option(help="query (tickets) or passage (KB texts).")] = Kind.query,
    backend: Annotated[Backend | None, typer.Option(help="Embedding backend (default: settings).")] = None,
) -> None:
    """Embed texts and print their pairwise cosines (or the vectors, with --json)."""
    items = list(texts or []) + (_read_file(file) if file else [])
    if not items:
        raise InputError("nothing to embed: give texts as arguments or --file PATH")
    if len(items) > MAX_TABLE and not as_json:
        raise InputError(f"the table compares at most {MAX_TABLE} texts, got {len(items)}; use --json")
    items = validate_texts(items)  # fail on bad input before the model loads
    settings = get_settings()
    if backend is not None:
        settings = settings.model_copy(update={"embed_backend": backend.value})
    with steps() as report:
        report.step("Loading the model")
        embedder = load_embedder(settings, step=report.step, warn=report.warn)
        report.step(f"Embedding {len(items)} text(s)")
        vectors = embedder.embed(items, kind.value)
    if as_json:
        payload = {
            "model": embedder.name,
            "dim": embedder.dim,
            "vectors": np.round(vectors.astype(np.float64), 6).tolist(),
        }
        typer.echo(json.dumps(payload))
        return
    console.print(f"model: {embedder.name}, {embedder.dim} dimensions")
    console.print(_table(items, vectors))
