"""Streaming ``yvy detect --method bayts`` over a tile: wall time and peak RSS of the whole run.

A synthetic year over an ``S`` x ``S`` tile on disk, written block by block (never whole in
memory): a Sentinel-2 NDVI stack (73 dates, every 5 days, 60 % of observations cloudy = NaN) and a
Sentinel-1 VV dB stack (60 passes, every 6 days), float32 tiled GeoTIFFs; 30 % of pixels are
cleared at a random date of the year. Then the real command runs in a child process::

    yvy detect --method bayts --stack ndvi.tif --sar-stack vv.tif --monitor-start 2016-01-01 --out DIR --no-alerts

(plan with the per-date spatial normalisation over the whole tile, 512-px chunks read, normalised
and run through the fused kernel, COGs of every output and the per-pixel model state published).
Peak RSS is the child's ``ru_maxrss``; observations are pixels x (60 + 73) dates. One run per
size (``--runs``: more, median reported). A full Sentinel-2 tile (10,980 px square) would need
64 GB of input stacks, more than the benchmark machine's disk; with ``--mosaic-from T`` sizes above
``T`` read VRTs that repeat ``T`` x ``T`` stacks (:func:`mosaic_stacks`), so every window of a full
tile is still read from disk through GDAL. Without a full-tile row the peak RSS is extrapolated
linearly in the pixel count through the two largest sizes run, and the results say so. Usage::

    NUMBA_NUM_THREADS=2 .venv/bin/python benchmarks/bench_bayts_tile.py [--sizes 1024 2048 --runs 1]
    NUMBA_NUM_THREADS=2 .venv/bin/python benchmarks/bench_bayts_tile.py --sizes 4096 10980 --mosaic-from 2048 --keep

Writes ``benchmarks/results/bench_bayts_tile.{json,md}``. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine

OUT = Path(__file__).parent / "results"
FULL_TILE = 10980
BLOCK = 512


def _dates(step: int, n: int) -> list[str]:
    return [(date(2016, 1, 1) + timedelta(days=step * i)).isoformat() for i in range(n)]


def write_stacks(root: Path, size: int, seed: int = 0) -> tuple[Path, Path]:
    """The two stacks of a ``size`` x ``size`` tile, written in row blocks of BLOCK."""
    s1, s2 = _dates(6, 60), _dates(5, 73)
    ts = np.array([(date.fromisoformat(d) - date(2016, 1, 1)).days for d in s1])
    to = np.array([(date.fromisoformat(d) - date(2016, 1, 1)).days for d in s2])
    prof = dict(driver="GTiff", width=size, height=size, dtype="float32", crs="EPSG:32721", nodata=np.nan,
                transform=Affine(10, 0, 500000, 0, -10, 7300000), tiled=True, blockxsize=BLOCK, blockysize=BLOCK)
    paths = root / "ndvi.tif", root / "s1_vv.tif"
    rng = np.random.default_rng(seed)
    with rasterio.open(paths[0], "w", count=len(s2), **prof) as opt, \
            rasterio.open(paths[1], "w", count=len(s1), **prof) as sar:
        for i, d in enumerate(s2, 1):
            opt.set_band_description(i, d)
        for i, d in enumerate(s1, 1):
            sar.set_band_description(i, d)
        for r0 in range(0, size, BLOCK):
            h = min(BLOCK, size - r0)
            clear = np.where(rng.random((h, size)) < 0.3, rng.integers(0, 366, (h, size)), 10_000)
            v = rng.normal(0.85, 0.05, (len(s2), h, size)).astype(np.float32)
            v -= np.where(to[:, None, None] >= clear[None], np.float32(0.5), np.float32(0.0))
            v[rng.random(v.shape) < 0.6] = np.nan
            win = rasterio.windows.Window(0, r0, size, h)
            opt.write(v, window=win)
            v = rng.normal(-7.0, 1.0, (len(s1), h, size)).astype(np.float32)
            v -= np.where(ts[:, None, None] >= clear[None], np.float32(4.0), np.float32(0.0))
            sar.write(v, window=win)
    return paths


def mosaic_stacks(root: Path, size: int, tiles: tuple[Path, Path]) -> tuple[Path, Path]:
    """VRTs of ``size`` x ``size`` pixels that repeat the stacks ``tiles`` (each ``t`` x ``t``) side by
    side, cropped: every window of a tile-sized grid is still read from disk through GDAL, for a
    tenth of the disk a full stack would need (values repeat every ``t`` pixels)."""
    from xml.sax.saxutils import escape

    out = []
    for src in tiles:
        with rasterio.open(src) as ds:
            t, count, descs, tr = ds.width, ds.count, ds.descriptions, ds.transform
        bands = []
        for b in range(1, count + 1):
            sources = []
            for r0 in range(0, size, t):
                for c0 in range(0, size, t):
                    h, w = min(t, size - r0), min(t, size - c0)
                    sources.append(
                        f'<SimpleSource><SourceFilename relativeToVRT="0">{escape(str(src))}</SourceFilename>'
                        f"<SourceBand>{b}</SourceBand>"
                        f'<SrcRect xOff="0" yOff="0" xSize="{w}" ySize="{h}"/>'
                        f'<DstRect xOff="{c0}" yOff="{r0}" xSize="{w}" ySize="{h}"/></SimpleSource>')
            bands.append(f'<VRTRasterBand dataType="Float32" band="{b}"><Description>{descs[b - 1]}</Description>'
                         f"<NoDataValue>nan</NoDataValue>{''.join(sources)}</VRTRasterBand>")
        gt = ", ".join(repr(v) for v in (tr.c, tr.a, tr.b, tr.f, tr.d, tr.e))
        with rasterio.open(src) as ds:
            wkt = escape(ds.crs.to_wkt())
        path = root / f"{src.stem}_{size}.vrt"
        path.write_text(f'<VRTDataset rasterXSize="{size}" rasterYSize="{size}"><SRS>{wkt}</SRS>'
                        f"<GeoTransform>{gt}</GeoTransform>{''.join(bands)}</VRTDataset>")
        out.append(path)
    return tuple(out)


CHILD = """
import atexit, sys
def _hwm():
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM'):
            sys.stderr.write('VMHWM_KB ' + line.split()[1] + chr(10))
