"""Throughput of the radar cube steps on synthetic Sentinel-1-like stacks.

Measures (median of ``--runs`` runs, after one warm-up that compiles the numba kernels):

* ``speckle_filter`` (Quegan, 7x7 window, all dates) on linear power;
* ``normalise_orbits`` (two orbits, history = first 3/4 of the dates) on dB;
* ``deseasonalize`` (95th percentile per date) on dB;
* ``calibrate_window`` of the real IW GRDH calibration/noise vectors (shared data) on a
  512-line x full-width block of digital numbers.

Figures are pixel-observations per second (one pixel of one date). Usage::

    .venv/bin/python benchmarks/bench_radar.py --runs 3

Results: ``benchmarks/results/bench_radar.{json,md}``. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
GRD = ("products/sentinel1/stactools-packages__sentinel1/tests/data-files/grd/"
       "S1A_IW_GRDH_1SDV_20210809T173953_20210809T174018_039156_049F13_6FF8.SAFE")


def _time(fn, runs: int) -> float:
    fn()  # warm-up: compiles the kernels
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--T", type=int, default=60)
    ap.add_argument("--size", type=int, default=256)
    args = ap.parse_args()

    from yvy.cube import radar
    from yvy.testing.radar import speckled

    t, n = args.T, args.size
    truth = np.full((t, n, n), 0.05)
    power = speckled(truth, looks=4.4, seed=0)  # GRD IW: about 4.4 looks
    db = radar.to_db(power, "linear")
    orbits = [("ascending", 44), ("descending", 95)] * (t // 2)
    history = np.arange(t) < (3 * t) // 4
    obs = t * n * n
    rows = {
        "speckle_filter (Quegan 7x7)": _time(lambda: radar.speckle_filter(power, 7), args.runs),
        "normalise_orbits (2 orbits)": _time(
            lambda: radar.normalise_orbits(db, orbits, history), args.runs),
        "deseasonalize (p95 per date)": _time(lambda: radar.deseasonalize(db, 0.95), args.runs),
    }
    results = {k: {"seconds": v, "obs_per_s": obs / v, "shape": [t, n, n]} for k, v in rows.items()}

    data = Path(os.environ.get("YVY_TEST_DATA", HERE.parent.parent / "shared" / "data"))
    if (data / GRD).exists():
        from yvy.catalog.formats.sentinel1_calib import calibrate_window, open_luts

        luts = open_luts(data / GRD, "VV")
        dn = np.full((512, 26144), 180.0)
        sec = _time(lambda: calibrate_window(dn, luts, 8000, 0, "sigma0", True), args.runs)
        results["calibrate_window (sigma0, denoised)"] = {
            "seconds": sec, "obs_per_s": dn.size / sec, "shape": list(dn.shape)}

    meta = {"runs": args.runs, "cpus": os.cpu_count(), "python": platform.python_version()}
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "bench_radar.json").write_text(json.dumps({"meta": meta, "results": results}, indent=2))
    lines = [f"# bench_radar (median of {args.runs} runs, {os.cpu_count()} CPUs)", "",
             "| step | shape | seconds | pixel-observations/s |", "|---|---|---|---|"]
    for k, v in results.items():
        lines.append(f"| {k} | {'x'.join(map(str, v['shape']))} | {v['seconds']:.3f} | "
                     f"{v['obs_per_s'] / 1e6:.1f} M |")
    (out / "bench_radar.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
