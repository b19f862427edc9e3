"""``yvy serve``: the STAC API, OGC API Features, tiles, feeds and the web map over a workspace."""

from __future__ import annotations

import click

from .options import console, workspace

__all__ = ["command"]


@click.command(
    "serve",
    epilog="Example: yvy serve --host 127.0.0.1 --port 8000",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="TCP port.")
@click.option("--public-read/--private", "public_read", default=None,
              help="Allow anonymous read (default: $YVY_PUBLIC_READ or allowed).")
@click.option("--public-url", default=None, help="Base URL clients use (links in webhook payloads).")
@click.option("--notify-interval", type=click.FloatRange(0), default=None,
              help="Seconds between webhook scans (0: off; default 30).")
@click.option("--asset-root", "asset_roots", multiple=True, type=click.Path(exists=True, file_okay=False),
              help="A folder besides the workspace's assets/ whose files may be served (repeatable; "
                   "e.g. where scenes were ingested in place).")
@click.pass_context
def command(ctx: click.Context, host: str, port: int, public_read: bool | None, public_url: str | None,
            notify_interval: float | None, asset_roots: tuple[str, ...]) -> None:
    """Serve the workspace over HTTP until interrupted (Ctrl-C); the web map is at http://HOST:PORT/."""
    from ..api.app import check_listen, serve
    from ..api.settings import ServeSettings

    ws = workspace(ctx)
    check_listen(host, port)
    import os

    roots = os.pathsep.join(asset_roots) or None
    settings = ServeSettings.from_env(public_read=public_read, notify_interval=notify_interval,
                                      public_url=public_url or f"http://{host}:{port}", asset_roots=roots)
    from ._help_i18n import cli_translator

    _ = cli_translator(ctx).gettext
    console(ctx, stderr=True).print(_(
        "yvy serving {home} on http://{host}:{port}/  (STAC API /stac, features /features, API docs /api.html; "
        "anonymous read {public})").format(home=ws.home, host=host, port=port,
                                           public=_("on") if settings.public_read else _("off")))
    verbose = ctx.find_root().obj.get("verbose")
    serve(ws, host, port, settings=settings, log_level="debug" if verbose else "info")
