"""``yvy flood``: water and flood extent maps from Sentinel-1 (and, when clear, Sentinel-2)."""

from __future__ import annotations

import json

import click

from .options import console, json_opt
from .progress import progress_bar

__all__ = ["command"]


@click.group(epilog="Example: yvy flood map --scene S1_VV_VH_dB.tif --out flood-2019")
def command() -> None:
    """Map surface water and floods."""


@command.command("map", epilog="Example: yvy flood map --scene flood/Spain_7370579_S1Hand.tif "
                 "--optical flood/Spain_7370579_S2Hand.tif --out out/spain")
@click.option("--scene", required=True, type=click.Path(dir_okay=False),
              help="Sentinel-1 GeoTIFF with bands VV and VH in dB.")
@click.option("--optical", type=click.Path(dir_okay=False),
              help="Sentinel-2 stack (B2, B3, B8, B10, B11; reflectance x 10000) of the same event.")
@click.option("--hand", type=click.Path(dir_okay=False), help="Height above nearest drainage raster (m).")
@click.option("--reference", type=click.Path(dir_okay=False),
              help="Dry-season water map (a water.tif of this command); adds flood.tif.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Output folder.")
@click.option("--method", type=click.Choice(["otsu", "em"]), default="otsu", show_default=True,
              help="Threshold on the pooled bimodal tiles: Otsu or expectation-maximisation.")
@click.option("--tile", type=click.IntRange(min=16), default=100, show_default=True, help="Tile edge (pixels).")
@click.option("--max-hand", type=click.FloatRange(min=0), default=15.0, show_default=True,
              help="No water above this height above drainage (m), with --hand.")
@click.option("--polygons", is_flag=True,
              help="Also write flood (or water) polygons with hectares per department and protected area.")
@click.option("--publish", is_flag=True, help="Register the rasters in the workspace catalog (tiles, web map).")
@json_opt
@click.pass_context
def map_(ctx, scene, optical, hand, reference, out_dir, method, tile, max_hand, polygons, publish, as_json) -> None:
    """Write DIR/water.tif (1 water, 0 dry, 255 no data) on the scene's grid.

    The VH threshold comes from tiles with a bimodal backscatter histogram (HydroSAR's
    tiled test); a scene without water/land contrast is refused and nothing is written.
    """
    from ..disaster.flood import FloodParams, map_water

    params = FloodParams(tile=tile, method=method, max_hand=max_hand)
    with progress_bar("flood map", quiet=as_json or ctx.find_root().obj.get("quiet")) as bar:
        res = map_water(scene, out_dir, optical=optical, hand=hand, reference=reference, params=params,
                        progress=bar)
    summary = res.to_dict()
    if polygons:
        from ..disaster.flood import water_polygons
        from .fires import workspace_stores

        summary = water_polygons(res, workspace_stores(ctx, required=False).get("context", []))
    if publish:
        from pathlib import Path

        from ..disaster.publish import publish_rasters
        from .options import store, workspace

        rasters = {"water": res.water, **({"flood": res.flood} if res.flood else {})}
        summary["item"] = publish_rasters(store(ctx), f"flood-{Path(scene).stem}", rasters, kind="flood",
                                          assets_dir=workspace(ctx).assets)["id"]
    if as_json:
        click.echo(json.dumps(summary, indent=1))
        return
    from ._help_i18n import cli_translator

    tr = cli_translator(ctx)
    _ = tr.gettext
    t = res.thresholds["vh_db"]
    msg = _("{path}: {ha} water (VH < {db} dB from {selected} of {total} bimodal tiles").format(
        path=res.water, ha=tr.area_ha(res.hectares["water"], 1), db=tr.number(t["value"], 2),
        selected=t["tiles_selected"], total=t["tiles_total"])
    if res.optical_clear_fraction is not None:
        msg += _("; optical clear on {pct} %").format(pct=tr.number(100 * res.optical_clear_fraction, 0))
    msg += ")"
    if res.flood:
        msg += _("; {path}: {ha} flooded").format(path=res.flood, ha=tr.area_ha(res.hectares["flood"], 1))
    if polygons:
        msg += _("; polygons: {path}").format(path=summary["polygons"])
        msg += "".join(f"; {k} {tr.area_ha(v.get('flood', v.get('water', 0)), 1)}"
                       for k, v in summary["by_department"].items())
    console(ctx).print(msg)
