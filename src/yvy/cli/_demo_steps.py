"""The steps of ``yvy demo`` after ingest: detection, alerts, evaluation, serving."""

from __future__ import annotations

import time
from datetime import date

from .progress import progress_bar


def run_rest(ctx, ws, store, demo, *, years, no_serve, port, t0):
    """Detect (one-sided test: drops only) -> alerts (forest pixels only) -> evaluation against the
    demo truth -> what to open (-> serve)."""
    from shapely.geometry import box

    from ..alerts.evaluate import evaluate_alerts
    from ..alerts.ports import AlertQuery
    from ..change.detect import DetectRequest, run_detection
    from ._alerting import alert_store, alerts_from_product, print_alert_summary
    from ._help_i18n import cli_translator
    from .evaluate import print_report
    from .options import console

    out = console(ctx)
    quiet = ctx.find_root().obj.get("quiet")
    first = demo.dates[0]
    first = first if isinstance(first, date) else date.fromisoformat(str(first)[:10])
    monitor_start = date(first.year + years - 1, 1, 1)
    # loss only (a greener-than-usual start of the year must not hide a later clearing); alerts then
    # keep only pixels that were forest in the history (the product's forest_history layer)
    req = DetectRequest(history_start=first.isoformat(), monitor_start=monitor_start.isoformat(),
                        index="ndvi", bbox=tuple(demo.bounds_lonlat), collection="sentinel-2-l2a",
                        direction="negative", resume=True)
    with progress_bar("detect (chunks)", quiet=quiet) as bar:
        item = run_detection(store, ws, req, progress=bar)
    tr = cli_translator(ctx)
    _ = tr.gettext
    s = item["properties"].get("yvy:summary", {})
    out.print(_("detection {id}: {pixels} pixels, {breaks} breaks since {start} ({seconds} s)").format(
        id=item["id"], pixels=tr.number(s.get("pixels", 0), 0), breaks=tr.number(s.get("breaks", 0), 0),
        start=monitor_start, seconds=tr.number(s.get("seconds", 0), 0)))
    res = alerts_from_product(ctx, item)
    print_alert_summary(ctx, item["id"], res)
    alerts = alert_store(ctx).find_alerts(AlertQuery())
    report = evaluate_alerts(alerts, demo.truth_path, date_field="date", extent=box(*demo.bounds_lonlat))
    out.print(_("evaluation against the demo's ground truth:"))
    print_report(out, report, tr)
    _radar_part(out, ws, tr)
    _disaster_part(ctx, ws, demo, tr)
    _drone_flight(ctx, ws, store, alerts, tr)
    out.print(_("demo workspace ready at {home} in {seconds} s").format(
        home=ws.home, seconds=tr.number(time.perf_counter() - t0, 0)))
    out.print("  " + _("ground truth: {path}").format(path=demo.truth_path))
    out.print("  " + _("alerts: {command}").format(command=f"yvy --home {ws.home} alerts list"))
    out.print("  " + _("an alert: {command}").format(
        command=f"yvy --home {ws.home} alerts evidence <ID> -o {ws.reports}/<ID>"))
    if no_serve:
        out.print("  " + _("web map: {command}   (then open {url})").format(
            command=f"yvy --home {ws.home} serve", url=f"http://127.0.0.1:{port}/"))
        return
    from ..api import serve

    out.print(_("serving the demo: open {url}  (Ctrl-C to stop)").format(url=f"http://127.0.0.1:{port}/"))
    serve(ws, "127.0.0.1", port, log_level="warning")


