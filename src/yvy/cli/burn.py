"""``yvy burn``: burn scars and severity (dNBR / RdNBR, Key & Benson classes)."""

from __future__ import annotations

import json

import click

from .options import bbox_opt, check_date, console, json_opt

__all__ = ["command"]


@click.group(epilog="Example: yvy burn map --bbox -60.6,-20.4,-60.2,-20.0 --fire-start 2020-09-01 "
                    "--fire-end 2020-10-10 --out burn-2020")
def command() -> None:
    """Map burn scars and their severity."""


@command.command("map", epilog="Example: yvy burn map --before S2_20200820.tif --after S2_20201015.tif --out burn")
@click.option("--before", type=click.Path(dir_okay=False), help="Pre-fire Sentinel-2 stack (B8, B12).")
@click.option("--after", type=click.Path(dir_okay=False), help="Post-fire Sentinel-2 stack on the same grid.")
@bbox_opt
@click.option("--fire-start", help="With --bbox: first day of the fire (ISO); scenes before it are 'before'.")
@click.option("--fire-end", help="With --bbox: last day of the fire (ISO); scenes after it are 'after'.")
@click.option("--pre-days", type=click.IntRange(1), default=60, show_default=True, help="Days searched before.")
@click.option("--post-days", type=click.IntRange(1), default=45, show_default=True, help="Days searched after.")
@click.option("--resolution", type=float, help="Output resolution (default: the sensor's).")
@click.option("--min-ha", type=click.FloatRange(min=0), default=0.5, show_default=True,
              help="Smallest burn scar kept (hectares).")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Output folder.")
@click.option("--publish", is_flag=True, help="Register the rasters in the workspace catalog (tiles, web map).")
@json_opt
@click.pass_context
def map_(ctx, before, after, bbox, fire_start, fire_end, pre_days, post_days, resolution, min_ha, out_dir,
         publish, as_json) -> None:
    """Write severity.tif, dnbr.tif (dNBR, RdNBR), burn_scars.geojson and burn.json.

    From two files, or from the catalog's clearest views before and after the fire over
    --bbox. In a workspace, scars are linked to fire events and to the deforestation alerts
    they overlap (which get a "fire" context).
    """
    from ..disaster.burn import map_burn, nbr_from_file, nbr_pair_from_catalog
    from ..errors import InputError
    from .fires import workspace_stores

    stores = workspace_stores(ctx, required=bbox is not None or publish)
    window = (None, None)
    if before and after:
        pre, grid = nbr_from_file(before)
        post, grid2 = nbr_from_file(after)
        if (grid.crs, grid.transform, grid.shape) != (grid2.crs, grid2.transform, grid2.shape):
            raise InputError(after, "not on the grid of --before; resample it first")
    elif bbox and fire_start and fire_end:
        pre, post, grid, window = nbr_pair_from_catalog(
            stores["catalog"], bbox, check_date("--fire-start", fire_start), check_date("--fire-end", fire_end),
            pre_days=pre_days, post_days=post_days, resolution=resolution)
    else:
        raise click.UsageError("give --before and --after, or --bbox with --fire-start and --fire-end")
    res = map_burn(pre, post, grid, out_dir, context=stores.get("context", ()), fires=stores.get("fires"),
                   alerts=stores.get("alerts"), window=window, min_ha=min_ha)
    if publish:
        from pathlib import Path

        from ..disaster.publish import publish_rasters
        from .options import workspace

        publish_rasters(stores["catalog"], f"burn-{Path(out_dir).name}", {"severity": res.severity, "dnbr": res.dnbr},
                        kind="burn", when=window[1], assets_dir=workspace(ctx).assets)
    if as_json:
        click.echo(json.dumps(res.to_dict(), indent=1, default=str))
        return
    from ..disaster.report import WORDS
    from ._help_i18n import cli_translator

    tr = cli_translator(ctx)
    total = sum(v for k, v in res.hectares.items() if k != "regrowth")
    console(ctx).print(tr.gettext(
        "{path}: {n} burn scar(s), {ha} burned ({classes}); {alerts} alert(s) given fire context").format(
        path=res.polygons, n=len(res.scars), ha=tr.area_ha(total, 1), alerts=len(res.alerts_linked),
        classes=", ".join(f"{tr.gettext(WORDS.get(k, k))} {tr.number(v, 1)}" for k, v in res.hectares.items())))

