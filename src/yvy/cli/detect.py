"""``yvy detect``: BFAST Monitor change detection over an area (catalog scenes or a time stack)."""

from __future__ import annotations

import functools
import json
import os

import click

from ..i18n import N_
from ._alerting import alert_options, alerts_from_product, check_alert_options, cluster_options, print_alert_summary
from .options import bbox_opt, console, json_opt, store, workspace
from .progress import progress_bar

GDAL_CACHE_MB = "512"
"""GDAL block cache (MB) the detect/monitor commands use unless GDAL_CACHEMAX is set."""


def norm_crs(value: str | None) -> str | None:
    """``32721`` / ``EPSG:32721`` / any CRS string -> a CRS string odc-geo accepts."""
    if value is None:
        return None
    v = value.strip()
    return f"EPSG:{v}" if v.isdigit() else v


SUMMARY_LINES = {
    "detected": N_("{pixels} pixels, {breaks} breaks detected ({pct} %), {short} with too little history"),
    "so far": N_("{pixels} pixels, {breaks} breaks so far ({pct} %), {short} with too little history"),
}
"""The summary line of a detection (``detect``) and of an update (``monitor update``)."""


def print_summary(ctx, item: dict, as_json: bool, verb: str = "detected") -> None:
    """The end-of-run summary line(s), or the product item as JSON."""
    if as_json:
        click.echo(json.dumps(item, indent=2))
        return
    from ._help_i18n import cli_translator

    tr = cli_translator(ctx)
    _ = tr.gettext
    props = item["properties"]
    s = props.get("yvy:summary", {})
    out = console(ctx)
    last = props["yvy:last_processed"][:10]
    if s.get("new_dates") == 0:
        out.print(_("{id}: up to date (last processed {last})").format(id=item["id"], last=last))
        return
    pct = 100.0 * s.get("breaks", 0) / s["pixels"] if s.get("pixels") else 0.0
    extra = _(", {n} new dates").format(n=s["new_dates"]) if "new_dates" in s else ""
    line = _(SUMMARY_LINES[verb])
    out.print(line.format(pixels=tr.number(s.get("pixels", 0), 0), breaks=tr.number(s.get("breaks", 0), 0),
                          pct=tr.number(pct, 1), short=tr.number(s.get("too_little_history", 0), 0))
              + extra + _("; {seconds} s; data to {last}").format(seconds=tr.number(s.get("seconds", 0), 1),
                                                                  last=last))
    out.print(_("product {id}").format(id=item["id"]) + "  ("
              + (_("model stored") if props.get("yvy:model") else _("no model")) + ")")


OPTICAL_PDF = (0.0, 0.1, -0.5, 0.125)
"""Default --optical-pdf (= yvy.change.fusion.DEFAULT_OPTICAL_PDF; kept here so --help imports no numba)."""
SAR_PDF = (-1.0, 0.75, -4.0, 1.0)
"""Default --sar-pdf (= yvy.change.fusion.DEFAULT_SAR_PDF)."""
CHI, PNF_MIN, BWF = 0.9, 0.5, (0.1, 0.95)
"""Defaults of --chi, --pnf-min, --bwf (= yvy.change.fusion.DEFAULT_*; chosen on the tuning part of
the Bolivia Hansen pixels with a bound on false alarms by benchmarks/bench_radar_accuracy.py)."""
SPATIAL = {"bayts": (0.4, 3, 45), "sar": (0.3, 3, 45)}
"""Per method, defaults of --neighbour-chi, --min-pixels, --neighbour-days (= yvy.change.fusion.SPATIAL_DEFAULTS)."""


