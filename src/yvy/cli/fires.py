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
    from ..storage.alerts import SQLAlertStore
    from ..storage.fires import SQLFireStore

    alerts = SQLAlertStore(s)
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
    from ..config import Workspace
    from ..disaster.fires import ClusterParams, ingest_fires
    from ..storage.alerts import SQLAlertStore
    from ..storage.feeds import SQLFeedStore
    from .progress import progress_bar

    fires = fire_store(ctx, create=True)
    context = SQLAlertStore(fires.store).context_features(kinds=CONTEXT_KINDS)
    with progress_bar("fires", quiet=as_json or ctx.find_root().obj.get("quiet")) as bar:
        res = ingest_fires(files, fires, context=context, feeds=SQLFeedStore(fires.store),
                           params=ClusterParams(eps_km=eps_km, max_gap_hours=max_gap_hours), progress=bar,
                           locale=Workspace.open(ctx.find_root().obj.get("home")).locale)
    if as_json:
        click.echo(json.dumps(res.to_dict(), indent=1))
        return
    from ._help_i18n import cli_translator

    console(ctx).print(cli_translator(ctx).gettext(
        "{rows} hotspot(s) read from {files} file(s), {inserted} new; {events} fire event(s), {new} new; "
        "{notified} webhook notification(s) queued").format(
        rows=res.rows, files=res.files, inserted=res.inserted, events=res.events, new=len(res.new_events),
        notified=res.notified))


@command.command(epilog="Example: yvy fires fetch --map-key $FIRMS_MAP_KEY --bbox -62.7,-27.6,-54.2,-19.3 --days 2")
@click.option("--map-key", envvar="FIRMS_MAP_KEY", required=True, help="FIRMS MAP_KEY (or $FIRMS_MAP_KEY).")
@click.option("--source", default="VIIRS_SNPP_NRT", show_default=True, help="FIRMS source, e.g. MODIS_NRT.")
@bbox_opt
@click.option("--days", type=click.IntRange(1, 10), default=1, show_default=True, help="Days back (1-10).")
@click.option("--api", "base_url", envvar="YVY_FIRMS_API", default=None, help="Area API base URL (default: NASA's).")
@json_opt
@click.pass_context
def fetch(ctx, map_key, source, bbox, days, base_url, as_json) -> None:
    """Download the hotspots of an area from the FIRMS area API and ingest them (needs network)."""
    from datetime import UTC, datetime

    from ..config import Workspace
    from ..disaster.firms import FIRMS_API, fetch_area

    if bbox is None:
        raise click.UsageError("--bbox is required")
    fire_store(ctx, create=True)
    ws = Workspace.open(ctx.find_root().obj.get("home"))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = fetch_area(map_key, source, bbox, days, ws.home / "firms" / f"{source}_{stamp}.csv",
                      base_url=base_url or FIRMS_API)
    ctx.invoke(ingest, files=(str(path),), eps_km=2.0, max_gap_hours=48.0, as_json=as_json)


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

    from ..i18n import N_
    from ._help_i18n import cli_translator

    tr = cli_translator(ctx)
    t = Table(title=tr.ngettext("{n} fire event", "{n} fire events", len(events)).format(n=len(events)))
    for col in ("id", N_("start"), N_("end"), N_("hotspots"), N_("FRP sum (MW)"), N_("department"),
                N_("protected areas"), N_("border km")):
        t.add_column(tr.gettext(col))
    for e in events:
        t.add_row(e["id"], e["start"], e["end"], str(e["hotspots"]), tr.number(e["frp_sum"], 1),
                  ", ".join(e["departments"]) or "-", ", ".join(e["protected_areas"]) or "-",
                  "-" if e["border_km"] is None else tr.number(e["border_km"], 1))
    console(ctx).print(t)