atexit.register(_hwm)
from yvy.cli.main import cli
cli()
"""
"""The child: the yvy CLI, printing its own peak RSS (``VmHWM`` of its address space, which unlike
``ru_maxrss`` does not count the parent's pages it was forked with) when it exits."""


def run_once(root: Path, paths: tuple[Path, Path], extra: tuple[str, ...] = ()) -> dict:
    """The detect command (with ``extra`` arguments) in a child process: wall seconds and the
    child's peak RSS (bytes)."""
    from yvy.config import Workspace
    from yvy.storage import open_store

    home = root / f"ws{time.time_ns()}"
    ws = Workspace.create(home)
    open_store(ws.database_url, create=True)
    cmd = [sys.executable, "-c", CHILD, "--home", str(home), "--quiet", "detect", "--method", "bayts",
           "--stack", str(paths[0]), "--sar-stack", str(paths[1]), "--monitor-start", "2016-01-01",
           "--out", str(root / "out"), "--no-alerts", *extra]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    hwm = [int(x.split()[1]) for x in proc.stderr.splitlines() if x.startswith("VMHWM_KB ")]
    if proc.returncode or not hwm or not (root / "out" / "breaks.tif").exists():
        raise SystemExit(f"detect failed: {proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    shutil.rmtree(home, ignore_errors=True)
    shutil.rmtree(root / "out", ignore_errors=True)
    return {"seconds": wall, "peak_rss_bytes": hwm[-1] * 1024}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1024, 2048, 3072])
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--tmp", default=None, help="Folder for the stacks (default: a temporary one).")
    ap.add_argument("--mosaic-from", type=int, default=None, metavar="T",
                    help="For sizes above T: write T x T stacks once and read each size through VRTs that "
                         "repeat them (see mosaic_stacks); the disk a full tile's stacks need is not there.")
    ap.add_argument("--keep", action="store_true", help="Keep the earlier rows of the results file (add sizes).")
    ap.add_argument("--report", action="store_true", help="Only rewrite the results from the results file's rows.")
    ap.add_argument("--spatial-rule", nargs=3, type=int, default=None, metavar=("NCHI_PCT", "MIN_PIXELS", "DAYS"),
                    help="Run with the spatial rule on (--neighbour-chi NCHI_PCT/100 --min-pixels --neighbour-days) "
                         "and write bench_bayts_tile_spatial_rule.{json,md}.")
    args = ap.parse_args()
    extra, stem = (), "bench_bayts_tile"
    if args.spatial_rule:
        nchi, mp, days = args.spatial_rule
        extra = ("--neighbour-chi", str(nchi / 100), "--min-pixels", str(mp), "--neighbour-days", str(days))
        stem = "bench_bayts_tile_spatial_rule"
    if args.report:
        report(json.loads((OUT / f"{stem}.json").read_text())["rows"], args.runs, stem, extra)
        return
    rows = []
    if args.keep and (OUT / f"{stem}.json").exists():
        rows = [r for r in json.loads((OUT / f"{stem}.json").read_text())["rows"]
                if r["size"] not in set(args.sizes)]
    for size in sorted(args.sizes):
        with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
            root = Path(tmp)
            t0 = time.perf_counter()
            mosaic = args.mosaic_from is not None and size > args.mosaic_from
            paths = write_stacks(root, args.mosaic_from if mosaic else size)
            if mosaic:
                paths = mosaic_stacks(root, size, paths)
            gen = time.perf_counter() - t0
            runs = [run_once(root, paths, extra) for _ in range(args.runs)]
        secs = float(np.median([r["seconds"] for r in runs]))
        obs = size * size * (60 + 73)
        rows.append({"size": size, "pixels": size * size, "observations": obs, "runs": args.runs,
                     "seconds": secs, "m_obs_per_s": obs / secs / 1e6,
                     "peak_rss_gb": max(r["peak_rss_bytes"] for r in runs) / 1e9, "write_seconds": gen,
                     "input": f"VRT repeating {args.mosaic_from}² stacks" if mosaic else "stacks on disk",
                     "load_average": os.getloadavg()[0]})
        print(rows[-1], flush=True)
    rows.sort(key=lambda r: r["size"])
    report(rows, args.runs, stem, extra)


