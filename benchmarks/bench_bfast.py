"""Benchmark yvy's BFAST Monitor kernel against its peers on the same synthetic cubes.

Engines (each measured in its own subprocess, so peak RSS is per engine):

* ``yvy`` (``history="all"``, ``threads`` as given) and ``yvy-roc`` (``history="roc"``);
* ``floor``: one plain numba sum over the cube (reading it once from memory);
* ``bfast``: the PyPI ``bfast`` 0.7 package, numpy backend, in ``.venv-peers``
  (recipe: ``shared/peers/README.md``); slow, so measured on a pixel subset;
* ``nrt``: JRC's ``nrt`` ``MoSum`` monitor (fit on the history with OLS, then one
  ``monitor()`` call per monitoring date), in ``.venv-nrt``;
* ``pyxccd``: ``cold_detect_flex`` (COLD, a different change detector; timing only), in
  ``.venv-nrt``, on a pixel subset.

Usage::

    .venv/bin/python benchmarks/bench_bfast.py                    # the full grid
    .venv/bin/python benchmarks/bench_bfast.py --T 200 --N 100000 --missing 0.3

Results: a table on stdout, and ``benchmarks/results/bench_bfast.{json,md}``.
Not collected by pytest.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
PEER_PYTHON = {"bfast": REPO / ".venv-peers/bin/python", "nrt": REPO / ".venv-nrt/bin/python",
               "pyxccd": REPO / ".venv-nrt/bin/python"}
FIRST_DAY = dt.date(2014, 1, 1)
MONITOR_START = dt.date(2019, 1, 1)
SPAN_DAYS = 6 * 365


# --------------------------------------------------------------------------- cubes


def make_cube(T: int, N: int, missing: float, seed: int = 0):
    """Synthetic NDVI cube ``(T, N)`` float32 over 6 years; monitoring from 2019-01-01.

    Season (order 2) + small trend + noise 0.03; 20 % of pixels drop by 0.2 from a random
    monitoring date; ``missing`` of the values NaN at random.
    """
    rng = np.random.default_rng(seed)
    days = np.sort(rng.choice(SPAN_DAYS, T, replace=False))
    dates = [FIRST_DAY + dt.timedelta(days=int(d)) for d in days]
    t = np.array([(d - FIRST_DAY).days / 365.25 for d in dates])
    season = 0.55 + 0.2 * np.sin(2 * np.pi * t) + 0.05 * np.cos(4 * np.pi * t) + 0.005 * t
    y = np.empty((T, N), np.float32)
    step = 100_000
    for c0 in range(0, N, step):
        n = min(step, N - c0)
        block = season[:, None] + rng.normal(0, 0.03, (T, n))
        drop_at = rng.integers(int(np.searchsorted(days, (MONITOR_START - FIRST_DAY).days)), T,
                               n)
        drop = rng.random(n) < 0.2
        block[np.arange(T)[:, None] >= np.where(drop, drop_at, T)[None, :]] -= 0.2
        if missing:
            block[rng.random((T, n)) < missing] = np.nan
        y[:, c0:c0 + n] = block
    return y, [d.isoformat() for d in dates]


def peak_rss_mb() -> float:
    """This process's peak RSS (``VmHWM``: unlike ``ru_maxrss``, not inherited on exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


# --------------------------------------------------------------------------- workers
# Each runs in a subprocess, possibly under another venv: imports stay inside.


def _load(cube_dir: Path, pixels: int):
    y = np.load(cube_dir / "y.npy", mmap_mode="r")
    y = np.ascontiguousarray(y[:, :pixels])
    dates = json.loads((cube_dir / "dates.json").read_text())
    return y, dates


