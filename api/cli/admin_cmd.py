"""``replykit keys`` (API keys) and ``replykit demo`` (load the demo tenant)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from api.cli.bars import embedding_bar
from api.cli.kb_cmd import open_library, print_report
from api.cli.train_cmd import show_intent_report
from kb.db.schema import ApiKey
from kb.demo import DEMO_TENANT, demo_keys, load_demo
from kb.store import Store
from kb.store.tenants import SCOPES, create_key, ensure_tenant, revoke_key
from suggest.config import get_settings
from training.demo import ensure_demo_intent

keys = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
console = Console()


@keys.command("create")
def create(
    tenant: Annotated[str, typer.Option("--tenant", "-t")],
    scope: Annotated[list[str], typer.Option("--scope", help=f"Repeatable: {', '.join(SCOPES)}.")],
    name: Annotated[str, typer.Option(help="What the key is for.")] = "api key",
) -> None:
    """Create a key and print it once; only its hash is stored."""
    store = Store.from_settings(get_settings())
    with store.session() as session:
        ensure_tenant(session, tenant)
        key = create_key(session, tenant, name, scope)
    typer.echo(key)


@keys.command("list")
def list_(tenant: Annotated[str, typer.Option("--tenant", "-t")]) -> None:
    store = Store.from_settings(get_settings())
    table = Table("id", "name", "scopes", "created", "revoked")
    with store.session() as session:
        for row in session.scalars(select(ApiKey).where(ApiKey.tenant_id == tenant).order_by(ApiKey.id)):
            table.add_row(
                str(row.id), row.name, ",".join(row.scopes), str(row.created_at), str(row.revoked_at or "")
            )
    console.print(table)


@keys.command("revoke")
def revoke(tenant: Annotated[str, typer.Option("--tenant", "-t")], key_id: int) -> None:
    store = Store.from_settings(get_settings())
    with store.session() as session:
        revoke_key(session, tenant, key_id)
    console.print(f"key {key_id} revoked")


def demo() -> None:
    """Load the demo tenant (Helioport Energy) and print its API keys. Safe to run again."""
    settings = get_settings()
    with open_library() as library:
        for report in load_demo(library):
            print_report(report)
        found = demo_keys(library, settings.data_dir)
        with embedding_bar("Training the demo intent model") as progress:
            trained = ensure_demo_intent(settings.data_dir, library.embedder, progress=progress)
    if trained is not None:
        show_intent_report(trained)
    console.print(
        f"demo tenant '{DEMO_TENANT}' is ready. API keys (also in {settings.data_dir / 'demo-keys.json'}):"
    )
    for scope, key in found.items():
        console.print(f"  {scope}: {key}")
