"""``yvy evaluate``: accuracy of the workspace's alerts against reference data."""

from __future__ import annotations

import json

import click

from .alerts import alert_store, filter_options, query_from
from .options import check_date, console, json_opt

__all__ = ["command"]


@click.command(epilog="Example: yvy evaluate --reference hansen_lossyear.tif --change-values 14,15 "
                      "--stable-values 0")
@click.option("--reference", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Reference polygons with dates, labelled points, or a raster.")
@click.option("--date-field", help="Reference date attribute (polygons/points), for the detection delay.")
@click.option("--label-field", help="Label attribute (points; optional filter for polygons).")
@click.option("--change-values", help="Comma-separated labels/raster values meaning change.")
@click.option("--stable-values", help="Comma-separated labels/raster values meaning stable "
                                      "(others are left out).")
@click.option("--band", type=click.IntRange(min=1), default=1, show_default=True,
              help="Band of a reference raster.")
@click.option("--ref-start", help="Only reference polygons dated on or after this ISO date.")
@click.option("--ref-end", help="Only reference polygons dated on or before this ISO date.")
@click.option("--extent", "extent_path", type=click.Path(exists=True, dir_okay=False),
              help="Vector file of the analysed area (default: the reference's extent).")
@filter_options
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Also write the report as JSON.")
@json_opt
@click.pass_context
def command(ctx, reference, date_field, label_field, change_values, stable_values, band, ref_start, ref_end,
            extent_path, output, as_json, **kw) -> None:
    """User's and producer's accuracy, F1 (count and area) and detection delay of the alerts."""
    from ..alerts.evaluate import evaluate_alerts
    from ..io import atomic_write_bytes

    extent = _extent(extent_path) if extent_path else None
    alerts = alert_store(ctx).find_alerts(query_from(kw))
    rep = evaluate_alerts(alerts, reference, date_field=date_field, label_field=label_field,
                          change_values=change_values, stable_values=stable_values, extent=extent,
                          ref_start=check_date("--ref-start", ref_start), ref_end=check_date("--ref-end", ref_end),
                          band=band)
    if output:
        atomic_write_bytes(output, json.dumps(rep, indent=1).encode())
    if as_json:
        click.echo(json.dumps(rep, indent=1))
        return
    from ._help_i18n import cli_translator

    print_report(console(ctx), rep, cli_translator(ctx))


def print_report(con, rep: dict, tr) -> None:
    """Print an evaluation report in ``tr``'s language: UA/PA/F1 by count and area, objects hit,
    detection delay."""
    from ..i18n import N_

    _ = tr.gettext
    con.print(_("{alerts} alert(s) against {reference} ({kind}, {n} reference)").format(
        alerts=rep["alerts"], reference=rep["reference"], kind=_(rep["kind"]), n=rep["references"]))
    for key, label in (("count", N_("count")), ("area", N_("area"))):
        s = rep.get(key)
        if s:
            unit = " " + _(s["unit"]) if "unit" in s else ""
            con.print(f"  {_(label):<8} UA {_f(s['ua'], tr)}  PA {_f(s['pa'], tr)}  F1 {_f(s['f1'], tr)}  "
                      f"(TP {s['tp']}, FP {s['fp']}, FN {s['fn']}{unit})")
    if rep.get("objects"):
        o = rep["objects"]
        con.print("  " + _("objects: {hit} of {patches} reference patches hit (PA {pa})").format(
            hit=o["patches_hit"], patches=o["reference_patches"], pa=_f(o["pa"], tr)))
    d = rep.get("delay")
    if d:
        con.print("  " + _("delay: median {median} d, 90th percentile {p90} d (n={n}, {early} detected before the "
                           "reference date)").format(median=tr.number(d["median_days"], 0),
                                                     p90=tr.number(d["p90_days"], 0), n=d["n"], early=d["early"]))


def _f(v, tr) -> str:
    return "-" if v is None else tr.number(v, 3)


def _extent(path: str):
    import geopandas as gpd
    import shapely

    from ..errors import ProjectionError

    gdf = gpd.read_file(path)
    if gdf.crs is None:
        raise ProjectionError(path, "extent layer has no CRS")
    return shapely.union_all(gdf.to_crs("EPSG:4326").geometry.values)