def fusion_options(f):
    """--sar-stack --sar-units --optical-pdf --sar-pdf --chi --pnf-min --bwf --neighbour-chi --min-pixels
    --neighbour-days --percentile --orbit-normalise --speckle-filter (bayts, sar)."""
    opts = [
        click.option("--sar-stack", type=click.Path(exists=True, dir_okay=False),
                     help="Sentinel-1 backscatter time stack (one polarisation, band descriptions = dates) on "
                          "the --stack grid (bayts, sar)."),
        click.option("--sar-units", type=click.Choice(["db", "linear"]),
                     help="Units of --sar-stack (default: its units tag, else from its values; recorded)."),
        click.option("--optical-pdf", nargs=4, type=float, default=OPTICAL_PDF, show_default=True,
                     metavar="FMEAN FSD NFMEAN NFSD",
                     help="Forest and non-forest Gaussian (mean, sd) of the normalised optical index."),
        click.option("--sar-pdf", nargs=4, type=float, default=SAR_PDF, show_default=True,
                     metavar="FMEAN FSD NFMEAN NFSD",
                     help="Forest and non-forest Gaussian (mean, sd) of the normalised backscatter (dB)."),
        click.option("--chi", type=float, default=CHI, show_default=True,
                     help="Probability of change at which a flag is confirmed (R bayts' example: 0.9)."),
        click.option("--pnf-min", type=float, default=PNF_MIN, show_default=True,
                     help="Non-forest probability at or above which a date is flagged."),
        click.option("--bwf", nargs=2, type=float, default=BWF, show_default=True, metavar="LOW HIGH",
                     help="Block weighting: every non-forest probability is clipped to [LOW, HIGH] "
                          "(R bayts' example: 0.1 0.9)."),
        click.option("--neighbour-chi", type=float,
                     help="Spatial rule: a pixel whose probability of change reached this, 4-connected through "
                          "such pixels to a confirmed pixel, is confirmed with it (default: 0.4 for bayts, 0.3 for "
                          "sar; --chi or above: off; see docs/radar.md)."),
        click.option("--min-pixels", type=click.IntRange(1, 10000),
                     help="Spatial rule: a change is confirmed once its 4-connected group has this many pixels "
                          "(default 3; 1: off)."),
        click.option("--neighbour-days", type=click.IntRange(0, 3650),
                     help="Spatial rule: neighbours are connected only when their evidence is at most this many "
                          "days apart (default 45; 0: no window)."),
        click.option("--percentile", type=float, default=0.95, show_default=True,
                     help="Spatial normalisation: each date minus this quantile of its pixels (0: off)."),
        click.option("--orbit-normalise", is_flag=True,
                     help="Radar: subtract each relative orbit's per-pixel median over the history (before "
                          "--monitor-start) from its dates (orbits: the scenes', or the stack's band tags; a "
                          "stack without them is one orbit)."),
        click.option("--speckle-filter", type=click.IntRange(0, 64), default=0, show_default=True, metavar="N",
                     help="Radar: causal multi-temporal (Quegan) speckle filter of each date with up to N "
                          "previous dates of its orbit (0: off)."),
        click.option("--sar-collection",
                     help="With an AOI (no stacks): only radar scenes of this collection (bayts, sar)."),
        click.option("--polarization", type=click.Choice(["VV", "VH", "HH", "HV"], case_sensitive=False),
                     default="VV", show_default=True, help="Radar polarisation of catalog scenes (bayts, sar)."),
    ]
    return functools.reduce(lambda acc, opt: opt(acc), reversed(opts), f)


@click.command(epilog=(
    "Example: yvy detect --bbox -55.9,-25.6,-55.7,-25.4 --index ndvi --history-start 2019-01-01 "
    "--monitor-start 2023-01-01 --out ./result\n\n"
    "Example: yvy detect --stack ndvi_stack.tif --history-start 2005-01-01 --monitor-start 2016-01-01\n\n"
    "Example: yvy detect --method bayts --stack ndvi_stack.tif --sar-stack s1_vv_stack.tif "
    "--monitor-start 2016-01-01 --out ./result\n\n"
    "Example: yvy detect --method bayts --bbox -55.9,-25.6,-55.7,-25.4 --monitor-start 2024-01-01 "
    "--out ./result   # S2/Landsat + Sentinel-1 RTC scenes of the catalog"))
@click.option("--method", type=click.Choice(["bfast", "bayts", "sar"]), default="bfast", show_default=True,
              help="bfast: BFAST Monitor on one optical index; bayts: Bayesian radar-optical fusion "
                   "(--stack + --sar-stack); sar: radar only (--sar-stack). See docs/radar.md.")
