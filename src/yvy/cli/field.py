"""``yvy field``: export what a ranger team takes offline."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .options import console, json_opt
from .progress import progress_bar

__all__ = ["command"]


@click.group(epilog="Example: yvy field export --area -61.8,16.0,-61.5,16.3 --out field/")
def command() -> None:
    """Offline field packages: alerts, patrol targets and a basemap."""


def _workspace_parts(ctx, area, image):
    """Alerts in the area and, without --image, a tile source for the newest scene (workspace only)."""
    from ..config import Workspace
    from ..errors import WorkspaceError

    try:
        Workspace.open(ctx.find_root().obj.get("home"))
    except WorkspaceError:
        return [], None
    from ..alerts.ports import AlertQuery
    from .alerts import alert_store

    alerts = alert_store(ctx).find_alerts(AlertQuery(status=("new", "under_review", "confirmed"),
                                                     intersects=area))
    if image:
        return alerts, None
    from ..catalog.ports import ItemQuery
    from ..field.export import newest_scene
    from .options import store

    item = newest_scene(store(ctx).search_items(ItemQuery(bbox=tuple(area.bounds))))
    if item is None:
        return alerts, None
    from ..api._render import render_tile

    return alerts, (lambda x, y, z: render_tile(item, "truecolor", x, y, z))


@command.command(epilog="Example: yvy field export --area park.geojson --targets patrol/targets.geojson "
                        "--image drone_ortho.tif --max-zoom 17 --out field/")
@click.option("--area", required=True, help="minx,miny,maxx,maxy (lon/lat) or a polygon file.")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Output folder.")
@click.option("--targets", "targets_path", type=click.Path(exists=True, dir_okay=False),
              help="Patrol targets (targets.geojson written by 'yvy patrol plan').")
@click.option("--image", type=click.Path(exists=True, dir_okay=False),
              help="Imagery for the basemap (default: the newest scene of the workspace over the area).")
@click.option("--min-zoom", default=10, show_default=True, help="Lowest basemap zoom.")
@click.option("--max-zoom", default=14, show_default=True, help="Highest basemap zoom.")
@json_opt
@click.pass_context
def export(ctx, area, out, targets_path, image, min_zoom, max_zoom, as_json) -> None:
    """Alerts and targets as GeoPackage + GPX, and an MBTiles basemap of recent imagery."""
    from ..errors import InputError
    from ..field.export import area_from, export_field, file_tiles

    if not 0 <= min_zoom <= max_zoom <= 22:
        raise InputError("--min-zoom/--max-zoom", "zooms must satisfy 0 <= min <= max <= 22")
    geom = area_from(area)
    alerts, tiles = _workspace_parts(ctx, geom, image)
    if image:
        tiles = file_tiles(image)
    targets = json.loads(Path(targets_path).read_text())["features"] if targets_path else []
    quiet = bool(ctx.find_root().obj.get("quiet")) or as_json
    with progress_bar("basemap", quiet=quiet) as bar:
        res = export_field(out, geom, alerts=alerts, targets=targets, tiles=tiles,
                           zooms=range(min_zoom, max_zoom + 1), progress=bar)
    if as_json:
        click.echo(json.dumps(res, indent=1))
        return
    from ._help_i18n import cli_translator

    _ = cli_translator(ctx).gettext
    console(ctx).print(_("field package in {out}: {alerts} alert(s), {targets} target(s), {tiles} basemap tile(s)")
                       .format(out=out, **res) + ("" if tiles else _(" (no imagery: no basemap)")))
