"""``yvy fires``: ingest NASA FIRMS hotspot files and list the fire events they form."""

from __future__ import annotations

import json

import click

from .options import bbox_opt, check_date, console, json_opt

__all__ = ["command", "fire_store", "workspace_stores"]

CONTEXT_KINDS = ("admin", "protected_area", "indigenous_land", "border_zone")


def fire_store(ctx: click.Context, *, create: bool = False):
    """The workspace's fire store (the workspace is created when ``create`` and missing)."""
    root = ctx.find_root()
    if "fire_store" not in root.obj:
        from ..config import Workspace
        from ..storage import open_store
        from ..storage.fires import SQLFireStore

        home = root.obj.get("home")
        try:
            ws = Workspace.open(home)
        except Exception:
            if not create:
                raise
            ws = Workspace.create(home)
        root.obj["store"] = root.obj.get("store") or open_store(ws.database_url, create=create)
        root.obj["fire_store"] = SQLFireStore(root.obj["store"])
    return root.obj["fire_store"]


def workspace_stores(ctx: click.Context, *, required: bool) -> dict:
    """Catalog, alert and fire stores and context features of the workspace; {} without one
    unless ``required``."""
    from ..errors import WorkspaceError
    from .options import store

    try:
        s = store(ctx)
    except WorkspaceError:
        if required:
            raise
        return {}
    from ..storage.alerts_sqlite import SQLiteAlertStore
    from ..storage.fires import SQLFireStore

    alerts = SQLiteAlertStore(s)
    return {"catalog": s, "alerts": alerts, "fires": SQLFireStore(s),
            "context": alerts.context_features(kinds=CONTEXT_KINDS)}


@click.group(epilog="Example: yvy fires ingest fire/*.csv && yvy fires list --json")
def command() -> None:
    """Active fires: FIRMS hotspots clustered into fire events."""


@command.command(epilog="Example: yvy fires ingest MODIS_C6_1_South_America_24h.csv SUOMI_VIIRS_C2_*.csv")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--eps-km", type=click.FloatRange(min=0.1), default=2.0, show_default=True,
              help="Hotspots closer than this (km) may belong to one fire.")
@click.option("--max-gap-hours", type=click.FloatRange(min=1), default=48.0, show_default=True,
              help="...if acquired at most this many hours apart.")
@json_opt
@click.pass_context
def ingest(ctx, files, eps_km, max_gap_hours, as_json) -> None:
    """Ingest FIRMS MODIS / VIIRS files (CSV, SHP, KML, GPKG) and re-cluster the fire events.

    Duplicate hotspots across downloads are merged. Events get departments, protected areas
    and the distance to the border from the workspace's context layers; webhooks hear of new
    fires inside protected areas. Creates the workspace if there is none.
    """
    from ..disaster.fires import ClusterParams, ingest_fires
    from ..storage.alerts_sqlite import SQLiteAlertStore
    from ..storage.feeds import SQLFeedStore
    from .progress import progress_bar

    fires = fire_store(ctx, create=True)
    context = SQLiteAlertStore(fires.store).context_features(kinds=CONTEXT_KINDS)
    with progress_bar("fires", quiet=as_json or ctx.find_root().obj.get("quiet")) as bar:
        res = ingest_fires(files, fires, context=context, feeds=SQLFeedStore(fires.store),
                           params=ClusterParams(eps_km=eps_km, max_gap_hours=max_gap_hours), progress=bar)
    if as_json:
        click.echo(json.dumps(res.to_dict(), indent=1))
        return
    console(ctx).print(f"{res.rows} hotspot(s) read from {res.files} file(s), {res.inserted} new; "
                       f"{res.events} fire event(s), {len(res.new_events)} new; {res.notified} webhook "
                       "notification(s) queued")


@command.command("list", epilog="Example: yvy fires list --since 2020-10-01 --in-protected-area --json")
@click.option("--since", help="Seen on or after this ISO date.")
@click.option("--until", help="Started on or before this ISO date.")
@click.option("--in-protected-area/--outside-protected-area", "protected", default=None,
              help="Only fires touching (or not touching) a protected area.")
@bbox_opt
@click.option("--limit", type=click.IntRange(min=1), help="At most this many events.")
@json_opt
@click.pass_context
def list_(ctx, since, until, protected, bbox, limit, as_json) -> None:
    """List fire events, newest first: hotspots, start, end, FRP, department, protected areas."""
    from ..disaster.fires import FireEvent

    rows = fire_store(ctx).find_events(bbox=bbox, since=check_date("--since", since),
                                       until=check_date("--until", until), protected=protected, limit=limit)
    events = [FireEvent.from_dict(r).to_dict() for r in rows]
    if as_json:
        click.echo(json.dumps(events, ensure_ascii=False, indent=1))
        return
    from rich.table import Table

    t = Table(title=f"{len(events)} fire event(s)")
    for col in ("id", "start", "end", "hotspots", "FRP sum (MW)", "department", "protected areas", "border km"):
        t.add_column(col)
    for e in events:
        t.add_row(e["id"], e["start"], e["end"], str(e["hotspots"]), f"{e['frp_sum']:.1f}",
                  ", ".join(e["departments"]) or "-", ", ".join(e["protected_areas"]) or "-",
                  "-" if e["border_km"] is None else f"{e['border_km']:.1f}")
    console(ctx).print(t)
