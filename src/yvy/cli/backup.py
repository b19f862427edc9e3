"""``yvy backup``: a verified copy of the workspace (database dump, files, SHA-256 manifest)."""

from __future__ import annotations

import json

import click

from .options import console, json_opt, store, workspace
from .progress import progress_bar

__all__ = ["command", "open_stores"]


def open_stores(url: str):
    """(catalog store, alert store) at ``url``."""
    from ..storage import open_store
    from ..storage.alerts import SQLAlertStore

    s = open_store(url)
    return s, SQLAlertStore(s)


@click.command(epilog="Example: yvy backup /srv/backups/yvy-$(date +%F)")
@click.argument("out", type=click.Path(file_okay=False))
@json_opt
@click.pass_context
def command(ctx: click.Context, out: str, as_json: bool) -> None:
    """Back up the workspace into the new folder OUT (written under a temporary name, then renamed).

    The database is copied with SQLite's online backup API or pg_dump while the server keeps
    running; every other file is copied with its SHA-256; the manifest (backup.json) records the
    audit chain's head and is signed with the agency key when the workspace has one.
    """
    from ..backup import backup_workspace
    from .alerts import alert_store
    from .keys import workspace_signer

    ws = workspace(ctx)
    signer = workspace_signer(ctx)
    quiet = ctx.find_root().obj.get("quiet") or as_json
    with progress_bar("backing up", quiet=quiet) as progress:
        rep = backup_workspace(ws.home, ws.database_url, out, store=store(ctx), alert_store=alert_store(ctx),
                               signer=signer, progress=progress)
    if as_json:
        click.echo(json.dumps(rep.__dict__))
        return
    from ._help_i18n import cli_translator

    tr = cli_translator(ctx)
    _ = tr.gettext
    console(ctx).print(_(
        "backup {path}: {engine} database, {files} files ({mb} MB), {items} items, {alerts} alerts, audit head "
        "{head} ({entries} entries)").format(path=rep.path, engine=rep.engine, files=rep.files,
                                            mb=tr.number(rep.bytes / 1e6, 1), items=rep.items, alerts=rep.alerts,
                                            head=rep.audit_head[:16], entries=rep.audit_entries)
                       + ("" if signer else _("; NOT signed (no agency key)")))
    if rep.audit_problem:
        console(ctx).print("[red]" + _("warning:") + "[/red] " + _(
            "the audit log was already TAMPERED ({problem}); keep this backup as evidence of it").format(
            problem=rep.audit_problem))
