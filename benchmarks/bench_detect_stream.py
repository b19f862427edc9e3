"""Benchmark: a full Sentinel-2 tile time stack streams through ``run_detection`` in bounded memory,
and the cost of an incremental update with one new scene against a full run.

**Stream.** One real 10,980 x 10,980 int16 tiled DEFLATE GeoTIFF (an NDVI x 10000 pattern with
noise and a nodata corner) is referenced 100 times by a VRT as 100 bands (band description = date;
each band scales the source by a seasonal factor, with a drop in the last fifth of the dates), so
the disk holds one tile while every read is a real windowed GeoTIFF read and decode. Detection runs
in a child process (``store_model=False``: the stored model of a full tile is tens of GB; the
chunk pipeline is the same) and reports its peak RSS (``ru_maxrss``), wall time and pixels/s.

**Incremental.** On a smaller tile (``--ratio-size``), ``yvy detect`` on 100 dates stores the
model; then one new date arrives: ``update_monitoring`` (read the model, monitor one scene, write
a new product and model version) is timed against a full ``run_detection`` on the 101 dates.

Usage: python benchmarks/bench_detect_stream.py [--size 10980] [--dates 100] [--chunk 1024]
       [--ratio-size 2048] [--workdir DIR] [--skip-stream] [--skip-ratio]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

EPSG = 32721
ORIGIN = (600000.0, 7300000.0)


def write_tile(path: Path, size: int) -> None:
    """The one real single-band tile, written in row blocks (never whole in memory)."""
    import rasterio
    from rasterio.transform import from_origin

    prof = {"driver": "GTiff", "width": size, "height": size, "count": 1, "dtype": "int16",
            "crs": f"EPSG:{EPSG}", "transform": from_origin(*ORIGIN, 10, 10), "nodata": -32768,
            "tiled": True, "blockxsize": 512, "blockysize": 512, "compress": "deflate", "predictor": 2,
            "BIGTIFF": "IF_SAFER"}
    rng = np.random.default_rng(0)
    with rasterio.open(path, "w", **prof) as ds:
        for r0 in range(0, size, 512):
            h = min(512, size - r0)
            yy, xx = np.mgrid[r0:r0 + h, 0:size]
            v = 6500 + 1500 * np.sin(xx / 97.0) * np.cos(yy / 131.0) + rng.normal(0, 250, (h, size))
            v = v.astype(np.int16)
            if r0 < size // 20:
                v[:, : size // 20] = -32768  # a nodata corner
            ds.write(v, 1, window=((r0, r0 + h), (0, size)))


def band_dates(n: int) -> list[str]:
    d0 = date(2018, 1, 5)
    rng = np.random.default_rng(1)
    return [(d0 + timedelta(days=int(12 * k + rng.integers(0, 4)))).isoformat() for k in range(n)]


def write_vrt(path: Path, tile: Path, size: int, dates: list[str]) -> None:
    """A VRT whose band k reads the tile scaled by a seasonal factor for date k (a drop late on)."""
    rng = np.random.default_rng(2)
    bands = []
    for k, d in enumerate(dates, start=1):
        dd = date.fromisoformat(d)
        t = dd.year + (dd.timetuple().tm_yday - 1) / 365
        ratio = 1.0 + 0.12 * math.sin(2 * math.pi * t) + float(rng.normal(0, 0.01))
        if k > 0.8 * len(dates):
            ratio *= 0.6
        bands.append(f"""  <VRTRasterBand dataType="Int16" band="{k}">
    <Description>{escape(d)}</Description>
    <NoDataValue>-32768</NoDataValue>
    <ComplexSource>
      <SourceFilename relativeToVRT="0">{escape(str(tile))}</SourceFilename>
      <SourceBand>1</SourceBand>
      <SrcRect xOff="0" yOff="0" xSize="{size}" ySize="{size}"/>
      <DstRect xOff="0" yOff="0" xSize="{size}" ySize="{size}"/>
      <NODATA>-32768</NODATA>
      <ScaleOffset>0</ScaleOffset>
      <ScaleRatio>{ratio:.6f}</ScaleRatio>
    </ComplexSource>
  </VRTRasterBand>""")
    import rasterio

    with rasterio.open(tile) as ds:
        gt = ds.transform.to_gdal()
        wkt = ds.crs.to_wkt()
    path.write_text(f"""<VRTDataset rasterXSize="{size}" rasterYSize="{size}">
  <SRS>{escape(wkt)}</SRS>
  <GeoTransform>{', '.join(repr(v) for v in gt)}</GeoTransform>
{chr(10).join(bands)}
</VRTDataset>
""")


def _workspace(root: Path):
    from yvy.config import Workspace
    from yvy.storage import open_store

    ws = Workspace.create(root)
    return ws, open_store(ws.database_url, create=True)


def child_stream(vrt: str, chunk: int, home: str, monitor_start: str) -> dict:
    """Run in a fresh process: detection over the whole VRT; peak RSS of this process."""
    os.environ.setdefault("GDAL_CACHEMAX", "512")  # as `yvy detect` does
    from yvy.change.detect import DetectRequest, run_detection

    ws, store = _workspace(Path(home))
    req = DetectRequest(history_start="2018-01-01", monitor_start=monitor_start, stack=vrt, chunk=chunk,
                        store_model=False)
    t0 = time.perf_counter()
    last = [t0]

    def progress(done, total):
        now = time.perf_counter()
        if done and (done % 10 == 0 or done == total):
            print(f"  chunk {done}/{total}  {now - t0:7.1f} s  rss between chunks {_rss_gb():.2f} GB", flush=True)
        last[0] = now

    item = run_detection(store, ws, req, progress=progress)
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2  # KiB -> GiB
    return {"wall_s": wall, "peak_rss_gb": peak, "summary": item["properties"]["yvy:summary"]}


def _rss_gb() -> float:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024 ** 3
    except OSError:  # pragma: no cover - not Linux
        return float("nan")


def child_ratio(short_vrt: str, full_vrt: str, chunk: int, home: str, monitor_start: str) -> dict:
    """detect(100 dates) -> timed update(+1 date) vs timed full detect(101 dates)."""
    from yvy.change.detect import DetectRequest, run_detection
    from yvy.change.monitor import update_monitoring

    ws, store = _workspace(Path(home))
    common = {"history_start": "2018-01-01", "monitor_start": monitor_start, "chunk": chunk}
    t0 = time.perf_counter()
    first = run_detection(store, ws, DetectRequest(stack=short_vrt, **common))
    t_first = time.perf_counter() - t0
    t0 = time.perf_counter()
    upd = update_monitoring(store, ws, first["id"], stack=full_vrt)
    t_update = time.perf_counter() - t0
    t0 = time.perf_counter()
    run_detection(store, ws, DetectRequest(stack=full_vrt, **common))
    t_full = time.perf_counter() - t0
    return {"detect_100_s": t_first, "update_1_s": t_update, "full_101_s": t_full,
            "ratio": t_update / t_full, "new_dates": upd["properties"]["yvy:summary"]["new_dates"]}


def _child(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=False,
                         stdout=subprocess.PIPE, text=True)
    lines = out.stdout.rstrip().splitlines()
    for ln in lines[:-1]:
        print(ln)
    return json.loads(lines[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=10980)
    ap.add_argument("--dates", type=int, default=100)
    ap.add_argument("--chunk", type=int, default=1024)
    ap.add_argument("--ratio-size", type=int, default=2048)
    ap.add_argument("--workdir")
    ap.add_argument("--skip-stream", action="store_true")
    ap.add_argument("--skip-ratio", action="store_true")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        kind, *rest = a.child
        if kind == "stream":
            result = child_stream(rest[0], int(rest[1]), rest[2], rest[3])
        else:
            result = child_ratio(rest[0], rest[1], int(rest[2]), rest[3], rest[4])
        print(json.dumps(result))
        return
    tmp = tempfile.TemporaryDirectory(dir=a.workdir)
    root = Path(tmp.name)
    dates = band_dates(a.dates + 1)
    monitor_start = dates[int(0.6 * a.dates)]
    try:
        if not a.skip_stream:
            tile = root / "tile.tif"
            t0 = time.perf_counter()
            write_tile(tile, a.size)
            vrt = root / "stack.vrt"
            write_vrt(vrt, tile, a.size, dates[: a.dates])
            print(f"tile {a.size}x{a.size} int16 ({tile.stat().st_size / 1e6:.0f} MB on disk, "
                  f"written in {time.perf_counter() - t0:.0f} s); VRT of {a.dates} bands; "
                  f"monitoring from {monitor_start}; chunk {a.chunk} px")
            r = _child(["--child", "stream", str(vrt), str(a.chunk), str(root / "ws"), monitor_start])
            px = a.size * a.size
            print(f"STREAM  {px:,} px x {a.dates} dates: wall {r['wall_s']:.0f} s, "
                  f"{px / r['wall_s'] / 1e3:.0f} kpx/s ({px * a.dates / r['wall_s'] / 1e6:.1f} M obs/s), "
                  f"peak RSS {r['peak_rss_gb']:.2f} GB; breaks {r['summary']['breaks']:,}")
        if not a.skip_ratio:
            tile = root / "small.tif"
            write_tile(tile, a.ratio_size)
            short, full = root / "short.vrt", root / "full.vrt"
            write_vrt(short, tile, a.ratio_size, dates[: a.dates])
            write_vrt(full, tile, a.ratio_size, dates[: a.dates + 1])
            r = _child(["--child", "ratio", str(short), str(full), str(a.chunk), str(root / "ws2"),
                        monitor_start])
            print(f"UPDATE  {a.ratio_size}x{a.ratio_size} px: full detect on {a.dates + 1} dates "
                  f"{r['full_101_s']:.1f} s, update with 1 new date {r['update_1_s']:.1f} s, "
                  f"ratio {r['ratio']:.3f} ({1 / r['ratio']:.1f}x cheaper)")
    finally:
        tmp.cleanup()


if __name__ == "__main__":
    main()
