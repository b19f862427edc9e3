"""``yvy ingest``: register scenes from files, folders, archives or a STAC API."""

from __future__ import annotations

import sys

import click

from ..errors import InputError
from ._help_i18n import cli_error, cli_translator
from .options import bbox_opt, check_date, console, store, workspace
from .progress import progress_bar


@click.command(
    epilog=(
        "Examples:\n\n"
        "  yvy ingest ~/Downloads/S2B_MSIL2A_20240105T135109_N0510_R024_T21KUP.zip\n\n"
        "  yvy ingest ./landsat/ ./drone/flight1_ortho.tif --copy\n\n"
        "  yvy ingest ./S1A_IW_GRDH_1SDV_20210809T173953_20210809T174018_039156_049F13_6FF8.SAFE "
        "./s1_vv_stack.tif --units db\n\n"
        "  yvy ingest --stac-api https://earth-search.aws.element84.com/v1 "
        "--collection sentinel-2-l2a --bbox -60.5,-22.5,-60.0,-22.0 "
        "--datetime 2024-01-01/2024-03-31 --max-cloud 30 --limit 10"
    )
)
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--copy", is_flag=True, help="Copy assets into the workspace instead of referencing them in place.")
@click.option("--strict", is_flag=True, help="Stop at the first bad input.")
@click.option("--datetime", "dt", help="Acquisition datetime for files that carry none (ISO); "
                                       "with --stac-api: a date range A/B.")
@click.option("--collection", help="Collection id for generic GeoTIFFs; with --stac-api: the remote collection.")
@click.option("--drone", is_flag=True, help="Treat generic GeoTIFFs as drone orthomosaics.")
@click.option("--no-checksum", is_flag=True, help="Skip file SHA-256 checksums (faster on huge files).")
@click.option("--units", type=click.Choice(["db", "linear"], case_sensitive=False),
              help="Backscatter unit of radar files whose unit is not declared nor clear from "
                   "their values.")
@click.option("--stac-api", "stac_api", metavar="URL", help="Search this STAC API instead of reading files.")
@bbox_opt
@click.option("--max-cloud", type=click.FloatRange(0, 100), help="With --stac-api: maximum eo:cloud_cover.")
@click.option("--limit", type=click.IntRange(1), help="With --stac-api: maximum number of items.")
@click.option("--download", is_flag=True, help="With --stac-api: download the assets (resumable, with retries).")
@click.option("--assets", "asset_keys",
              help="With --download: comma-separated asset keys to fetch (default: all data assets).")
@click.pass_context
def command(ctx, paths, copy, strict, dt, collection, drone, no_checksum, units, stac_api, bbox,
            max_cloud, limit, download, asset_keys):
    """Register products (scenes) in the catalog as STAC Items.

    PATHS may be files, folders (searched recursively) and .zip/.tar archives. Recognised:
    Sentinel-2 L2A (SAFE or one-COG-per-band with its STAC JSON), Landsat Collection 2 L2
    (MTL txt/xml/json), CBERS-4/4A (INPE), IRS ResourceSat LISS-III/LISS-IV/AWiFS (NRSC),
    Sentinel-1 GRD SAFE, OPERA RTC-S1, ASF HyP3 RTC, Sentinel-1 Equi7 tiles and radar time
    stacks (dB or linear: see docs/sentinel1.md), drone orthomosaics, any GeoTIFF/COG (time stacks with
    dated bands too) and STAC JSON.
    Each bad input is reported on one line; the exit code is 1 if any failed.
    """
    out = console(ctx)
    ws = workspace(ctx)
    st = store(ctx)
    quiet = ctx.find_root().obj.get("quiet")
    if stac_api:
        from ..catalog.stac_api import ingest_stac_api

        if paths:
            raise click.UsageError("give either PATHS or --stac-api, not both")
        if not collection:
            raise click.UsageError("--stac-api needs --collection")
        with progress_bar("searching/registering", quiet=quiet) as progress:
            report = ingest_stac_api(
                st, stac_api, collection, bbox=bbox, datetime=dt, max_cloud=max_cloud, limit=limit,
                download_dir=ws.assets / "downloads" if download else None,
                asset_keys=asset_keys.split(",") if asset_keys else None, progress=progress,
            )
    else:
        if not paths:
            raise click.UsageError("give at least one PATH (or --stac-api URL)")
        if bbox or max_cloud is not None or limit or download:
            raise click.UsageError("--bbox/--max-cloud/--limit/--download apply to --stac-api only")
        from ..catalog.formats import IngestOptions
        from ..catalog.ingest import ingest_paths

        if dt:
            check_date("--datetime", dt)
        opts = IngestOptions(datetime=dt, collection=collection, drone=drone,
                             checksum=not no_checksum, units=units)
        with progress_bar("ingesting", quiet=quiet) as progress:
            try:
                report = ingest_paths(st, paths, opts, copy_to=ws.assets / "copies" if copy else None,
                                      strict=strict, progress=progress)
            except InputError as exc:
                raise click.ClickException(str(exc).removeprefix("None: ")) from None  # i18n: relayed
    for line in report.errors:
        click.echo(f"error: {cli_error(ctx, line)}", err=True)
    out.print(report.summary(cli_translator(ctx)))
    if not report.ok:
        sys.exit(1)
