"""``yvy security``: the workspace's security events (ECS JSON lines) for a CSIRT."""

from __future__ import annotations

import json

import click

from .options import console, json_opt, workspace

__all__ = ["command"]


@click.group("security", epilog="Example: yvy security events --since 2026-11-01 --action login-failed")
def command() -> None:
    """Security events: authentication failures, lockouts, admin changes, rejected requests."""


@command.command("events", epilog="Example: yvy security events --since 2026-11-30T00:00:00Z --outcome failure --json")
@click.option("--since", default=None, help="ISO date or date-time (UTC unless it says otherwise).")
@click.option("--action", default=None, help="Only this event.action (login-failed, lockout, review, ...).")
@click.option("--outcome", type=click.Choice(["success", "failure"]), default=None)
@json_opt
@click.pass_context
def events(ctx, since: str | None, action: str | None, outcome: str | None, as_json: bool) -> None:
    """Print the security events of the workspace (oldest first); --json gives ECS JSON lines."""
    from datetime import UTC, datetime

    from ..errors import InputError
    from ..security.events import read_events

    when = None
    if since:
        try:
            when = datetime.fromisoformat(since.replace("Z", "+00:00"))
        except ValueError:
            raise InputError("--since", f"{since!r} is not an ISO date or date-time") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    rows = read_events(workspace(ctx).home, since=when, action=action, outcome=outcome)
    if as_json:
        for doc in rows:
            click.echo(json.dumps(doc, separators=(",", ":")))
        return
    con = console(ctx)
    for doc in rows:
        ev = doc.get("event", {})
        who = doc.get("user", {}).get("name", "-")
        src = doc.get("source", {}).get("ip", "-")
        con.print(f"{doc.get('@timestamp')}  {ev.get('action'):<18} {ev.get('outcome'):<8} {who:<16} {src:<15} "
                  f"{ev.get('reason', '')}", markup=False, highlight=False)