@click.option("--aoi", type=click.Path(exists=True, dir_okay=False), help="Area of interest (GeoJSON or vector file).")
@bbox_opt
@click.option("--scene", help="Use the footprint of this catalog scene (item id) as the area.")
@click.option("--index", default="ndvi", show_default=True,
              help="Index from the scenes' bands: ndvi, nbr, nbr2, ndmi, ndwi, evi.")
@click.option("--history-start", help="First date of the stable history (YYYY-MM-DD); required by bfast, "
                                     "optional for bayts/sar (first date read; default all).")
@click.option("--monitor-start", required=True, help="Start of the monitoring period (YYYY-MM-DD).")
@click.option("--end", help="Last date to use (default: all data).")
@click.option("--history", type=click.Choice(["all", "roc"]), default="all", show_default=True,
              help="Stable history: all observations before the start, or ROC-selected.")
@click.option("--k", "order", type=int, default=3, show_default=True, help="Harmonic order.")
@click.option("--h", "h", type=float, default=0.25, show_default=True, help="MOSUM bandwidth (0.25, 0.5, 1).")
@click.option("--level", type=float, default=0.05, show_default=True, help="Significance level.")
@click.option("--no-trend", is_flag=True, help="Fit no trend term.")
@click.option("--direction", type=click.Choice(["both", "negative", "positive"]), default="both",
              show_default=True,
              help="Which MOSUM boundary crossings are breaks: both (R's test), negative (drops only: suits "
                   "deforestation with NDVI/NBR, as a greening earlier in the year no longer hides a later "
                   "clearing; not R's default) or positive (rises only).")
@click.option("--stack", type=click.Path(exists=True, dir_okay=False),
              help="Time-stack GeoTIFF (band descriptions = dates) instead of catalog scenes.")
@click.option("--stack-mask", type=click.Path(exists=True, dir_okay=False),
              help="Mask stack for --stack (same grid and dates; non-zero = invalid).")
