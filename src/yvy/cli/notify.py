"""``yvy notify``: the webhook notification service as its own worker process."""

from __future__ import annotations

import json
import signal

import click

from .options import console, json_opt, store

__all__ = ["command"]


@click.group("notify", epilog="Example: yvy notify run --interval 30")
def command() -> None:
    """Send webhook notifications of new high-confidence alerts (one sender per database)."""


@command.command("run", epilog="Example: yvy notify run --public-url https://alerts.example.org")
@click.option("--interval", type=click.FloatRange(0.1), default=30.0, show_default=True,
              help="Seconds between rounds (scan alert changes, send what is due).")
@click.option("--once", is_flag=True, help="Run one round and exit.")
@click.option("--public-url", default="", help="Base URL of the server (links in payloads).")
@click.option("--timeout", type=click.FloatRange(0.1), default=10.0, show_default=True,
              help="Seconds to wait for a subscriber's answer.")
@click.option("--max-attempts", type=click.IntRange(1), default=6, show_default=True,
              help="Attempts before a delivery is marked failed.")
@click.option("--backoff", type=click.FloatRange(0), default=30.0, show_default=True,
              help="Seconds before the first retry, doubled after each failed attempt.")
@click.option("--allow-private", is_flag=True, envvar="YVY_WEBHOOK_ALLOW_PRIVATE",
              help="Let webhooks call loopback, private and link-local addresses (default: public hosts only).")
@json_opt
@click.pass_context
def run(ctx, interval: float, once: bool, public_url: str, timeout: float, max_attempts: int,
        backoff: float, allow_private: bool, as_json: bool) -> None:
    """Run the notifier until interrupted; it sends only while it holds the database's
    notification lease, so several workers (and servers) never send twice."""
    from ..alerts.notify import Notifier, NotifySettings
    from ..storage.alerts import SQLAlertStore
    from ..storage.feeds import SQLFeedStore

    st = store(ctx)
    from ..config import Workspace

    settings = NotifySettings(interval=interval, timeout=timeout, max_attempts=max_attempts,
                              backoff=backoff, public_url=public_url, allow_private=allow_private,
                              locale=Workspace.open(ctx.find_root().obj.get("home")).locale)
    n = Notifier(SQLAlertStore(st), SQLFeedStore(st), st, settings)
    from ._help_i18n import cli_translator

    _ = cli_translator(ctx).gettext
    out = console(ctx, stderr=not as_json)
    if once:
        result = n.run_once()
        st.release_lease("notify", n.holder)
        doc = {"holder": n.holder, "lease": result is not None, **(result or {})}
        if as_json:
            click.echo(json.dumps(doc))
        elif result is None:
            out.print(_("another process holds the notification lease; nothing sent"))
        else:
            out.print(_("queued {queued}, delivered {delivered}, retry {retry}, failed {failed}").format(**result))
        return
    signal.signal(signal.SIGTERM, lambda *_: n.stop())
    out.print(_("notifier {holder}: a round every {seconds} s (Ctrl-C to stop)").format(holder=n.holder,
                                                                                      seconds=f"{interval:g}"))
    try:
        n.run()
    except KeyboardInterrupt:
        pass
