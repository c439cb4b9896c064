"""``replykit models ...``: build and check the embedding model cache (``prepare``, ``verify``),
and manage each tenant's model versions (``list``, ``promote``, ``rollback``, ``deactivate``, ``prune``;
``--kind`` intent, emotion or escalation)."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from api.cli.progress import err_console, steps
from suggest.config import get_settings
from suggest.errors import ModelCacheError, ReplykitError
from suggest.models.prepare import PreparedModel, cache_root, load_prepared, prepare_model
from suggest.protocols import Embedder, TextKind
from training.registry import DEFAULT_MARGIN, Gate, ModelRegistry, PromotionResult, gate_for
from training.registry_files import KINDS
from training.registry_gate import METRIC_NAMES, METRICS

app = typer.Typer(
    help="Prepare and verify the embedding model; list, promote and roll back a tenant's models.",
    no_args_is_help=True,
)
console = Console()
Tenant = Annotated[str, typer.Option("--tenant", "-t", help="Tenant id.")]
Kind = Annotated[str, typer.Option("--kind", "-k", help=f"Which models: {', '.join(KINDS)}.")]


def _summary(prepared: PreparedModel) -> Table:
    m = prepared.manifest
    table = Table(title="Prepared model", show_header=False)
    table.add_row("model", str(m.get("model")))
    table.add_row("folder", str(prepared.folder))
    table.add_row("dimension", str(m.get("dim")))
    table.add_row("serving backend", str(m.get("serving_backend")))
    checks = m.get("checks", {})
    for lang, r in checks.get("cross_lingual", {}).items():
        table.add_row(
            f"{lang}↔en cosine", f"translation {r['translation']:.3f} vs unrelated {r['unrelated']:.3f}"
        )
    onnx = checks.get("onnx_int8", {})
    if onnx:
        verdict = "passed" if onnx.get("passed") else "failed"
        table.add_row(
            "int8 vs fp32", f"min cosine {onnx['min_cosine']:.4f} ({verdict}, needs ≥ {onnx['threshold']})"
        )
    table.add_row("files", f"{len(m.get('files', {}))} with sha256 in manifest.json")
    return table


@app.command()
def prepare(
    force: Annotated[bool, typer.Option("--force", help="Rebuild even if the cache is valid.")] = False,
) -> None:
    """Build the model folder (weights, tokenizer, ONNX int8) into the cache and check it."""
    settings = get_settings()
    with steps() as report:
        prepared = prepare_model(settings, force=force, step=report.step, warn=report.warn)
    console.print(_summary(prepared))


@app.command()
def verify() -> None:
    """Check the prepared model against its manifest's sha256 hashes. Exits 1 on a mismatch."""
    settings = get_settings()
    try:
        with steps() as report:
            report.step("Checking sha256 of every file")
            prepared = load_prepared(settings)
    except ModelCacheError as err:
        err_console.print(
            f"[red]✗[/red] {escape(str(err))}\nRun `replykit models prepare` to rebuild it.", highlight=False
        )
        raise typer.Exit(1) from None
    console.print(f"[green]✓[/green] {escape(str(cache_root(settings)))} matches its manifest.")
    console.print(_summary(prepared))


@contextmanager
def _exit_on_error() -> Iterator[None]:
    """A refused gate or a bad version id is an answer, not a crash: one line, exit code 1."""
    try:
        yield
    except ReplykitError as err:
        err_console.print(f"[red]✗[/red] {escape(str(err))}", highlight=False)
        raise typer.Exit(1) from None


def _registry(tenant: str, kind: str = "intent") -> ModelRegistry:
    return ModelRegistry(get_settings().data_dir, tenant, kind)


class _LazyEmbedder:
    """The configured embedder, loaded on first use: the first promotion of a tenant's intent
    model has nothing to compare with and should not wait for the model to load."""

    @functools.cached_property
    def _loaded(self) -> Embedder:
        from suggest.embed.loader import load_embedder

        return load_embedder(get_settings())

    @property
    def name(self) -> str:
        return self._loaded.name

    @name.setter
    def name(self, value: str) -> None:
        raise AttributeError("the embedder's name is the loaded model's")

    @property
    def dim(self) -> int:
        return self._loaded.dim

    @dim.setter
    def dim(self, value: int) -> None:
        raise AttributeError("the embedder's dimension is the loaded model's")

    def embed(self, texts: Sequence[str], kind: TextKind = "query") -> np.ndarray:
        return self._loaded.embed(texts, kind)