def _radar_part(out, ws, tr) -> None:
    """A clearing under wet-season clouds: radar-optical fusion (bayts) against optical only."""
    from pathlib import Path

    from ..demo._radar import compare, radar_scenario

    demo = radar_scenario(Path(ws.home) / "radar")
    _ = tr.gettext
    out.print(_("radar-optical fusion (bayts) on a clearing of {day} under wet-season clouds ({path}):").format(
        day=demo.clearing_date, path=Path(ws.home) / "radar"))
    for name, r in compare(demo).items():
        out.print(f"  {_(name):12s}: " + _(
            "alerted {days} days after the clearing ({pct} % of its pixels); {false} false-alert pixels").format(
            days=tr.number(r["median_delay_days"], 0), pct=tr.number(100 * r["detected_share"], 0),
            false=r["false_alert_pixels"]))



def _disaster_part(ctx, ws, demo, tr) -> None:
    """The pasture fire (FIRMS-like hotspots, then the burn map from the demo scenes) and a flood in
    Sentinel-1-like scenes of the site, through the same commands a user runs; each product is
    published, so it appears on the demo map."""
    from datetime import date, timedelta
    from pathlib import Path

    from ..demo._disaster import firms_hotspots, flood_scenes
    from . import burn, fires, flood
    from .options import console

    out = console(ctx)
    root = Path(ws.home) / "disaster"
    if demo.fire_path is not None:
        import json

        day = date.fromisoformat(json.loads(demo.fire_path.read_text())["features"][0]["properties"]["date"])
        csv = firms_hotspots(demo.fire_path, root / "firms_viirs_demo.csv")
        out.print(tr.gettext("a pasture fire on {day}: FIRMS-like VIIRS hotspots in {path}").format(day=day, path=csv))
        ctx.invoke(fires.ingest, files=(str(csv),))
        ctx.invoke(burn.map_, bbox=tuple(demo.bounds_lonlat), fire_start=day.isoformat(),
                   fire_end=(day + timedelta(days=1)).isoformat(), out_dir=str(root / "burn"), publish=True)
    flood_day = date(demo.dates[-1].year - 1, 3, 10)
    f = flood_scenes(demo.landcover_path, root / "s1", flood_date=flood_day)
    out.print(tr.gettext("a flood on {day} in Sentinel-1-like scenes ({before}, {after}):").format(
        day=flood_day, before=f.reference.name, after=f.flooded.name))
    ctx.invoke(flood.map_, scene=str(f.reference), out_dir=str(root / "flood-reference"))
    ctx.invoke(flood.map_, scene=str(f.flooded), reference=str(root / "flood-reference" / "water.tif"),
               out_dir=str(root / "flood"), polygons=False, publish=True)


def _drone_flight(ctx, ws, store, alerts, tr) -> None:
    """Simulate one drone flight over the largest alert: an orthomosaic rendered from the newest
    scene, ingested as a drone item (then ``yvy patrol verify`` can confirm the alert)."""
    from datetime import datetime, timedelta

    from shapely.geometry import mapping

    from ..catalog.formats import IngestOptions
    from ..catalog.ingest import ingest_paths
    from ..catalog.ports import ItemQuery
    from ..demo.drone import render_orthomosaic
    from .options import console

    if not alerts:
        return
    alert = max(alerts, key=lambda a: a.area_ha)
    scenes = [it for it in store.search_items(ItemQuery(intersects=mapping(alert.geometry)))
              if {"red", "green", "blue"} <= set(it.get("assets", {}))]
    if not scenes:
        return
    scene = max(scenes, key=lambda it: it["properties"].get("datetime") or "")
    path = render_orthomosaic(scene, alert.geometry, ws.assets / "demo" / "drone" / "flight1_orthomosaic.tif")
    when = datetime.fromisoformat(scene["properties"]["datetime"].replace("Z", "+00:00")) + timedelta(days=3)
    report = ingest_paths(store, [path], IngestOptions(drone=True, datetime=when.isoformat()))
    if report.ok:
        item = (report.created + report.updated)[0].split("/", 1)[1]
        console(ctx).print(tr.gettext("simulated drone flight over {id}: orthomosaic drone/{item}; confirm with "
                                      "{command}").format(
            id=alert.id, item=item, command=f"yvy --home {ws.home} patrol verify {alert.id} --item {item} --by <you>"))
