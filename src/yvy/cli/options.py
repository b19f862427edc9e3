"""Shared click options, parsers and context helpers for the command modules."""

from __future__ import annotations

import click

from ..errors import InputError

__all__ = ["json_opt", "bbox_opt", "parse_bbox", "workspace", "store", "console"]

json_opt = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")


def parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    """:func:`yvy.bbox.parse_bbox`, its error as a usage error (exit 2)."""
    from .. import bbox

    try:
        return bbox.parse_bbox(value)
    except InputError as exc:
        raise click.BadParameter(exc.problem) from None  # i18n: relayed


bbox_opt = click.option(
    "--bbox",
    callback=lambda ctx, param, v: parse_bbox(v),
    help="Bounding box minx,miny,maxx,maxy in lon/lat (WGS84).",
)


def workspace(ctx: click.Context):
    """The open :class:`yvy.config.Workspace` for this invocation."""
    from ..config import Workspace
    from ..security.events import configure

    ws = Workspace.open(ctx.find_root().obj.get("home"))
    configure(ws.home)
    return ws


def store(ctx: click.Context):
    """The catalog store of the workspace (cached on the context)."""
    root = ctx.find_root()
    if "store" not in root.obj:
        from ..storage import open_store

        root.obj["store"] = open_store(workspace(ctx).database_url)
    return root.obj["store"]


def console(ctx: click.Context | None = None, *, stderr: bool = False):
    """A rich console (quiet-aware)."""
    from rich.console import Console

    quiet = bool(ctx and ctx.find_root().obj.get("quiet"))
    return Console(stderr=stderr, quiet=quiet and not stderr, highlight=False)


def check_date(name: str, value: str | None) -> str | None:
    """Validate an ISO date argument; one-line InputError naming the option."""
    from ..dates import parse_date

    parse_date(value, name)
    return value
