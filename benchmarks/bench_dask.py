"""Benchmark: detection throughput with 1 and 2 Dask workers (parallel efficiency), the cost of an
incremental update, and the capacity plan for Paraguay computed from those measured costs.

A stack of ``--dates`` int16 bands over a ``--size`` square tile (the VRT-over-one-real-tile stack
of ``bench_detect_stream.py``: every read is a real windowed GeoTIFF read and decode) is detected
with ``run_detection`` on a LocalCluster of 1 and of 2 single-threaded worker processes; then one
new date arrives and ``update_monitoring`` advances the stored model on the same cluster. Each
configuration runs ``--repeats`` times in a fresh workspace; medians are reported.

The capacity plan (written to ``benchmarks/results/bench_dask.md`` with ``--write``) scales the measured
CPU-seconds per pixel to Paraguay: about 407,000 km2 covered by about 40 Sentinel-2 tiles
(10,980^2 px each at 10 m), a 5-day revisit (8 tile-scenes a day), a refit history of
``--refit-dates`` dates (kernel and read costs taken as linear in the number of dates).

Usage: python benchmarks/bench_dask.py [--size 2048] [--dates 100] [--chunk 512] [--repeats 3] [--write]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_detect_stream import band_dates, write_tile, write_vrt  # noqa: E402

PARAGUAY_KM2 = 407_000
TILES = 40
TILE_PX = 10_980**2
REVISIT_DAYS = 5


def _workspace(root: Path):
    from yvy.config import Workspace
    from yvy.storage import open_store

    ws = Workspace.create(root)
    return ws, open_store(ws.database_url, create=True)


def run_once(root: Path, vrt: Path, vrt_next: Path, dates: list[str], chunk: int, workers: int) -> dict:
    from distributed import Client, LocalCluster

    from yvy.change.detect import DetectRequest, run_detection
    from yvy.change.monitor import update_monitoring
    from yvy.cluster import chunk_executor

    ws, store = _workspace(root)
    req = DetectRequest(history_start=dates[0], monitor_start=dates[int(0.8 * len(dates))], stack=str(vrt),
                        chunk=chunk)
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=50) as cluster, Client(cluster) as client, \
            chunk_executor(client=client) as runner:
        client.run(lambda: None)  # workers up before timing
        t0 = time.perf_counter()
        item = run_detection(store, ws, req, runner=runner)
        full = time.perf_counter() - t0
        t0 = time.perf_counter()
        update_monitoring(store, ws, item["id"], stack=str(vrt_next), runner=runner)
        upd = time.perf_counter() - t0
    return {"full": full, "update": upd}


def capacity(cost_full_px: float, cost_update_px: float, dates: int, refit_dates: int, efficiency: float) -> dict:
    """CPU-hours for Paraguay from CPU-seconds per pixel (one core)."""
    px_all = TILES * TILE_PX
    px_day = px_all / REVISIT_DAYS
    inc = px_day * cost_update_px / 3600
    refit = px_all * cost_full_px * (refit_dates / dates) / 3600
    return {
        "pixels_all": px_all, "pixels_per_day": px_day,
        "incremental_cpu_h_per_day": inc, "refit_cpu_h": refit,
        "workers_for_1h_update": math.ceil(inc / max(efficiency, 1e-9)),
        "workers_for_1h_refit": math.ceil(refit / max(efficiency, 1e-9)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=2048)
    ap.add_argument("--dates", type=int, default=100)
    ap.add_argument("--chunk", type=int, default=512)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--refit-dates", type=int, default=365, help="history dates of a national refit (5 years)")
    ap.add_argument("--write", action="store_true", help="write benchmarks/results/bench_dask.md")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        tile = root / "tile.tif"
        write_tile(tile, a.size)
        dates = band_dates(a.dates + 1)
        vrt, vrt_next = root / "stack.vrt", root / "stack_next.vrt"
        write_vrt(vrt, tile, a.size, dates[:-1])
        write_vrt(vrt_next, tile, a.size, dates)
        px = a.size * a.size
        res = {}
        for workers in (1, 2):
            runs = [run_once(root / f"w{workers}-{r}", vrt, vrt_next, dates[:-1], a.chunk, workers)
                    for r in range(a.repeats)]
            res[workers] = {k: statistics.median(r[k] for r in runs) for k in ("full", "update")}
            print(f"{workers} worker(s): full detect {res[workers]['full']:7.2f} s "
                  f"({px / res[workers]['full']:10,.0f} px/s), update +1 date {res[workers]['update']:6.2f} s "
                  f"({px / res[workers]['update']:10,.0f} px/s)  [median of {a.repeats}]", flush=True)
    eff_full = res[1]["full"] / (2 * res[2]["full"])
    eff_upd = res[1]["update"] / (2 * res[2]["update"])
    ratio = res[1]["update"] / res[1]["full"]
    print(f"parallel efficiency with 2 workers: full {eff_full:.2f}, update {eff_upd:.2f}; "
          f"update/full cost ratio {ratio:.2f}")
    cost_full = res[1]["full"] / px
    cost_upd = res[1]["update"] / px
    plan = capacity(cost_full, cost_upd, a.dates, a.refit_dates, min(eff_full, 1.0))
    lines = [
        f"- Measured (1 worker = 1 core, {a.size}^2 px, {a.dates} int16 dates, chunk {a.chunk}): full detection "
        f"{cost_full * 1e6:.2f} CPU-µs/px, incremental update with one new date {cost_upd * 1e6:.2f} CPU-µs/px; "
        f"2 workers: parallel efficiency {eff_full:.2f} (full), {eff_upd:.2f} (update).",
        f"- Paraguay: {TILES} tiles x 10,980^2 px = {plan['pixels_all'] / 1e9:.2f} G px (tile overlap included); "
        f"{TILES // REVISIT_DAYS} tile-scenes a day = {plan['pixels_per_day'] / 1e9:.2f} G px a day.",
        f"- Incremental monitoring: **{plan['incremental_cpu_h_per_day']:.1f} CPU-hours a day**; a 1-hour daily "
        f"update needs **{plan['workers_for_1h_update']} worker cores**.",
        f"- Full refit ({a.refit_dates} history dates): **{plan['refit_cpu_h']:.0f} CPU-hours**; in one hour it needs "
        f"{plan['workers_for_1h_refit']} worker cores (or {math.ceil(plan['refit_cpu_h'] / 24)} cores for a day).",
    ]
    print("\n".join(lines))
    if a.write:
        Path("benchmarks/results/bench_dask.md").write_text("\n".join(lines) + "\n")
        print("wrote benchmarks/results/bench_dask.md")


if __name__ == "__main__":
    main()
