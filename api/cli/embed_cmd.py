"""``replykit embed``: embed texts and compare them, a quick look at what the model sees."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, get_args

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from api.cli.progress import steps
from suggest.config import EmbedBackend, get_settings
from suggest.embed.loader import load_embedder
from suggest.embed.text import validate_texts
from suggest.errors import InputError
from suggest.language import detect_language
from suggest.protocols import TextKind

console = Console()


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
        table.add_row(str(i + 1), detect_language(text).code, _short(text), *cells)
    if best:
        table.caption = f"closest pair: #{best[0] + 1} and #{best[1] + 1} ({sims[best]:.3f})"
    return table


def embed(
    texts: Annotated[list[str] | None, typer.Argument(help="Texts to embed.", show_default=False)] = None,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="Embed each non-empty line of a UTF-8 file.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print {model, dim, vectors} as JSON.")] = False,
    kind: Annotated[str, typer.Option(help="query (tickets) or passage (KB texts).")] = "query",
    backend: Annotated[
        str | None, typer.Option(help="auto, onnx, torch or fake (default: settings).")
    ] = None,
) -> None:
    """Embed texts and print their pairwise cosines (or the vectors, with --json)."""
    items = list(texts or []) + (_read_file(file) if file else [])
    if not items:
        raise InputError("nothing to embed: give texts as arguments or --file PATH")
    if kind not in ("query", "passage"):
        raise InputError(f"--kind must be query or passage, got {kind!r}")
    items = validate_texts(items)  # fail on bad input before the model loads
    settings = get_settings()
    if backend is not None:
        if backend not in get_args(EmbedBackend):
            raise InputError(f"--backend must be one of auto, onnx, torch, fake; got {backend!r}")
        settings = settings.model_copy(update={"embed_backend": backend})
    with steps() as report:
        report.step("Loading the model")
        embedder = load_embedder(settings, step=report.step, warn=report.warn)
        report.step(f"Embedding {len(items)} text(s)")
        text_kind: TextKind = "query" if kind == "query" else "passage"
        vectors = embedder.embed(items, text_kind)
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
