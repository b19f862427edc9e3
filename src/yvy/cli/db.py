"""``yvy db``: schema version and in-place migrations of the workspace database."""

from __future__ import annotations

import click

from .options import console, workspace


@click.group(epilog="Example: yvy db migrate")
def command() -> None:
    """Inspect and upgrade the workspace database schema."""


@command.command("migrate", epilog="Example: yvy --home ./yvy-data db migrate")
@click.pass_context
def migrate(ctx) -> None:
    """Apply pending schema migrations in place (each in its own transaction)."""
    from ..storage import open_store

    st = open_store(workspace(ctx).database_url)  # opening applies pending migrations
    console(ctx).print(f"schema version {st.schema_version()} (up to date)")


@command.command("status", epilog="Example: yvy db status")
@click.pass_context
def status(ctx) -> None:
    """Print the database URL, schema version and migrations known to this yvy."""
    from ..storage.sqlite import migrations

    ws = workspace(ctx)
    from ..storage import open_store

    st = open_store(ws.database_url)
    out = console(ctx)
    out.print(f"database: {ws.database_url}")
    out.print(f"schema version: {st.schema_version()}")
    for version, name, _ in migrations():
        out.print(f"  {version:04d} {name}")
