"""Peak memory and time of the spatial rule's whole-grid pass (:mod:`yvy.kernels.grow`) on a full
Sentinel-2 tile, in a child process.

The pass of ``yvy detect --method bayts|sar`` (:func:`yvy.change._spatial.apply`) reads every
chunk's weak, confirmed and flag times into three grids of int16 time ranks and runs the
union-find over them. This benchmark builds those grids for an ``S`` x ``S`` tile directly (no
chunk files) in the worst case for memory: **every** pixel has weak evidence, 80 % are confirmed,
at random dates among 133 (a year of 60 Sentinel-1 + 73 Sentinel-2 dates), and runs the rule with
yvy's defaults for bayts (3 pixels, 45-day window) in a child process; it reports the child's peak
RSS (``VmHWM``), the time of the rule, and the floor of one pass over the inputs (``np.sum`` of
the three grids) measured in the same child. The rest of a ``yvy detect`` run is measured by
``benchmarks/bench_bayts_tile.py``; its chunk phase and this pass run one after the other.

Usage::

    .venv/bin/python benchmarks/bench_spatial_pass.py [--sizes 2048 10980] [--runs 1]

Writes ``benchmarks/results/bench_spatial_pass.{json,md}``. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).parent / "results"
N_DATES = 133

CHILD = """
import json, sys, time
import numpy as np
from yvy.kernels.grow import spatial_confirm_ranks
size, n_dates = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(0)
times = 2016 + np.arange(n_dates) / n_dates
w = np.empty((size, size), np.int16)
c = np.empty((size, size), np.int16)
f = np.empty((size, size), np.int16)
for r0 in range(0, size, 512):  # built in row blocks, as the pass fills them chunk by chunk
    h = min(512, size - r0)
    wb = rng.integers(0, n_dates, (h, size))
    cb = np.where(rng.random((h, size)) < 0.8, np.minimum(wb + rng.integers(0, 5, (h, size)), n_dates - 1), -1)
    w[r0:r0 + h], c[r0:r0 + h] = wb, cb
    f[r0:r0 + h] = np.where(cb >= 0, np.maximum(wb - rng.integers(0, 3, (h, size)), 0), -1)
spatial_confirm_ranks(w[:8, :8], c[:8, :8], f[:8, :8], times, 3, 4, 45 / 365)  # compiled (cached) first
t0 = time.perf_counter(); floor = int(w.sum(dtype=np.int64) + c.sum(dtype=np.int64) + f.sum(dtype=np.int64))
t_floor = time.perf_counter() - t0
t0 = time.perf_counter(); out = spatial_confirm_ranks(w, c, f, times, 3, 4, 45 / 365)
t_rule = time.perf_counter() - t0
hwm = next(int(x.split()[1]) for x in open('/proc/self/status') if x.startswith('VmHWM'))
print(json.dumps({"rule_s": t_rule, "floor_s": t_floor, "alerted": float((out >= 0).mean()), "vmhwm_kb": hwm,
                  "check": floor}))
"""


def run(size: int) -> dict:
    proc = subprocess.run([sys.executable, "-c", CHILD, str(size), str(N_DATES)], capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(proc.stderr[-2000:])
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"size": size, "pixels": size * size, "seconds": r["rule_s"], "floor_seconds": r["floor_s"],
            "peak_rss_gb": r["vmhwm_kb"] * 1024 / 1e9, "alerted_share": r["alerted"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[2048, 10980])
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()
    rows = []
    for size in args.sizes:
        runs = [run(size) for _ in range(args.runs)]
        row = {k: (float(np.median([r[k] for r in runs])) if k in ("seconds", "floor_seconds") else runs[0][k])
               for k in runs[0]}
        row["peak_rss_gb"] = max(r["peak_rss_gb"] for r in runs)
        rows.append(row)
        print(row, flush=True)
    OUT.mkdir(exist_ok=True)
    meta = {"runs": args.runs, "dates": N_DATES, "load_average": os.getloadavg(), "rows": rows}
    (OUT / "bench_spatial_pass.json").write_text(json.dumps(meta, indent=1))
    lines = ["# The spatial rule's whole-grid pass: worst case for memory", "",
             f"`benchmarks/bench_spatial_pass.py`, {args.runs} run(s) per size (median time), one thread, in a child "
             f"process: every pixel has weak evidence, 80 % confirmed, {N_DATES} dates, yvy's bayts rule (3 px, "
             f"45-day window). Load average at the end: {os.getloadavg()[0]:.1f} (shared 2-core machine).", "",
             "| tile (px) | pixels | rule (s) | M px/s | floor: one read of the 3 grids (s) | rule / floor "
             "| peak RSS (GB) | bytes/px |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        mpx = r["pixels"] / r["seconds"] / 1e6
        lines.append(f"| {r['size']:,}² | {r['pixels']:,} | {r['seconds']:.1f} | {mpx:.2f} "
                     f"| {r['floor_seconds']:.2f} | {r['seconds'] / r['floor_seconds']:.0f}x | {r['peak_rss_gb']:.2f} "
                     f"| {r['peak_rss_gb'] * 1e9 / r['pixels']:.1f} |")
    (OUT / "bench_spatial_pass.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