def _lazy_gate(kind: str) -> Gate:
    """The kind's gate (``gate_for``), loading the embedding model only if the gate runs."""
    from training.emotion import support_only_model

    return gate_for(kind, _LazyEmbedder(), support_only_model)


def _figure(value: object, spec: str) -> str:
    return format(value, spec) if isinstance(value, int | float) else "–"


@app.command("list")
def list_versions(tenant: Tenant, kind: Kind = "intent") -> None:
    """The tenant's model versions of one kind, newest first, and which one is active."""
    with _exit_on_error():
        versions = _registry(tenant, kind).versions()
    if not versions:
        console.print(f"tenant '{escape(tenant)}' has no {kind} model versions yet.")
        return
    figure = METRICS[kind]
    table = Table(
        "version",
        "created",
        "examples",
        "accuracy",
        figure.replace("_", " ").replace("f1", "F1"),
        "active",
        title=f"{tenant}: {kind}",
    )
    for info in versions:
        table.add_row(
            info.version,
            info.created_at,
            _figure(info.metrics.get("examples"), "d"),
            _figure(info.metrics.get("accuracy", info.metrics.get("sentiment_accuracy")), ".1%"),
            _figure(info.metrics.get(figure), ".4f"),
            "✓" if info.active else "",
        )
    console.print(table)


def _gate_line(result: PromotionResult, kind: str) -> str:
    if result.previous is None and result.current_f1 is None:
        return "the first active version: no gate"
    if result.candidate_f1 is None or result.current_f1 is None:
        return "gate not measured (forced)"
    verdict = "forced" if result.forced else "passed"
    return (
        f"gate {verdict}: {METRIC_NAMES[kind]} {result.candidate_f1:.4f} vs {result.current_f1:.4f} − "
        f"{result.margin:.4f} on {result.examples} held-out examples"
    )


@app.command()
def promote(
    version: Annotated[str, typer.Argument(help="The version to make active (see `models list`).")],
    tenant: Tenant,
    margin: Annotated[
        float,
        typer.Option(help="How much lower the macro-F1 may be than the active model's (0.01 = 1 point)."),
    ] = DEFAULT_MARGIN,
    force: Annotated[bool, typer.Option("--force", help="Promote even if the gate refuses.")] = False,
    kind: Kind = "intent",
) -> None:
    """Make a version active if it is not worse than the active one (for emotion: the shipped
    heads when none is) on its held-out examples. A running server switches on its next request."""
    with _exit_on_error():
        result = _registry(tenant, kind).promote_gated(
            version, _lazy_gate(kind), margin=margin, force=force, actor="cli"
        )
    was = f" (was {result.previous})" if result.previous else ""
    console.print(f"[green]✓[/green] {result.version} is active for tenant '{escape(tenant)}'{was}")
    console.print(f"  {escape(_gate_line(result, kind))}", highlight=False)


@app.command()
def rollback(tenant: Tenant, kind: Kind = "intent") -> None:
    """Make the version that was active before the current one active again (no gate)."""
    with _exit_on_error():
        result = _registry(tenant, kind).rollback(actor="cli")
    console.print(
        f"[green]✓[/green] tenant '{escape(tenant)}' rolled back to {result.version} (was {result.previous})"
    )


@app.command()
def deactivate(tenant: Tenant, kind: Kind) -> None:
    """Switch the tenant's own emotion or escalation head off: the shipped heads (emotion) or no
    learned escalation serve again; the versions stay. A running server switches on its next request."""
    with _exit_on_error():
        was = _registry(tenant, kind).deactivate(actor="cli")
    console.print(f"[green]✓[/green] tenant '{escape(tenant)}' has no active {kind} model (was {was})")


@app.command()
def prune(
    tenant: Tenant,
    kind: Kind = "intent",
    keep: Annotated[int, typer.Option(help="Newest versions to keep besides the active ones.")] = 3,
) -> None:
    """Delete old versions: all but the --keep newest, never the active one or one a rollback
    could return to. Accurate-mode versions carry their own encoder (about 135 MB each)."""
    with _exit_on_error():
        removed = _registry(tenant, kind).prune(keep, actor="cli")
    if not removed:
        console.print(f"nothing to prune: tenant '{escape(tenant)}' keeps every {kind} version")
        return
    console.print(f"[green]✓[/green] removed {len(removed)} {kind} version(s): {', '.join(removed)}")