def work_yvy(cube_dir, pixels, threads, history, reps):
    from yvy.change.timebase import bfast_dates, decimal_year
    from yvy.kernels.bfast import BfastParams, bfast_monitor

    y, dates = _load(cube_dir, pixels)
    t, keep = bfast_dates(dates)
    assert len(keep) == len(dates)
    start = float(decimal_year(MONITOR_START.isoformat())[0])
    params = BfastParams(history=history)
    bfast_monitor(y[:, :2048].copy(), t, start, params, threads=threads)  # compile/load cache
    base = peak_rss_mb()
    walls, cpus = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), cpu_seconds()
        out = bfast_monitor(y, t, start, params, threads=threads)
        walls.append(time.perf_counter() - t0)
        cpus.append(cpu_seconds() - c0)
    return {"seconds": float(np.median(walls)), "cpu_seconds": float(np.median(cpus)), "pixels": y.shape[1],
            "rss_base_mb": base, "breaks": out["break_index"].astype(np.int64)}


def work_floor(cube_dir, pixels, threads, history, reps):
    import numba

    @numba.njit(cache=False, nogil=True, fastmath=True)
    def total(y):
        s = 0.0
        for t in range(y.shape[0]):
            for j in range(y.shape[1]):
                v = y[t, j]
                if not np.isnan(v):
                    s += v
        return s

    y, _ = _load(cube_dir, pixels)
    total(y[:, :16].copy())
    walls = []
    for _ in range(reps):
        t0 = time.perf_counter()
        total(y)
        walls.append(time.perf_counter() - t0)
    return {"seconds": float(np.median(walls)), "pixels": y.shape[1], "rss_base_mb": peak_rss_mb()}


def work_bfast(cube_dir, pixels, threads, history, reps):
    from bfast import BFASTMonitor

    y, dates = _load(cube_dir, pixels)
    dts = [dt.datetime.fromisoformat(d) for d in dates]
    start = dt.datetime.combine(MONITOR_START, dt.time())
    model = BFASTMonitor(start_monitor=start, freq=365, k=3, hfrac=0.25, trend=True,
                         level=0.05, backend="python")
    base = peak_rss_mb()
    t0 = time.perf_counter()
    model.fit(y.reshape(y.shape[0], 1, -1), dts, nan_value=-32768)
    seconds = time.perf_counter() - t0
    n_hist = sum(d < start for d in dts)
    brk = np.asarray(model.breaks).ravel().astype(np.int64)
    brk = np.where(brk >= 0, brk + n_hist, np.where(brk == -2, -2, -1))
    return {"seconds": seconds, "pixels": y.shape[1], "rss_base_mb": base, "breaks": brk}


def work_nrt(cube_dir, pixels, threads, history, reps):
    import pandas as pd
    import xarray as xr
    from nrt.monitor.mosum import MoSum

    y, dates = _load(cube_dir, pixels)
    T, N = y.shape
    width = 100 if N % 100 == 0 else 1
    cube = y.reshape(T, N // width, width)
    times = pd.DatetimeIndex(dates)
    nh = int(np.sum(times < pd.Timestamp(MONITOR_START)))
    hist = xr.DataArray(cube[:nh], dims=("time", "y", "x"),
                        coords={"time": times[:nh], "y": np.arange(cube.shape[1]),
                                "x": np.arange(width)})
    base = peak_rss_mb()
    t0 = time.perf_counter()
    model = MoSum(trend=True, harmonic_order=3, sensitivity=0.05, h=0.25)
    model.fit(hist, method="OLS")
    for i in range(nh, T):
        model.monitor(cube[i], times[i].to_pydatetime())
    seconds = time.perf_counter() - t0
    det = model.detection_date.ravel().astype(np.int64)  # days since 1970-01-01, 0 none
    epoch_days = ((times - pd.Timestamp("1970-01-01")).days).to_numpy()
    brk = np.full(N, -1, np.int64)
    hit = det > 0
    brk[hit] = np.searchsorted(epoch_days, det[hit])
    return {"seconds": seconds, "pixels": N, "rss_base_mb": base, "breaks": brk}


def work_pyxccd(cube_dir, pixels, threads, history, reps):
    from pyxccd import cold_detect_flex

    y, dates = _load(cube_dir, pixels)
    ordinal = np.array([dt.date.fromisoformat(d).toordinal() for d in dates], np.int64)
    base = peak_rss_mb()
    t0 = time.perf_counter()
    for j in range(y.shape[1]):
        col = y[:, j]
        ok = np.isfinite(col)
        stack = np.where(ok, np.round(col * 10000), 0).astype(np.int64)[:, None]
        qas = np.where(ok, 0, 4).astype(np.int64)
        cold_detect_flex(ordinal, stack, qas, lam=20)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "pixels": y.shape[1], "rss_base_mb": base}


