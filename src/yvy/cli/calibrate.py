"""``yvy calibrate``: Sentinel-1 GRD -> calibrated, geocoded backscatter, ingested."""

from __future__ import annotations

import json
import sys

import click

from ._help_i18n import cli_error, cli_translator
from .options import console, json_opt, store, workspace
from .progress import progress_bar


def _window(value: str | None):
    if not value:
        return None
    from rasterio.windows import Window

    try:
        row, col, height, width = (int(v) for v in value.split(","))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not ROW,COL,HEIGHT,WIDTH") from None
    if height < 1 or width < 1 or row < 0 or col < 0:
        raise click.BadParameter(f"{value!r}: offsets must be >= 0 and sizes >= 1")
    return Window(col, row, width, height)


@click.command(epilog=(
    "Example: yvy calibrate ./S1A_IW_GRDH_1SDV_20210809T173953_20210809T174018_039156_049F13_6FF8.SAFE "
    "--quantity gamma0 --resolution 20"))
@click.argument("safe", type=click.Path(exists=True, file_okay=False))
@click.option("--pol", "pols", multiple=True, help="Polarisation, e.g. VV (repeatable; default: all).")
@click.option("--quantity", type=click.Choice(["sigma0", "gamma0", "beta0"]), default="sigma0",
              show_default=True, help="Calibrated backscatter to write (linear).")
@click.option("--resolution", type=click.FloatRange(min=1, min_open=False), default=20.0,
              show_default=True, help="Output pixel size in metres.")
@click.option("--crs", help="Output CRS (default: the UTM zone of the scene).")
@click.option("--window", help="Only this subset, ROW,COL,HEIGHT,WIDTH in product pixels.")
@click.option("--no-denoise", is_flag=True, help="Keep the thermal noise.")
@click.option("--no-ingest", is_flag=True, help="Write the GeoTIFFs without registering them.")
@json_opt
@click.pass_context
def command(ctx, safe, pols, quantity, resolution, crs, window, no_denoise, no_ingest, as_json):
    """Calibrate a Sentinel-1 GRD SAFE folder and geocode it through its GCPs.

    Writes one linear float32 GeoTIFF per polarisation under the workspace's
    assets/calibrated/ and registers it (collection sentinel-1-grd-QUANTITY) with the GRD's
    orbit. Thermal noise is removed; no terrain correction is done (ellipsoid geocoding).
    """
    from pathlib import Path

    from ..catalog.formats import IngestOptions
    from ..catalog.formats.sentinel1 import read_safe
    from ..catalog.formats.sentinel1_geocode import geocode_grd
    from ..catalog.ingest import ingest_paths

    ws = workspace(ctx)
    root = Path(safe)
    prod = read_safe(str(root), tuple(str(p) for p in root.rglob("*") if p.is_file()))
    todo = [p.upper() for p in pols] or prod.meta["pols"]
    out_dir = ws.assets / "calibrated" / prod.name
    quiet = ctx.find_root().obj.get("quiet")
    outputs = []
    for pol in todo:
        what = f"{pol} {quantity}"  # values: shown as they are
        with progress_bar(what, quiet=quiet) as progress:
            outputs.append(str(geocode_grd(root, pol, out_dir, quantity=quantity,
                                           resolution=resolution, crs=crs, window=_window(window),
                                           denoise=not no_denoise, progress=progress)))
    report = None
    if not no_ingest:
        report = ingest_paths(store(ctx), outputs, IngestOptions())
    if as_json:
        click.echo(json.dumps({"outputs": outputs,
                               "ingested": report.created + report.updated if report else []}))
    else:
        out = console(ctx)
        for path in outputs:
            out.print(path)
        if report:
            out.print(report.summary(cli_translator(ctx)))
    if report and not report.ok:
        for line in report.errors:
            click.echo(f"error: {cli_error(ctx, line)}", err=True)
        sys.exit(1)
