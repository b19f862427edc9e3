"""``yvy patrol``: plan drone patrol flights over risk hot spots and alerts that need a look."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .options import console, json_opt

__all__ = ["command"]


@click.group(epilog="Example: yvy patrol plan --risk risk.tif --bases bases.geojson --drones 2 --range-km 30 "
                    "--out patrol/")
def command() -> None:
    """Drone patrols: prize-collecting routes over risk hot spots and open alerts."""


def _alerts(ctx, use: bool):
    """Alerts that need a look (new, under review), or [] without a workspace."""
    if not use:
        return []
    from ..config import Workspace
    from ..errors import WorkspaceError

    try:
        Workspace.open(ctx.find_root().obj.get("home"))
    except WorkspaceError:
        return []
    from ..alerts.ports import AlertQuery
    from .alerts import alert_store

    return alert_store(ctx).find_alerts(AlertQuery(status=("new", "under_review")))


def _nofly(files) -> list:
    """WGS84 polygons of the no-fly layers."""
    import geopandas as gpd

    from ..errors import InputError

    parts = []
    for f in files:
        df = gpd.read_file(f)
        if df.crs is None:
            raise InputError(f, "no-fly layer has no CRS")
        parts.extend(g for g in df.to_crs("EPSG:4326").geometry if g is not None and "Polygon" in g.geom_type)
    return parts


@command.command(epilog="Example: yvy patrol plan --risk risk.tif --bases bases.geojson --drones 2 --range-km 30 "
                        "--nofly airports.geojson --border country.shp --border-buffer-km 2 --out patrol/")
@click.option("--risk", "risk_path", type=click.Path(exists=True, dir_okay=False),
              help="Risk raster (probability of loss per pixel), e.g. from 'yvy risk map'.")
@click.option("--bases", required=True, type=click.Path(exists=True, dir_okay=False), help="Drone bases (points).")
@click.option("--drones", default=1, show_default=True, help="Number of drones (one flight each).")
@click.option("--range-km", default=30.0, show_default=True, help="Range per flight (km, base to base).")
@click.option("--speed", default=15.0, show_default=True, help="Cruise speed (m/s).")
@click.option("--altitude", default=120.0, show_default=True, help="Flight altitude above ground (m).")
@click.option("--hfov", default=70.0, show_default=True, help="Camera horizontal field of view (degrees).")
@click.option("--hover", default=0.0, show_default=True, help="Seconds spent over each target.")
@click.option("--targets", "n_targets", default=300, show_default=True,
              help="Most valuable reachable targets (hot spots and alerts) given to the solver.")
@click.option("--spacing-m", default=500.0, show_default=True, help="Minimum distance between hot spots (m).")
@click.option("--nofly", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="No-fly zones (polygon layer; repeatable).")
@click.option("--border", type=click.Path(exists=True, dir_okay=False),
              help="Country polygon(s): a strip along its boundary is a no-fly zone.")
@click.option("--border-buffer-km", default=2.0, show_default=True, help="Half-width of the border strip (km).")
@click.option("--no-alerts", is_flag=True, help="Ignore the workspace's alerts.")
@click.option("--seconds", default=10.0, show_default=True, help="Solver time limit (s).")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Output folder.")
@json_opt
@click.pass_context
def plan(ctx, risk_path, bases, drones, range_km, speed, altitude, hfov, hover, n_targets, spacing_m, nofly,
         border, border_buffer_km, no_alerts, seconds, out, as_json) -> None:
    """Plan flights: QGroundControl .plan, KML, GPX per flight, routes.geojson and a PDF briefing."""
    import shapely

    from ..errors import InputError
    from ..patrol.briefing import write_briefing
    from ..patrol.plan import PatrolSettings, border_nofly, plan_patrol, read_bases, write_plan
    from ..patrol.targets import Frame, alert_targets, footprint_m, risk_hotspots

    base_list = read_bases(bases)
    settings = PatrolSettings(drones=drones, range_m=range_km * 1000, speed_ms=speed, altitude_m=altitude,
                              hover_s=hover, solver_seconds=seconds, max_targets=n_targets)
    polys = _nofly(nofly)
    if border:
        frame = Frame(base_list[0].lon, base_list[0].lat)
        polys.append(border_nofly(border, border_buffer_km * 1000, frame))
    zone = shapely.union_all(polys) if polys else None
    targets = []
    if risk_path:
        targets += risk_hotspots(risk_path, cell_m=footprint_m(altitude, hfov), spacing_m=spacing_m,
                                 exclude=zone)
    alerts = _alerts(ctx, not no_alerts)
    targets += alert_targets(alerts, exclude=zone)
    if not targets:
        raise InputError("patrol", "no targets: give --risk or work in a workspace with open alerts")
    p = plan_patrol(base_list, targets, settings, nofly=zone)
    res = write_plan(p, out)
    from ._help_i18n import cli_language

    write_briefing(p, Path(out) / "briefing.pdf", risk_path=risk_path, lang=cli_language(ctx))
    res["out"] = str(Path(out).absolute())
    if as_json:
        click.echo(json.dumps(res, indent=1))
        return
    from ._help_i18n import cli_translator

    tr = cli_translator(ctx)
    ours, base = res["plan"], res["greedy_nearest"]
    console(ctx).print(tr.gettext(
        "{flights} flight(s), {targets} target(s), {km} km, {ha} expected loss covered ({per_km} ha/km; greedy "
        "nearest {base_per_km} ha/km, x{ratio}) -> {out}").format(
        flights=ours["flights"], targets=ours["targets"], km=tr.number(ours["length_m"] / 1000, 1),
        ha=tr.area_ha(ours["value"], 2), per_km=tr.number(ours["value_per_km"], 4),
        base_per_km=tr.number(base["value_per_km"], 4), ratio=res["ratio_value_per_km"], out=out))


@command.command(epilog="Example: yvy patrol coverage --targets patrol/targets.geojson --json")
@click.option("--targets", "targets_path", type=click.Path(exists=True, dir_okay=False),
              help="Patrol targets (targets.geojson of 'yvy patrol plan').")
@json_opt
@click.pass_context
def coverage(ctx, targets_path, as_json) -> None:
    """List the open alerts and patrol targets each drone orthomosaic of the catalog covers."""
    from ..alerts.ports import AlertQuery
    from ..patrol.verify import coverage as cover
    from ..patrol.verify import drone_items
    from .alerts import alert_store
    from .options import store

    targets = json.loads(Path(targets_path).read_text())["features"] if targets_path else []
    alerts = alert_store(ctx).find_alerts(AlertQuery(status=("new", "under_review")))
    rows = cover(drone_items(store(ctx)), alerts, targets)
    if as_json:
        click.echo(json.dumps(rows, indent=1))
        return
    from rich.table import Table

    from ..i18n import N_
    from ._help_i18n import cli_translator

    tr = cli_translator(ctx)
    t = Table(title=tr.ngettext("{n} drone orthomosaic", "{n} drone orthomosaics", len(rows)).format(n=len(rows)))
    for col in (N_("item"), N_("date"), N_("alerts"), N_("targets")):
        t.add_column(tr.gettext(col))
    for r in rows:
        t.add_row(r["item"], str(r["datetime"]), ", ".join(r["alerts"]) or "-",
                  ", ".join(map(str, r["targets"])) or "-")
    console(ctx).print(t)


@command.command(epilog="Example: yvy patrol verify PY-2024-000012 --item flight1_ortho --by 'Ana Benítez'")
@click.argument("alert_id")
@click.option("--item", "item_id", required=True, help="Drone item id (collection 'drone') covering the alert.")
@click.option("--by", required=True, help="Reviewer's name.")
@click.option("--note", help="Free-text note added after the drone reference.")
@json_opt
@click.pass_context
def verify(ctx, alert_id, item_id, by, note, as_json) -> None:
    """Confirm an alert as 'verified by drone' with an orthomosaic that covers it."""
    from ..patrol.verify import verify_by_drone
    from .alerts import alert_store
    from .options import store

    alert = verify_by_drone(alert_store(ctx), store(ctx), alert_id, item_id, by=by, note=note)
    if as_json:
        click.echo(json.dumps({"id": alert.id, "status": alert.status.value, "review": alert.review}, indent=1))
        return
    from ._help_i18n import cli_translator

    console(ctx).print(cli_translator(ctx).gettext("{id} confirmed: {reason} ({note})").format(
        id=alert.id, reason=alert.review["reason"], note=alert.review["note"]))
