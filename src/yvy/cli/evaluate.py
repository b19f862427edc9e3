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
    print_report(console(ctx), rep)


def print_report(con, rep: dict) -> None:
    """Print an evaluation report: UA/PA/F1 by count and area, objects hit, detection delay."""
    con.print(f"{rep['alerts']} alert(s) against {rep['reference']} ({rep['kind']}, {rep['references']} reference)")
    for key in ("count", "area"):
        s = rep.get(key)
        if s:
            con.print(f"  {key:<6} UA {_f(s['ua'])}  PA {_f(s['pa'])}  F1 {_f(s['f1'])}  "
                      f"(TP {s['tp']}, FP {s['fp']}, FN {s['fn']}{' ' + s['unit'] if 'unit' in s else ''})")
    if rep.get("objects"):
        o = rep["objects"]
        con.print(f"  objects: {o['patches_hit']} of {o['reference_patches']} reference patches hit (PA {_f(o['pa'])})")
    d = rep.get("delay")
    if d:
        con.print(f"  delay: median {d['median_days']:.0f} d, 90th percentile {d['p90_days']:.0f} d "
                  f"(n={d['n']}, {d['early']} detected before the reference date)")


def _f(v) -> str:
    return "-" if v is None else f"{v:.3f}"


def _extent(path: str):
    import geopandas as gpd
    import shapely

    from ..errors import ProjectionError

    gdf = gpd.read_file(path)
    if gdf.crs is None:
        raise ProjectionError(path, "extent layer has no CRS")
    return shapely.union_all(gdf.to_crs("EPSG:4326").geometry.values)