def report(rows: list[dict], runs: int, stem: str = "bench_bayts_tile", extra: tuple[str, ...] = ()) -> None:
    """Write ``results/<stem>.{json,md}`` from the measured rows."""
    meta = {"threads": os.environ.get("NUMBA_NUM_THREADS", "default"), "cpu": platform.processor() or
            platform.machine(), "load_average": os.getloadavg(), "detect_arguments": list(extra), "rows": rows}
    full = next((r for r in rows if r["size"] >= FULL_TILE), None)
    if full is None:
        px = np.array([r["pixels"] for r in rows[-2:]], float)  # the two largest sizes
        rss = np.array([r["peak_rss_gb"] for r in rows[-2:]])
        slope, icpt = np.polyfit(px, rss, 1) if len(px) > 1 else (rss[0] / px[0], 0.0)
        slope = max(float(slope), 0.0)
        meta["rss_fit_gb"] = {"intercept": float(icpt), "per_mpixel": float(slope * 1e6)}
        meta["full_tile_rss_gb_extrapolated"] = float(icpt + slope * FULL_TILE ** 2)
    OUT.mkdir(exist_ok=True)
    (OUT / f"{stem}.json").write_text(json.dumps(meta, indent=1))
    lines = ["# bayts over a tile: the whole `yvy detect --method bayts` run, streaming", "",
             *([f"With the spatial rule: `{' '.join(extra)}` (its pass holds the whole grid's time ranks: "
                "about 17 bytes a pixel, :mod:`yvy.kernels.grow`).", ""] if extra else []),
             f"`benchmarks/bench_bayts_tile.py`, {runs} run(s) per size (median time), "
             f"NUMBA_NUM_THREADS={meta['threads']} (2 shared cores; the load average when each size ended is in the "
             "table). A year: 60 Sentinel-1 + 73 Sentinel-2 dates (60 % cloudy), float32 stacks, COGs and model "
             "state published, no alerts.", "",
             "| tile (px) | pixels | observations | input | seconds | M obs/s (whole run) | peak RSS (GB) | load |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        load = f"{r['load_average']:.1f}" if "load_average" in r else "–"
        lines.append(f"| {r['size']:,}² | {r['pixels']:,} | {r['observations'] / 1e6:,.0f} M "
                     f"| {r.get('input', 'stacks on disk')} | {r['seconds']:.1f} | {r['m_obs_per_s']:.1f} "
                     f"| {r['peak_rss_gb']:.2f} | {load} |")
    what = ("What the run holds: one chunk of every date (--chunk 512), the percentile count tables (2 x dates x "
            "65,536 int64), GDAL's block cache (capped at 512 MB by `yvy detect`) and the interpreter with its "
            "libraries.")
    if full is not None:
        lines += ["", f"The full {FULL_TILE:,}² tile was **measured**: peak RSS {full['peak_rss_gb']:.2f} GB. Its "
                  f"input is {full['input']} read through GDAL window by window (values repeat every tile; a "
                  "full tile's own stacks, 64 GB, do not fit the benchmark machine's disk). " + what]
    else:
        lines += ["", f"Peak RSS, straight line through the two largest sizes: {meta['rss_fit_gb']['intercept']:.2f} "
                  f"GB + {meta['rss_fit_gb']['per_mpixel']:.3f} GB per million pixels; **extrapolated** to a full "
                  f"{FULL_TILE:,}² tile: {meta['full_tile_rss_gb_extrapolated']:.1f} GB (not measured). " + what]
    (OUT / f"{stem}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))

if __name__ == "__main__":
    main()
