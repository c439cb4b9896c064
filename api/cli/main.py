"""Entry point of the ``replykit`` console script."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from api.cli import drafts_cmd, eval_cmd, history_cmd, jobs_cmd, kb_cmd, models_cmd
from api.cli.admin_cmd import demo, keys
from api.cli.analyze_cmd import analyze
from api.cli.embed_cmd import embed
from api.cli.progress import err_console
from api.cli.train_cmd import train, train_emotion
from suggest.config import get_settings
from suggest.errors import ReplykitError
from suggest.language import detect_language

app = typer.Typer(
    name="replykit",
    help="Self-hosted reply suggestions for customer-support teams.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold ticket text
)
app.add_typer(models_cmd.app, name="models")
app.add_typer(kb_cmd.app, name="kb")
app.add_typer(history_cmd.app, name="history")
app.add_typer(drafts_cmd.app, name="drafts")
app.add_typer(jobs_cmd.app, name="jobs")
app.add_typer(eval_cmd.app, name="eval")
app.add_typer(keys, name="keys")
app.command()(demo)
app.command()(embed)
app.command()(analyze)
app.command()(train)
app.command("train-emotion")(train_emotion)
app.command("mine")(drafts_cmd.mine)
app.command()(jobs_cmd.worker)
console = Console()


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (default: REPLYKIT_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: REPLYKIT_PORT).", min=1, max=65535)] = None,
) -> None:
    """Serve the HTTP API. The model loads in the background; /readyz says when it is ready."""
    import uvicorn

    from api.app import create_app
    from api.logging_setup import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        log_level=settings.log_level,
        log_config=None,  # keep our JSON logging; uvicorn's records go through it
        access_log=False,  # api/middleware.py logs each request with its request id instead
    )


@app.command()
def language(
    text: Annotated[str, typer.Argument(help="The text to identify.")],
    fallback: Annotated[
        str | None, typer.Option(help="Language to assume when the text is too short.")
    ] = None,
) -> None:
    """Detect the language of a text, the way the pipeline does."""
    guess = detect_language(text, fallback)
    console.print(f"{guess.code}  (p={guess.probability:.2f}, {guess.source})")


@app.command("config")
def show_config() -> None:
    """Show the effective settings and where each can be changed."""
    settings = get_settings()
    table = Table(title="replykit settings")
    table.add_column("environment variable")
    table.add_column("value")
    for name in type(settings).model_fields:
        table.add_row(f"REPLYKIT_{name.upper()}", str(getattr(settings, name)))
    console.print(table)


def main() -> None:
    """Run the CLI; replykit's own errors print as one clear message, not a traceback."""
    try:
        app()
    except ReplykitError as err:
        err_console.print(f"[red]error:[/red] {escape(str(err))}", highlight=False)
        raise SystemExit(2) from None
