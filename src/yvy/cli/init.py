"""``yvy init``: create a workspace."""

from __future__ import annotations

import click

from .options import console


@click.command(epilog="Example: yvy init ./yvy-data")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
@click.pass_context
def command(ctx: click.Context, directory: str | None) -> None:
    """Create a workspace in DIRECTORY (default: --home, $YVY_HOME or ./yvy-data).

    The workspace holds the catalog database (SQLite in WAL mode, or PostgreSQL/PostGIS with
    YVY_DATABASE_URL; versioned schema) and an assets/ folder.
    Running it on an existing workspace applies pending schema migrations.
    A new workspace records the language of --lang (else es_PY) in its yvy.toml.
    """
    from ..config import Workspace
    from ..storage import open_store

    root = ctx.find_root().obj
    ws = Workspace.create(directory or root.get("home"), locale=root.get("lang"))
    store = open_store(ws.database_url, create=True)
    from ._help_i18n import cli_translator

    console(ctx).print(cli_translator(ctx).gettext("workspace ready at {home} (schema revision {revision})").format(
        home=ws.home, revision=store.schema_version()))
