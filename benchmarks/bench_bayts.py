"""Throughput of the fused bayts kernel against the memory-read floor of the same cube.

A synthetic year of Sentinel-1 (60 passes, normalised dB) and Sentinel-2 (73 dates, NDVI, 60 %
cloudy = NaN) over ``N`` pixels, float32, (T, N) layout as the pipeline reads it; 30 % of pixels
are cleared at a random date. Engines, each on the same arrays with ``NUMBA_NUM_THREADS`` threads:

* ``floor``: one numba ``prange`` pass summing every value (the cube read once from memory);
* ``bayts``: :func:`yvy.kernels.bayts.bayts_update` from a fresh state (PNF of every observation,
  same-day fusion, flag / reject / confirm state machine).

An observation is one pixel of one optical or radar date. Median of ``--runs`` timed runs after
one warm-up (compilation excluded). Usage::

    NUMBA_NUM_THREADS=2 .venv/bin/python benchmarks/bench_bayts.py [--N 400000 --runs 5]

Writes ``benchmarks/results/bench_bayts.{json,md}``. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numba
import numpy as np

from yvy.kernels._jit import jit_parallel
from yvy.kernels.bayts import BaytsParams, SensorPdf, bayts_update, init_state

OUT = Path(__file__).parent / "results"


@jit_parallel
def _floor(y):
    T, N = y.shape
    acc = np.zeros(N, dtype=np.float32)
    for j in numba.prange(N):
        s = np.float32(0.0)
        for i in range(T):
            v = y[i, j]
            if v == v:
                s += v
        acc[j] = s
    return acc


def cube(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    ts = 2016.0 + np.arange(60) * (6 / 365)
    to = 2016.0 + np.arange(73) * (5 / 365)
    clear = np.where(rng.random(n) < 0.3, 2016.0 + rng.random(n), np.inf).astype(np.float32)
    s = rng.normal(-1.0, 1.0, (ts.size, n)).astype(np.float32)
    s -= np.where(ts[:, None] >= clear[None, :], np.float32(3.0), np.float32(0.0))
    o = rng.normal(0.0, 0.1, (to.size, n)).astype(np.float32)
    o -= np.where(to[:, None] >= clear[None, :], np.float32(0.5), np.float32(0.0))
    o[rng.random(o.shape) < 0.6] = np.nan
    return [s, o], [ts, to]


def timed(fn, runs: int) -> float:
    fn()
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return float(np.median(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--N", type=int, default=400_000)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    ys, ts = cube(a.N)
    pdfs = [SensorPdf(-1.0, 0.75, -4.0, 1.0), SensorPdf(0.0, 0.1, -0.5, 0.125)]
    params = BaytsParams(chi=0.5, pnf_min=0.5, bwf=(0.2, 0.8))
    obs = sum(y.size for y in ys)
    merged = np.ascontiguousarray(np.concatenate(ys, axis=0))
    t_floor = timed(lambda: _floor(merged), a.runs)
    t_bayts = timed(lambda: bayts_update(init_state(a.N, 2), ys, ts, pdfs, 2016.0, params), a.runs)
    res = {"runs": a.runs, "pixels": a.N, "dates": {"s1": int(ts[0].size), "s2": int(ts[1].size)},
           "observations": int(obs), "threads": numba.get_num_threads(), "cpu": platform.processor() or
           platform.machine(), "cpu_count": os.cpu_count(), "floor_s": t_floor, "bayts_s": t_bayts,
           "floor_mobs_per_s": obs / t_floor / 1e6, "bayts_mobs_per_s": obs / t_bayts / 1e6,
           "bayts_over_floor": t_bayts / t_floor}
    OUT.mkdir(exist_ok=True)
    (OUT / "bench_bayts.json").write_text(json.dumps(res, indent=1))
    md = ["# bayts kernel throughput", "",
          f"`benchmarks/bench_bayts.py`, median of {a.runs} runs, {res['threads']} threads, {a.N:,} pixels x "
          f"({res['dates']['s1']} S1 + {res['dates']['s2']} S2 dates) = {obs / 1e6:.1f} M observations "
          "(float32, 60 % of optical observations cloudy).", "",
          "| engine | seconds | M observations / s |", "|---|---|---|",
          f"| memory-read floor (one numba pass) | {t_floor:.3f} | {res['floor_mobs_per_s']:.0f} |",
          f"| bayts (PNF + fusion + flag/confirm) | {t_bayts:.3f} | {res['bayts_mobs_per_s']:.0f} |", "",
          f"bayts / floor time ratio: {res['bayts_over_floor']:.1f}."]
    (OUT / "bench_bayts.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
