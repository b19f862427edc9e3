"""``yvy users``: accounts, roles (viewer, analyst, admin) and API keys of ``yvy serve``."""

from __future__ import annotations

import json
import sys

import click

from .options import console, json_opt, store

__all__ = ["command"]


def _users(ctx: click.Context):
    from ..storage.users import SQLUserStore

    return SQLUserStore(store(ctx))


@click.group("users", epilog="Example: yvy users add ana --role analyst --password-stdin < pass.txt")
def command() -> None:
    """Manage users, roles and API keys of the web server."""


@command.command("add", epilog="Example: yvy users add ana --role analyst --key")
@click.argument("username")
@click.option("--role", type=click.Choice(["viewer", "analyst", "admin"]), default="viewer", show_default=True)
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
    out = user.to_dict()
    if with_key:
        meta, key = users.create_api_key(username, "cli")
        out["key"], out["key_id"] = key, meta.id
    if as_json:
        click.echo(json.dumps(out))
        return
    con = console(ctx)
    con.print(f"added {username} ({role})")
    if with_key:
        con.print(f"API key (shown once): {out['key']}")


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

    t = Table("user", "role", "active", "created")
    for r in rows:
        t.add_row(r["username"], r["role"], "yes" if r["active"] else "revoked", r["created"] or "")
    con = console(ctx)
    con.print(t)
    if with_keys:
        k = Table("key id", "user", "label", "created", "last used", "revoked")
        for r in keys:
            k.add_row(r["id"], r["username"], r["label"] or "", r["created"], r["last_used"] or "", r["revoked"] or "")
        con.print(k)


@command.command("key", epilog="Example: yvy users key ana --label qgis")
@click.argument("username")
@click.option("--label", default=None, help="What the key is for.")
@click.pass_context
def key(ctx, username: str, label: str | None) -> None:
    """Issue an API key for a user (printed once)."""
    _, secret = _users(ctx).create_api_key(username, label)
    click.echo(secret)


@command.command("role", epilog="Example: yvy users role ana admin")
@click.argument("username")
@click.argument("role", type=click.Choice(["viewer", "analyst", "admin"]))
@click.pass_context
def role(ctx, username: str, role: str) -> None:
    """Change a user's role."""
    _users(ctx).set_role(username, role)
    console(ctx).print(f"{username} is now {role}")


@command.command("revoke", epilog="Example: yvy users revoke ana   |   yvy users revoke --key k3x9...")
@click.argument("name")
@click.option("--key", "is_key", is_flag=True, help="NAME is an API key id: revoke only that key.")
@click.pass_context
def revoke(ctx, name: str, is_key: bool) -> None:
    """Revoke a user (account, keys and sessions) or one API key."""
    users = _users(ctx)
    if is_key:
        users.revoke_api_key(name)
        console(ctx).print(f"revoked key {name}")
    else:
        users.revoke_user(name)
        console(ctx).print(f"revoked user {name} and their API keys")
