"""``yvy evidence verify``: check a signed evidence package offline with the agency's public key."""

from __future__ import annotations

import json

import click

from .options import console, json_opt

__all__ = ["command"]


@click.group(epilog="Example: yvy evidence verify reports/PY-2024-000123 --key agency-keys.json")
def command() -> None:
    """Check evidence packages (signed SHA-256 manifests)."""


@command.command(epilog="Example: yvy evidence verify reports/PY-2024-000123 --key agency-keys.json")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--key", "key_file", type=click.Path(dir_okay=False),
              help="The agency's public keys: a JWK Set (`yvy keys export`, /.well-known/yvy-keys.json) or "
                   "a PEM public key. Default: the workspace's key ring.")
@json_opt
@click.pass_context
def verify(ctx: click.Context, folder: str, key_file: str | None, as_json: bool) -> None:
    """Re-hash every file, check the manifest's signature; exit 1 naming the first file that differs."""
    from ..security.keys import KeyRing, load_keyring
    from ..security.signing import verify_evidence

    if key_file:
        ring = KeyRing.read(key_file)
    else:
        from ..config import resolve_home
        from ..errors import InputError, NotFoundError

        home = resolve_home(ctx.find_root().obj.get("home"))
        try:
            ring = load_keyring(home)
        except NotFoundError:
            raise InputError("--key", f"no key ring in {home}; give the agency's public keys "
                                      "(`yvy keys export`, or /.well-known/yvy-keys.json of its server)") from None
    rep = verify_evidence(folder, ring)
    if as_json:
        click.echo(json.dumps({"ok": True, **rep.__dict__}))
        return
    from ._help_i18n import cli_translator

    console(ctx).print(cli_translator(ctx).gettext(
        "evidence OK: {files} files of {alert} match the manifest signed {when} by key {kid}").format(
        files=rep.files, alert=rep.alert_id, when=rep.signed_at, kid=rep.kid))
