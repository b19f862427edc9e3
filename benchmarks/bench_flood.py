"""Benchmark ``yvy flood map`` on a synthetic Sentinel-1 scene (VV, VH dB, gamma speckle, 4.4 looks).

A full Sentinel-1 IW GRD footprint is about 250 x 170 km: 25,000 x 17,000 pixels at 10 m
(425 Mpx). ``--scale`` shrinks both sides (0.5 -> a quarter of the area); the full-footprint time
is then extrapolated linearly from the measured pixels per second (the work is linear in
pixels: two streamed passes, a 5 x 5 Lee filter and per-tile histograms). The input is an
uncompressed tiled GeoTIFF written once, outside the timing.

Usage::

    .venv/bin/python benchmarks/bench_flood.py --scale 0.5 --runs 3

Results: ``benchmarks/results/bench_flood.{json,md}``. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
FULL = (17000, 25000)


def write_scene(path: Path, shape: tuple[int, int], seed: int = 0) -> None:
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    rng = np.random.default_rng(seed)
    ny, nx = shape
    prof = {"driver": "GTiff", "width": nx, "height": ny, "count": 2, "dtype": "float32", "crs": "EPSG:32721",
            "transform": from_origin(300000, 7500000, 10, 10), "nodata": float("nan"), "tiled": True,
            "blockxsize": 512, "blockysize": 512, "BIGTIFF": "YES"}
    xx = np.arange(nx)
    with rasterio.open(path, "w", **prof) as ds:
        ds.descriptions = ("VV", "VH")
        for r0 in range(0, ny, 1024):
            r1 = min(r0 + 1024, ny)
            yy = np.arange(r0, r1)[:, None]
            centre = nx / 2 + nx / 5 * np.sin(yy / ny * 6 * np.pi)
            water = (np.abs(xx[None] - centre) < nx / 40) | ((yy % 3000 < 400) & (xx[None] % 4000 < 600))
            mean = np.where(water, -23.0, -14.0)
            for b, off in ((1, 6.0), (2, 0.0)):
                lin = 10 ** ((mean + off) / 10) * rng.gamma(4.4, 1 / 4.4, mean.shape)
                ds.write((10 * np.log10(lin)).astype(np.float32), b, window=Window(0, r0, nx, r1 - r0))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=0.5, help="Side scale of the full IW footprint.")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    from yvy.disaster.flood import FloodParams, map_water

    shape = (int(FULL[0] * args.scale), int(FULL[1] * args.scale))
    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR")) as tmp:
        scene = Path(tmp) / "s1.tif"
        write_scene(scene, shape)
        small = Path(tmp) / "warm.tif"
        write_scene(small, (1024, 1024))
        map_water(small, Path(tmp) / "warm")  # compile (numba cache) outside the timing
        times, cpus = [], []
        for i in range(args.runs):
            t0, c0 = time.perf_counter(), time.process_time()
            res = map_water(scene, Path(tmp) / f"out{i}", params=FloodParams(workers=args.workers))
            times.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
    px = shape[0] * shape[1]
    med = statistics.median(times)
    full_s = med * FULL[0] * FULL[1] / px
    out = {"scene_px": list(shape), "megapixels": round(px / 1e6, 1), "runs": args.runs, "workers": args.workers,
           "seconds": [round(t, 2) for t in times], "median_s": round(med, 2),
           "median_cpu_s": round(statistics.median(cpus), 2),
           "mpx_per_s": round(px / med / 1e6, 2), "full_footprint_s_extrapolated": round(full_s, 1),
           "full_footprint_cpu_s_extrapolated": round(statistics.median(cpus) * FULL[0] * FULL[1] / px, 1),
           "water_fraction": round(res.pixels["water"] / px, 3), "cpus": os.cpu_count(),
           "load_avg_1_5_15": [round(x, 1) for x in os.getloadavg()],
           "machine": platform.processor() or platform.machine()}
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "bench_flood.json").write_text(json.dumps(out, indent=1))
    md = ("# bench_flood\n\n`benchmarks/bench_flood.py --scale {s} --runs {r} --workers {w}`\n\n"
          "| scene (px) | Mpx | runs | median wall s | median CPU s (all threads) | Mpx/s (wall) | "
          "full IW footprint (425 Mpx), extrapolated wall s | ... CPU s |\n"
          "|---|---|---|---|---|---|---|---|\n| {a} x {b} | {mp} | {r} | {m} | {cpu} | {v} | {f} | {fc} |\n\n"
          "Synthetic VV/VH scene (gamma speckle, 4.4 looks); {c} CPUs, load average {la} (shared machine); "
          "both passes, Lee 5x5, COG output (deflate, overviews); polygons not included.\n").format(
        la=out["load_avg_1_5_15"], cpu=out["median_cpu_s"], fc=out["full_footprint_cpu_s_extrapolated"],
        s=args.scale, r=args.runs, w=args.workers, a=shape[0], b=shape[1], mp=out["megapixels"], m=out["median_s"],
        v=out["mpx_per_s"], f=out["full_footprint_s_extrapolated"], c=out["cpus"])
    (HERE / "results" / "bench_flood.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
