"""``yvy restore``: restore a backup into a new workspace, checking every hash and the audit chain."""

from __future__ import annotations

import json

import click

from .options import console, json_opt
from .progress import progress_bar

__all__ = ["command"]


@click.command(epilog="Example: yvy restore /srv/backups/yvy-2026-01-05 --home /srv/yvy-restored")
@click.argument("backup", type=click.Path(exists=True, file_okay=False))
@click.option("--home", "new_home", required=True, type=click.Path(file_okay=False),
              help="The new workspace folder (must not exist, or be empty).")
@click.option("--database-url", metavar="URL", default=None,
              help="Empty PostgreSQL/PostGIS database for a PostgreSQL backup "
                   "(default: $YVY_DATABASE_URL, else NEW/yvy.db).")
@click.option("--key", "key_file", type=click.Path(dir_okay=False),
              help="Trusted public keys (JWK Set or PEM) to check the backup's signature with "
                   "(default: the key ring inside the backup).")
@json_opt
@click.pass_context
def command(ctx, backup: str, new_home: str, database_url: str | None, key_file: str | None, as_json: bool) -> None:
    """Restore BACKUP into a new workspace: hashes are checked before and after, the audit chain
    re-verified and the catalog and alerts compared with the backup's fingerprints."""
    from pathlib import Path

    from ..backup import restore_workspace
    from ..config import Workspace, resolve_home
    from ..security.keys import KEYRING_FILE, KeyRing
    from .backup import open_stores

    home = resolve_home(new_home)
    url = database_url or Workspace(home).database_url
    # a trusted --key makes the signature mandatory; the ring inside the backup only guards
    # against corruption, so it is used when the backup is signed
    bundled = Path(backup) / "files" / "keys" / KEYRING_FILE
    ring = KeyRing.read(key_file) if key_file else (KeyRing.read(bundled) if bundled.exists() else None)
    signed = ring is not None and (key_file is not None or (Path(backup) / "backup.json.sig").exists())
    quiet = ctx.find_root().obj.get("quiet") or as_json
    with progress_bar("restoring", quiet=quiet) as progress:
        rep = restore_workspace(Path(backup), home, url, open_stores=open_stores, ring=ring if signed else None,
                                progress=progress)
    if as_json:
        click.echo(json.dumps({**rep.__dict__, "signature_checked": signed}))
        return
    from ._help_i18n import cli_translator

    _ = cli_translator(ctx).gettext
    out = console(ctx)
    out.print(_("restored {files} files, {items} items, {alerts} alerts into {path}; every SHA-256 matches, audit "
                "chain OK ({entries} entries, head {head})").format(
        files=rep.files, items=rep.items, alerts=rep.alerts, path=rep.path, entries=rep.audit_entries,
        head=rep.audit_head[:16]) + (_(", backup signature OK") if signed else ""))
    if rep.engine == "postgresql":
        out.print(_("point the workspace at its database: export YVY_DATABASE_URL=<the restored database URL>"))
