"""Benchmark yvy's deforestation risk model: accuracy on Guadeloupe and mapping speed on a full tile.

Accuracy (real data, ``$YVY_TEST_DATA/risk/forestatrisk_glp``): the southern half of Guadeloupe
is held back and never in the shared data, so two hold-outs inside the north half are scored:

* spatially blocked 5-fold CV (5 km blocks) of the model fitted on the whole north half: AUC of
  the out-of-fold scores, beside the distance-to-edge AUC on the same sampled pixels;
* north-north split: fit on the northern 2/3 of the forest rows, score every forest pixel of the
  rest (AUC, figure of merit at the observed quantity of loss, wRMSE of predicted vs observed
  hectares on 1.5 / 5 / 10 km cells), beside the distance-to-edge benchmark on the same pixels.

Each is run for ``--seeds`` sampling seeds (default 3) and the median is reported. The learner's
settings (32 quantile bins, 5 km CV blocks) were chosen on the blocked CV of the north half only.

Speed: a model fitted on Guadeloupe is mapped over a synthetic 10,980 x 10,980 grid (a Sentinel-2
tile at 10 m) with 2 covariates at 10 m, 6 at 60 m (resampled on the fly), 60 % forest; the wall
time of ``map_risk`` (reading, predicting, writing the COG) is measured ``--runs`` times (default 1).

Usage::

    .venv/bin/python benchmarks/bench_risk.py                # both parts
    .venv/bin/python benchmarks/bench_risk.py --skip-speed

Results: ``benchmarks/results/bench_risk.{json,md}``. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = Path(os.environ.get("YVY_TEST_DATA", REPO.parent / "shared" / "data")) / "risk" / "forestatrisk_glp"
RASTERS = ["dist_edge.tif", "dist_defor.tif", "dist_road.tif", "dist_town.tif", "dist_river.tif",
           "altitude.tif", "slope.tif", "pa.tif"]


def accuracy(seeds: int, cache: Path) -> dict:
    from sklearn.metrics import roc_auc_score

    from yvy.risk.covariates import covariates_from_paths
    from yvy.risk.evaluate import split_evaluation
    from yvy.risk.model import fit, sample_pixels

    covs = covariates_from_paths([DATA / n for n in RASTERS])
    fcc = DATA / "fcc23_north_half.tif"
    cv, split = [], []
    for seed in range(seeds):
        m = fit(fcc, covs, cache=cache, seed=seed)
        s = sample_pixels(fcc, m.covariates, m.grid, size=200_000, seed=seed)
        cv.append({"cv_auc_blocked": m.metrics["cv_auc_blocked"],
                   "edge_auc_same_pixels": float(roc_auc_score(s.lost, -s.x[:, 0]))})
        split.append(split_evaluation(fcc, covs, cache=cache, seed=seed))
    med = lambda xs: float(statistics.median(xs))  # noqa: E731
    out = {"seeds": seeds, "blocked_cv": {k: med([c[k] for c in cv]) for k in cv[0]}, "north_north": {
        "protocol": split[0]["protocol"], "test_pixels": split[0]["test_pixels"],
        "test_lost_pixels": split[0]["test_lost_pixels"]}}
    for who in ("model", "edge_benchmark"):
        out["north_north"][who] = {
            "auc": med([r[who]["auc"] for r in split]), "fom": med([r[who]["fom"] for r in split]),
            "cells": [{"cell_km": c["cell_km"], "wrmse_ha": med([r[who]["cells"][i]["wrmse_ha"] for r in split]),
                       "predicted_ha": med([r[who]["cells"][i]["predicted_ha"] for r in split]),
                       "observed_ha": c["observed_ha"]} for i, c in enumerate(split[0][who]["cells"])]}
    return out


def _field(n: int, scale: float, rng, lo: float, hi: float) -> np.ndarray:
    """A smooth random field (bilinear upsampling of coarse noise) in [lo, hi]."""
    from scipy.ndimage import zoom

    coarse = rng.random((max(2, n // 256), max(2, n // 256)))
    f = zoom(coarse, n / coarse.shape[0], order=1)[:n, :n]
    return (lo + (hi - lo) * f).astype(np.float32)


def _synthetic_tile(folder: Path, n: int, seed: int = 0) -> dict[str, Path]:
    import rasterio
    from rasterio.transform import from_origin

    rng = np.random.default_rng(seed)
    paths = {}
    specs = [("dist_edge", 10, 0, 3000), ("dist_defor", 10, 0, 8000), ("dist_road", 60, 0, 20000),
             ("dist_town", 60, 0, 30000), ("dist_river", 60, 0, 5000), ("altitude", 60, 0, 1400),
             ("slope", 60, 0, 40), ("pa", 60, 0, 1)]
    for name, res, lo, hi in specs:
        size = n * 10 // res
        a = _field(size, 1, rng, lo, hi)
        nodata = None
        if name == "dist_edge":  # 60 % forest: dist_edge undefined (nodata) elsewhere
            a[_field(size, 1, rng, 0, 1) > 0.6] = 0
            nodata = 0
        if name == "pa":
            a = (a > 0.8).astype(np.uint8)
        p = folder / f"{name}.tif"
        with rasterio.open(p, "w", driver="GTiff", width=size, height=size, count=1, dtype=a.dtype,
                           crs="EPSG:32721", transform=from_origin(300000, 7500000, res, res), nodata=nodata,
                           tiled=True, compress="deflate") as ds:
            ds.write(a, 1)
        paths[name] = p
    return paths


def speed(runs: int, cache: Path, n: int) -> dict:
    from rasterio.crs import CRS
    from rasterio.transform import from_origin

    from yvy.risk.covariates import Covariate, covariates_from_paths
    from yvy.risk.grid import Grid
    from yvy.risk.mapping import map_risk
    from yvy.risk.model import fit

    model = fit(DATA / "fcc23_north_half.tif", covariates_from_paths([DATA / n for n in RASTERS]), cache=cache)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        t0 = time.perf_counter()
        paths = _synthetic_tile(Path(tmp), n)
        make_s = time.perf_counter() - t0
        model.covariates = [Covariate(c.name, str(paths[c.name]), "raster", c.resampling) for c in model.covariates]
        grid = Grid(CRS.from_epsg(32721).to_wkt(), tuple(from_origin(300000, 7500000, 10, 10))[:6], n, n)
        times, summary, load = [], None, []
        for _ in range(runs):
            load.append(round(os.getloadavg()[0], 1))
            t0 = time.perf_counter()
            summary = map_risk(model, Path(tmp) / "risk.tif", grid=grid)
            times.append(time.perf_counter() - t0)
            load.append(round(os.getloadavg()[0], 1))
    return {"load_average_1min_before_after": load,
            "shape": [n, n], "pixels": n * n, "mapped_pixels": summary["pixels"], "runs": runs,
            "wall_s_median": round(statistics.median(times), 1), "wall_s": [round(t, 1) for t in times],
            "synthetic_inputs_s": round(make_s, 1), "mpix_per_s": round(n * n / statistics.median(times) / 1e6, 2)}


def _markdown(res: dict) -> str:
    lines = ["# bench_risk", "", f"Machine: {res['machine']}", ""]
    if "accuracy" in res:
        a = res["accuracy"]
        nn = a["north_north"]
        lines += [f"## Accuracy on Guadeloupe (median of {a['seeds']} seeds)", "",
                  f"Blocked 5-fold CV inside the north half (5 km blocks): model AUC "
                  f"{a['blocked_cv']['cv_auc_blocked']:.3f}, distance-to-edge AUC on the same pixels "
                  f"{a['blocked_cv']['edge_auc_same_pixels']:.3f}.", "",
                  f"North-north split: {nn['protocol']} ({nn['test_pixels']} pixels, {nn['test_lost_pixels']} lost).",
                  "", "| | AUC | FOM | " + " | ".join(f"wRMSE {c['cell_km']} km (ha)" for c in nn["model"]["cells"])
                  + " | predicted / observed ha |", "|---|---|---|" + "---|" * (len(nn["model"]["cells"]) + 1)]
        for who in ("model", "edge_benchmark"):
            r = nn[who]
            lines.append(f"| {who} | {r['auc']:.3f} | {r['fom']:.3f} | "
                         + " | ".join(f"{c['wrmse_ha']:.1f}" for c in r["cells"])
                         + f" | {r['cells'][0]['predicted_ha']:.0f} / {r['cells'][0]['observed_ha']:.0f} |")
        lines.append("")
    if "speed" in res:
        s = res["speed"]
        lines += ["## Mapping speed", "", f"{s['shape'][0]} x {s['shape'][1]} grid, {s['mapped_pixels']} forest pixels "
                  f"mapped: median {s['wall_s_median']} s over {s['runs']} run(s) ({s['mpix_per_s']} Mpx/s); "
                  f"1-minute load average before/after: {s.get('load_average_1min_before_after')}.", ""]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--size", type=int, default=10_980)
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--skip-accuracy", action="store_true")
    args = ap.parse_args()
    res = {"machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}",
           "threads": os.environ.get("OMP_NUM_THREADS") or os.environ.get("NUMBA_NUM_THREADS")}
    out = HERE / "results"
    prev = out / "bench_risk.json"
    if prev.exists():
        res = {**json.loads(prev.read_text()), **res}
    with tempfile.TemporaryDirectory() as cache:
        if not args.skip_accuracy:
            res["accuracy"] = accuracy(args.seeds, Path(cache))
        if not args.skip_speed:
            res["speed"] = speed(args.runs, Path(cache), args.size)
    out.mkdir(exist_ok=True)
    prev.write_text(json.dumps(res, indent=1))
    (out / "bench_risk.md").write_text(_markdown(res))
    print(_markdown(res))


if __name__ == "__main__":
    main()