@fusion_options
@click.option("--collection", help="Only scenes of this collection.")
@click.option("--resolution", type=float, help="Pixel size in CRS units (default: native).")
@click.option("--crs", help="Output CRS, e.g. 32721 or EPSG:32721 (default: the scenes').")
@click.option("--chunk", type=int, default=512, show_default=True, help="Chunk size in pixels.")
@click.option("--out", type=click.Path(file_okay=False), help="Also write DIR/breaks.tif (6-band COG).")
@click.option("--resume", is_flag=True, help="Continue an interrupted run of the same request.")
@click.option("--no-model", is_flag=True, help="Do not store the history model (no `monitor update`).")
@click.option("--no-alerts", is_flag=True, help="Do not turn the breaks into alerts at the end.")
@alert_options
@cluster_options
@json_opt
@click.pass_context
def command(ctx, method, aoi, bbox, scene, index, history_start, monitor_start, end, history, order, h, level,
            no_trend, direction, stack, stack_mask, collection, resolution, crs, chunk, out, resume, no_model,
            no_alerts, as_json, scheduler, workers, sar_stack, sar_units, optical_pdf, sar_pdf, chi, pnf_min, bwf,
            neighbour_chi, min_pixels, neighbour_days, percentile, orbit_normalise, speckle_filter, sar_collection,
            polarization, **alert_kw):
    """Detect the first break after --monitor-start in every pixel (BFAST Monitor, or bayts / sar).

    The history model is fitted once per pixel on --history-start .. --monitor-start and stored
    (collection yvy-models) so `yvy monitor update` can add new scenes without refitting. The
    result is a detection product in collection yvy-detections: COGs of break date (decimal year
    and days since 1970-01-01), magnitude, statistic, history start, valid-history count, status,
    confirm_count and prev_obs_days. Work is done chunk by chunk; --resume continues after a kill.

    --method bayts fuses an optical stack and a Sentinel-1 stack (Reiche et al. 2018); --method
    sar uses the radar stack alone. Their products add the flag and confirmation dates, Pflag,
    Pchange and per-sensor confirmation counts (docs/radar.md).
    """
    from ..change.detect import DetectRequest, run_detection

    check_alert_options(**alert_kw)
    os.environ.setdefault("GDAL_CACHEMAX", GDAL_CACHE_MB)  # GDAL's block cache counts in the RSS too
    if method != "bfast":
        from ..change.fusion import FusionRequest, run_fusion

        freq = FusionRequest(monitor_start=monitor_start, method=method, stack=stack, sar_stack=sar_stack,
                             sar_units=sar_units, optical_pdf=tuple(optical_pdf), sar_pdf=tuple(sar_pdf), chi=chi,
                             pnf_min=pnf_min, bwf=tuple(bwf), neighbour_chi=neighbour_chi, min_pixels=min_pixels,
                             neighbour_days=neighbour_days,
                             percentile=percentile,
                             orbit_normalise=orbit_normalise, speckle_filter=speckle_filter,
                             history_start=history_start,
                             end=end, chunk=chunk, out=out, resume=resume, store_model=not no_model,
                             aoi=aoi, bbox=tuple(bbox) if bbox else None, scene=scene, index=index,
                             collection=collection, sar_collection=sar_collection, polarization=polarization,
                             crs=norm_crs(crs), resolution=resolution)
        _run(ctx, functools.partial(run_fusion, request=freq), _print_fusion, as_json, no_alerts, out, scheduler,
             workers, alert_kw)
        return
    if history_start is None:
        raise click.MissingParameter(param_hint="'--history-start'", param_type="option")
    if sar_stack is not None:
        raise click.BadParameter("only with --method bayts or sar", param_hint="--sar-stack")
    if orbit_normalise or speckle_filter:
        raise click.BadParameter("only with --method bayts or sar",
                                 param_hint="--orbit-normalise" if orbit_normalise else "--speckle-filter")
    req = DetectRequest(
        history_start=history_start, monitor_start=monitor_start, index=index, aoi=aoi, bbox=bbox,
        scene=scene, stack=stack, stack_mask=stack_mask, collection=collection, end=end,
        history=history, order=order, trend=not no_trend, h=h, level=level, direction=direction,
        crs=norm_crs(crs),
        resolution=resolution, chunk=chunk, out=out, resume=resume, store_model=not no_model,
    )
    _run(ctx, functools.partial(run_detection, request=req), print_summary, as_json, no_alerts, out, scheduler,
         workers, alert_kw)


def _print_fusion(ctx, item: dict, as_json: bool) -> None:
    """The end-of-run summary of a bayts/sar product, or the item as JSON."""
    s = item["properties"]["yvy:summary"]
    if as_json:
        click.echo(json.dumps(item, indent=2))
        return
    from ._help_i18n import cli_translator

    tr = cli_translator(ctx)
    console(ctx).print(tr.gettext("{pixels} pixels, {changes} confirmed changes, {seconds} s; data to {last}").format(
        pixels=tr.number(s["pixels"], 0), changes=tr.number(s["breaks"], 0), seconds=tr.number(s["seconds"], 1),
        last=item["properties"]["yvy:last_processed"][:10]))
    console(ctx).print(tr.gettext("product {id}").format(id=item["id"]))


def _run(ctx, run, printer, as_json, no_alerts, out, scheduler, workers, alert_kw) -> None:
    """Run a detection (``run(store, workspace, progress=, runner=)``) on the chunk runner, print
    its summary, then make its alerts."""
    from ..cluster import chunk_executor

    ws, st = workspace(ctx), store(ctx)
    quiet = as_json or ctx.find_root().obj.get("quiet")
    with chunk_executor(scheduler=scheduler, workers=workers) as runner, \
            progress_bar("detect (chunks)", quiet=quiet) as bar:
        item = run(st, ws, progress=bar, runner=runner)
    printer(ctx, item, as_json)
    if not no_alerts:
        res = alerts_from_product(ctx, item, **alert_kw)
        if not as_json:
            print_alert_summary(ctx, item["id"], res)
    if out and not as_json:
        console(ctx).print(f"wrote {out.rstrip('/')}/breaks.tif")