WORKERS = {"yvy": work_yvy, "yvy-roc": work_yvy, "floor": work_floor, "bfast": work_bfast,
           "nrt": work_nrt, "pyxccd": work_pyxccd}


def worker_main(args) -> None:
    history = "roc" if args.worker == "yvy-roc" else "all"
    res = WORKERS[args.worker](Path(args.cube), args.pixels, args.threads, history, args.reps)
    breaks = res.pop("breaks", None)
    if breaks is not None:
        np.save(Path(args.out).with_suffix(".breaks.npy"), breaks)
    res["peak_rss_mb"] = peak_rss_mb()
    Path(args.out).write_text(json.dumps(res))


# --------------------------------------------------------------------------- driver


def run_engine(engine, cube_dir, pixels, args, scratch):
    python = PEER_PYTHON.get(engine, Path(sys.executable))
    if not python.exists():
        return {"engine": engine, "error": f"{python} not found (see shared/peers/README.md)"}
    out = Path(scratch) / f"{engine}.json"
    cmd = [str(python), str(Path(__file__).resolve()), "--worker", engine, "--cube",
           str(cube_dir), "--pixels", str(pixels), "--threads", str(args.threads),
           "--reps", str(args.reps), "--out", str(out)]
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"), PYTHONWARNINGS="ignore")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO,
                          timeout=args.timeout, check=False)
    if proc.returncode != 0:
        return {"engine": engine, "error": proc.stderr.strip().splitlines()[-1][:200]}
    res = json.loads(out.read_text())
    res["engine"] = engine
    res["px_per_s"] = res["pixels"] / res["seconds"]
    bpath = out.with_suffix(".breaks.npy")
    res["breaks_file"] = str(bpath) if bpath.exists() else None
    return res


def agreement(a_file, b_file) -> dict | None:
    if not a_file or not b_file:
        return None
    a, b = np.load(a_file), np.load(b_file)
    a = a[:b.size]
    ok = b != -2  # the peer's "too little data"
    a, b = a[ok], b[ok]
    both = (a >= 0) & (b >= 0)
    return {"pixels": int(a.size), "break_decision_equal": float(np.mean((a >= 0) == (b >= 0))),
            "both_break": int(both.sum()),
            "same_break_date": float(np.mean(a[both] == b[both])) if both.any() else None}


