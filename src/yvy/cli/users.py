"""``yvy users``: accounts, roles (viewer, trainee, ranger, analyst, admin) and API keys of ``yvy serve``."""

from __future__ import annotations

import json
import sys

import click

from .options import console, json_opt, store

__all__ = ["command"]


def _users(ctx: click.Context):
    from ..storage.users import SQLUserStore

    return SQLUserStore(store(ctx))


def _event(action: str, target: str, reason: str | None = None) -> None:
    """A security event for an admin operation run from this shell (the actor is the OS user)."""
    import getpass

    from ..security.events import emit

    emit(action, user=f"cli:{getpass.getuser()}", target=target, reason=reason)


@click.group("users", epilog="Example: yvy users add ana --role analyst --password-stdin < pass.txt")
def command() -> None:
    """Manage users, roles and API keys of the web server."""


@command.command("add", epilog="Example: yvy users add ana --role analyst --key")
@click.argument("username")
@click.option("--role", type=click.Choice(["viewer", "trainee", "ranger", "analyst", "admin"]), default="viewer",
              show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--password", "ask", is_flag=True, help="Prompt for a password (hidden).")
@click.option("--key", "with_key", is_flag=True, help="Also issue an API key (printed once).")
@json_opt
@click.pass_context
def add(ctx, username: str, role: str, password_stdin: bool, ask: bool, with_key: bool, as_json: bool) -> None:
    """Add a user; give a password for the web map, or --key for scripts."""
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif ask:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    users = _users(ctx)
    user = users.add_user(username, role, password)
    _event("user-created", username, f"role {role}")
    out = user.to_dict()
    if with_key:
        meta, key = users.create_api_key(username, "cli")
        _event("api-key-created", f"{username}/{meta.id}")
        out["key"], out["key_id"] = key, meta.id
    if as_json:
        click.echo(json.dumps(out))
        return
    from ._help_i18n import cli_translator

    _ = cli_translator(ctx).gettext
    con = console(ctx)
    con.print(_("added {user} ({role})").format(user=username, role=_(role)))
    if with_key:
        con.print(_("API key (shown once): {key}").format(key=out["key"]))


@command.command("list", epilog="Example: yvy users list --keys")
@click.option("--keys", "with_keys", is_flag=True, help="Also list API keys.")
@json_opt
@click.pass_context
def list_(ctx, with_keys: bool, as_json: bool) -> None:
    """List users (and their API keys)."""
    users = _users(ctx)
    rows = [u.to_dict() for u in users.list_users()]
    keys = [k.to_dict() for k in users.list_api_keys()] if with_keys else []
    if as_json:
        click.echo(json.dumps({"users": rows, **({"keys": keys} if with_keys else {})}))
        return
    from rich.table import Table

    from ..i18n import N_
    from ._help_i18n import cli_translator

    _ = cli_translator(ctx).gettext
    t = Table(*(_(c) for c in (N_("user"), N_("role"), N_("active"), N_("created"))))
    for r in rows:
        t.add_row(r["username"], _(r["role"]), _("yes") if r["active"] else _("revoked"), r["created"] or "")
    con = console(ctx)
    con.print(t)
    if with_keys:
        k = Table(*(_(c) for c in (N_("key id"), N_("user"), N_("label"), N_("scope"), N_("created"), N_("expires"),
                                   N_("last used"), N_("revoked"))))
        for r in keys:
            k.add_row(r["id"], r["username"], r["label"] or "", r["scope"] or _("(role)"), r["created"],
                      r["expires"] or _("never"), r["last_used"] or "", r["revoked"] or "")
        con.print(k)


@command.command("key", epilog="Example: yvy users key ana --label qgis --scope read --expires-days 30")
@click.argument("username")
@click.option("--label", default=None, help="What the key is for.")
@click.option("--scope", type=click.Choice(["read", "field", "review", "admin"]), default=None,
              help="Cap the key below the user's role (default: the user's role).")
@click.option("--expires-days", type=click.FloatRange(min=0, min_open=True), default=90.0, show_default=True,
              help="Days until the key stops working.")
@click.option("--no-expiry", is_flag=True, help="A key that never expires (not recommended).")
@click.pass_context
def key(ctx, username: str, label: str | None, scope: str | None, expires_days: float, no_expiry: bool) -> None:
    """Issue an API key for a user (printed once)."""
    from datetime import timedelta

    expires = None if no_expiry else timedelta(days=expires_days)
    meta, secret = _users(ctx).create_api_key(username, label, scope=scope, expires_in=expires)
    _event("api-key-created", f"{username}/{meta.id}", f"scope {scope or 'role'}, expires {meta.expires or 'never'}")
    click.echo(secret)


@command.command("role", epilog="Example: yvy users role ana admin")
@click.argument("username")
@click.argument("role", type=click.Choice(["viewer", "trainee", "ranger", "analyst", "admin"]))
@click.pass_context
def role(ctx, username: str, role: str) -> None:
    """Change a user's role."""
    _users(ctx).set_role(username, role)
    _event("role-changed", username, f"role {role}")
    from ._help_i18n import cli_translator

    _ = cli_translator(ctx).gettext
    console(ctx).print(_("{user} is now {role}").format(user=username, role=_(role)))


@command.command("revoke", epilog="Example: yvy users revoke ana   |   yvy users revoke --key k3x9...")
@click.argument("name")
@click.option("--key", "is_key", is_flag=True, help="NAME is an API key id: revoke only that key.")
@click.pass_context
def revoke(ctx, name: str, is_key: bool) -> None:
    """Revoke a user (account, keys and sessions) or one API key."""
    from ._help_i18n import cli_translator

    _ = cli_translator(ctx).gettext
    users = _users(ctx)
    if is_key:
        users.revoke_api_key(name)
        _event("api-key-revoked", name)
        console(ctx).print(_("revoked key {key}").format(key=name))
    else:
        users.revoke_user(name)
        _event("user-revoked", name)
        console(ctx).print(_("revoked user {user} and their API keys").format(user=name))


@command.command("unlock", epilog="Example: yvy users unlock ana   |   yvy users unlock --address 203.0.113.7")
@click.argument("username", required=False)
@click.option("--address", default=None, help="Also (or only) lift the locks of this client address.")
@click.option("--list", "list_locks", is_flag=True, help="List the current locks instead.")
@json_opt
@click.pass_context
def unlock(ctx, username: str | None, address: str | None, list_locks: bool, as_json: bool) -> None:
    """Lift sign-in lockouts (after too many failed passwords) of a user and/or an address."""
    from datetime import UTC, datetime

    from ..storage.throttle import SQLThrottleStore
    from ._help_i18n import cli_translator

    _ = cli_translator(ctx).gettext
    throttle = SQLThrottleStore(store(ctx))
    if list_locks:
        rows = throttle.list_locked(datetime.now(UTC))
        if as_json:
            click.echo(json.dumps(rows))
        else:
            for r in rows:
                console(ctx).print(_("{key}  {failures} failures since {since}, locked until {until}").format(**r))
        return
    if not username and not address:
        raise click.UsageError("give a USERNAME, --address, or --list")
    n = throttle.unlock(username=username, address=address)
    _event("unlock", username or address, f"{n} counters cleared")
    console(ctx).print(_("cleared {n} sign-in counters").format(n=n))
