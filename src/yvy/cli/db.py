"""``yvy db``: schema version, in-place migrations, and copying the workspace database to
another engine (SQLite -> PostGIS) with per-table counts and checksums."""

from __future__ import annotations

import json

import click

from .options import console, json_opt, workspace


@click.group(epilog="Example: yvy db migrate")
def command() -> None:
    """Inspect, upgrade and copy the workspace database (SQLite or PostgreSQL/PostGIS)."""


@command.command("migrate", epilog="Example: yvy --home ./yvy-data db migrate")
@click.pass_context
def migrate(ctx) -> None:
    """Apply pending schema migrations in place (in one transaction).

    A workspace written by an earlier release (its own schema_migrations table) is recognised,
    stamped at the baseline revision and upgraded; nothing in it is rewritten.
    """
    from ..storage import open_store

    st = open_store(workspace(ctx).database_url)  # opening applies pending migrations
    from ._help_i18n import cli_translator

    _ = cli_translator(ctx).gettext
    out = console(ctx)
    names = dict(st.migrations())
    for rev in st.applied_at_open:
        out.print(_("created the schema") if rev == "create" else _("applied {revision} {name}").format(
            revision=rev, name=names[rev]))
    out.print(_("schema revision {revision} (up to date, {engine})").format(revision=st.schema_version(),
                                                                          engine=st.title))


@command.command("status", epilog="Example: yvy db status")
@json_opt
@click.pass_context
def status(ctx, as_json: bool) -> None:
    """Print the database URL (password hidden), engine, schema revision and migrations."""
    from ..storage import display_url, open_store

    ws = workspace(ctx)
    st = open_store(ws.database_url)
    current = st.schema_version()
    revs = [r for r, _ in st.migrations()]
    upto = revs.index(current) if current in revs else -1
    known = [{"revision": r, "name": n, "applied": i <= upto} for i, (r, n) in enumerate(st.migrations())]
    doc = {"database": display_url(ws.database_url), "engine": st.dialect,
           "schema_version": current, "migrations": known}
    out = console(ctx)
    if as_json:
        click.echo(json.dumps(doc, indent=2))
        return
    from ._help_i18n import cli_translator

    _ = cli_translator(ctx).gettext
    pending = " " + _("(pending)")
    out.print(_("database: {url} ({engine})").format(url=doc["database"], engine=st.title))
    out.print(_("schema revision: {revision}").format(revision=current))
    for m in known:
        out.print(f"  {m['revision']} {m['name']}{'' if m['applied'] else pending}")


@command.command("copy", epilog="Example: yvy db copy --to postgresql://yvy:secret@localhost/yvy")
@click.option("--to", "target_url", required=True, metavar="URL",
              help="Target database: postgresql://USER:PASSWORD@HOST/DBNAME (empty, with PostGIS) "
                   "or sqlite:///PATH.")
@json_opt
@click.pass_context
def copy(ctx, target_url: str, as_json: bool) -> None:
    """Copy every table of the workspace database to an empty database, in one transaction.

    Row counts and SHA-256 checksums of every table are compared afterwards; on any difference
    the target is rolled back and the command fails. Then point the workspace at the copy with
    YVY_DATABASE_URL.
    """
    from ..storage import display_url, open_store
    from ..storage.copy import copy_store

    src = open_store(workspace(ctx).database_url)
    dst = open_store(target_url, create=True)
    reports = copy_store(src, dst)
    if as_json:
        click.echo(json.dumps({"source": display_url(src.url), "target": display_url(dst.url),
                               "tables": [r.to_dict() for r in reports]}, indent=2))
        return
    out = console(ctx)
    from rich.table import Table

    table = Table("table", "rows", "sha256 (source)", "rows (target)", "sha256 (target)", "")
    for r in reports:
        table.add_row(r.table, str(r.rows), r.sha256[:16], str(r.target_rows), r.target_sha256[:16],
                      "ok" if r.ok else "MISMATCH")
    out.print(table)
    from ._help_i18n import cli_translator

    _ = cli_translator(ctx).gettext
    total = sum(r.rows for r in reports)
    out.print(_("copied {rows} row(s) in {tables} table(s) to {url}; counts and checksums match").format(
        rows=total, tables=len(reports), url=display_url(dst.url)))
    out.print(_("point the workspace at it: export YVY_DATABASE_URL=<the --to URL>"))