def run_config(T, N, missing, args) -> list[dict]:
    scratch = tempfile.mkdtemp(prefix="yvy-bench-")
    try:
        y, dates = make_cube(T, N, missing)
        np.save(Path(scratch) / "y.npy", y)
        (Path(scratch) / "dates.json").write_text(json.dumps(dates))
        del y
        caps = {"bfast": args.bfast_pixels, "nrt": args.nrt_pixels,
                "pyxccd": args.pyxccd_pixels, "yvy-roc": args.roc_pixels}
        rows = []
        for engine in args.engines:
            pixels = min(N, caps.get(engine, N))
            res = run_engine(engine, scratch, pixels, args, scratch)
            res.update(T=T, N=N, missing=missing, pixels_measured=pixels)
            rows.append(res)
        ref = next((r for r in rows if r["engine"] == "yvy" and "error" not in r), None)
        floor = next((r for r in rows if r["engine"] == "floor" and "error" not in r), None)
        for r in rows:
            if "error" in r or ref is None or r["engine"] in ("yvy", "yvy-roc"):
                continue
            r["yvy_over_engine"] = ref["px_per_s"] / r["px_per_s"]
            if r["engine"] in ("bfast", "nrt"):
                r["agreement_with_yvy"] = agreement(ref.get("breaks_file"), r.get("breaks_file"))
        if ref and floor:
            ref["times_floor"] = floor["px_per_s"] / ref["px_per_s"]
        for r in rows:
            r.pop("breaks_file", None)
        return rows
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def fmt_row(r) -> str:
    head = f"| {r['T']} | {r['N']:,} | {int(r['missing'] * 100)} % | {r['engine']} | "
    if "error" in r:
        return head + f"— | — | — | — | not run: {r['error']} |"
    note = []
    if r["pixels_measured"] < r["N"]:
        note.append(f"subset of {r['pixels_measured']:,} px")
    if "times_floor" in r:
        note.append(f"{r['times_floor']:.0f}x the floor")
    if r["engine"] == "yvy":
        note.append(f"{r['rss_base_mb']:,.0f} MB before the run (imports + cube)")
    if r.get("cpu_seconds"):
        note.append(f"{r['pixels_measured'] / r['cpu_seconds']:,.0f} px per CPU-second")
    ag = r.get("agreement_with_yvy")
    if ag:
        same = "n/a" if ag["same_break_date"] is None else f"{100 * ag['same_break_date']:.1f} %"
        note.append(f"break/no-break agree {100 * ag['break_decision_equal']:.1f} %, same date "
                    f"{same} of {ag['both_break']}")
    ratio = f"{r['yvy_over_engine']:.3g}" if "yvy_over_engine" in r else "—"
    return head + (f"{r['px_per_s']:,.0f} | {r['seconds']:.3f} | {r['peak_rss_mb']:,.0f} | "
                   f"{ratio} | {'; '.join(note)} |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--T", type=int, nargs="+", default=[100, 200])
    ap.add_argument("--N", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--missing", type=float, nargs="+", default=[0.0, 0.3])
    ap.add_argument("--engines", nargs="+", default=list(WORKERS),
                    choices=list(WORKERS))
    ap.add_argument("--threads", type=int, default=2, help="yvy threads (default 2)")
    ap.add_argument("--reps", type=int, default=3, help="yvy/floor repetitions (median kept)")
    ap.add_argument("--bfast-pixels", type=int, default=4_000)
    ap.add_argument("--nrt-pixels", type=int, default=20_000)
    ap.add_argument("--pyxccd-pixels", type=int, default=300)
    ap.add_argument("--roc-pixels", type=int, default=100_000)
    ap.add_argument("--timeout", type=int, default=900, help="seconds per engine run")
    ap.add_argument("--tag", default="bench_bfast", help="results file stem")
    # worker mode (internal)
    ap.add_argument("--worker", choices=list(WORKERS), help=argparse.SUPPRESS)
    ap.add_argument("--cube", help=argparse.SUPPRESS)
    ap.add_argument("--pixels", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker_main(args)
        return 0

    header = ("| T | N | missing | engine | pixels/s | seconds | peak RSS MB | yvy/engine | "
              "notes |\n|---|---|---|---|---|---|---|---|---|")
    print(header, flush=True)
    rows = []
    for T in args.T:
        for N in args.N:
            for missing in args.missing:
                for r in run_config(T, N, missing, args):
                    rows.append(r)
                    print(fmt_row(r), flush=True)
    machine = (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
               f"load average at the end {os.getloadavg()[0]:.1f}")
    meta = {"date": dt.datetime.now().isoformat(timespec="seconds"), "machine": machine,
            "python": sys.version.split()[0], "threads": args.threads}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.tag}.json").write_text(json.dumps({"meta": meta, "rows": rows},
                                                         indent=1, default=float))
    md = [f"BFAST Monitor benchmark, {meta['date']}, {machine}, yvy threads={args.threads}.",
          "", header] + [fmt_row(r) for r in rows]
    (RESULTS / f"{args.tag}.md").write_text("\n".join(md) + "\n")
    print(f"\n{machine}; results in {RESULTS}/{args.tag}.{{json,md}}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
