"""``yvy keys``: the agency's Ed25519 signing key (init, rotate, export, list).

The passphrase protecting the private key comes from ``$YVY_KEY_PASSPHRASE`` (never a flag, so
it stays out of shell history and process lists); ``rotate`` reads the new key's passphrase
from ``$YVY_NEW_KEY_PASSPHRASE`` when set.
"""

from __future__ import annotations

import json
import os

import click

from .options import console, json_opt, workspace

__all__ = ["command", "passphrase", "workspace_signer"]

PASS_ENV = "YVY_KEY_PASSPHRASE"
NEW_PASS_ENV = "YVY_NEW_KEY_PASSPHRASE"


def passphrase() -> str | None:
    """The private key's passphrase from the environment (None when unset or empty)."""
    return os.environ.get(PASS_ENV) or None


def workspace_signer(ctx: click.Context):
    """A ``signer(path)`` with the workspace's current key, or None when it has no keys."""
    from ..security.keys import KEYRING_FILE, load_signing_key
    from ..security.signing import sign_file

    home = workspace(ctx).home
    if not (home / "keys" / KEYRING_FILE).exists():
        return None
    key = load_signing_key(home, passphrase())
    return lambda path: sign_file(path, key)


def _key_row(k) -> dict:
    return {"kid": k.kid, "not_before": k.not_before, "not_after": k.not_after,
            "current": k.not_after is None}


@click.group(epilog="Example: yvy keys init && yvy keys export -o agency-keys.json")
def command() -> None:
    """Create, rotate and publish the agency's Ed25519 key that signs evidence and checkpoints."""


@command.command(epilog="Example: YVY_KEY_PASSPHRASE='...' yvy keys init")
@json_opt
@click.pass_context
def init(ctx: click.Context, as_json: bool) -> None:
    """Create the key pair (private key 0600 in keys/, encrypted when $YVY_KEY_PASSPHRASE is set)."""
    from ..security.keys import init_keys

    home = workspace(ctx).home
    key = init_keys(home, passphrase())
    if as_json:
        click.echo(json.dumps(_key_row(key)))
        return
    from ._help_i18n import cli_translator

    _ = cli_translator(ctx).gettext
    enc = _("encrypted with $YVY_KEY_PASSPHRASE") if passphrase() else _("NOT encrypted (set $YVY_KEY_PASSPHRASE)")
    console(ctx).print(_("key {kid} created: private key {path} (0600, {encryption}); publish the public key with "
                         "`yvy keys export`").format(kid=key.kid, path=home / "keys" / "signing.key", encryption=enc))


@command.command(epilog="Example: yvy keys rotate")
@json_opt
@click.pass_context
def rotate(ctx: click.Context, as_json: bool) -> None:
    """Retire the current key (its public key stays in the ring with its validity period) and make a new one."""
    from ..security.keys import rotate_keys

    new_pass = os.environ.get(NEW_PASS_ENV) or passphrase()
    old, new = rotate_keys(workspace(ctx).home, new_pass, old_passphrase=passphrase())
    if as_json:
        click.echo(json.dumps({"retired": _key_row(old), "current": _key_row(new)}))
        return
    from ._help_i18n import cli_translator

    console(ctx).print(cli_translator(ctx).gettext("key {old} retired (valid {start} to {end}); new key {new}").format(
        old=old.kid, start=old.not_before, end=new.not_before, new=new.kid))


@command.command(epilog="Example: yvy keys export --format pem -o agency.pem")
@click.option("--format", "fmt", type=click.Choice(["jwks", "pem"]), default="jwks", show_default=True,
              help="JWK Set with every key and its validity, or the PEM of one key.")
@click.option("--kid", help="Key id for --format pem (default: the current key).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here instead of stdout.")
@click.pass_context
def export(ctx: click.Context, fmt: str, kid: str | None, output: str | None) -> None:
    """Print the public keys (what /.well-known/yvy-keys.json serves), for courts and partners."""
    from ..io import atomic_write_bytes
    from ..security.keys import export_public_pem, load_keyring

    ring = load_keyring(workspace(ctx).home)
    data = (export_public_pem(ring, kid) if fmt == "pem"
            else (json.dumps(ring.to_jwks(), indent=1) + "\n").encode())
    if output:
        atomic_write_bytes(output, data)
        from ._help_i18n import cli_translator

        console(ctx, stderr=True).print(cli_translator(ctx).gettext("public key(s) written to {path}").format(
            path=output))
    else:
        click.echo(data.decode(), nl=False)


@command.command("list", epilog="Example: yvy keys list --json")
@json_opt
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """List the keys of the ring with their validity periods."""
    from ..security.keys import load_keyring

    rows = [_key_row(k) for k in load_keyring(workspace(ctx).home).keys]
    if as_json:
        click.echo(json.dumps(rows, indent=1))
        return
    from ._help_i18n import cli_translator

    _ = cli_translator(ctx).gettext
    now, current = _("now"), _("(current)")
    for r in rows:
        console(ctx).print(f"{r['kid']}  {r['not_before']} .. {r['not_after'] or now}"
                           + (f"  {current}" if r["current"] else ""))
