"""Benchmark: cost of an incremental update with one new Sentinel-2 scene against a full run,
on catalog scenes (the demo generator's Sentinel-2 L2A COGs, read through odc-stac with their SCL
masks), which is how a national deployment runs.

All scenes but the newest are ingested; ``run_detection`` fits and monitors them (stored model);
then the newest scene is ingested and ``update_monitoring`` advances the model with it. The same
full detection on all scenes (a fresh workspace) is the reference cost. Medians of ``--repeats``.

Usage: python benchmarks/bench_incremental.py [--size 600] [--years 3] [--repeats 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path


def _ws(root: Path):
    from yvy.config import Workspace
    from yvy.storage import open_store

    ws = Workspace.create(root)
    return ws, open_store(ws.database_url, create=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=600)
    ap.add_argument("--years", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--note", default="", help="a line for the results file (e.g. the machine's load)")
    a = ap.parse_args()
    from _results import recorded

    with recorded("bench_incremental", a.repeats, a.note):
        _run(a)


def _run(a) -> None:
    from yvy.catalog.ingest import ingest_paths
    from yvy.change.detect import DetectRequest, run_detection
    from yvy.change.monitor import update_monitoring
    from yvy.demo import generate_demo

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        demo = generate_demo(root / "demo", size_px=a.size, years=a.years, seed=0)
        scenes = [d for _, d in sorted(zip(demo.dates, demo.scene_dirs, strict=False))]  # by date, not by name
        older, newest = scenes[:-1], scenes[-1:]
        first = demo.dates[0]
        req = DetectRequest(history_start=first.isoformat(),
                            monitor_start=date(first.year + a.years - 1, 1, 1).isoformat(),
                            index="ndvi", bbox=tuple(demo.bounds_lonlat), collection="sentinel-2-l2a",
                            direction="negative")
        fulls, updates, refs = [], [], []
        for r in range(a.repeats):
            ws, store = _ws(root / f"inc{r}")
            ingest_paths(store, older)
            t0 = time.perf_counter()
            item = run_detection(store, ws, req)
            fulls.append(time.perf_counter() - t0)
            ingest_paths(store, newest)
            t0 = time.perf_counter()
            update_monitoring(store, ws, item["id"])
            updates.append(time.perf_counter() - t0)
            ws2, store2 = _ws(root / f"ref{r}")
            ingest_paths(store2, scenes)
            t0 = time.perf_counter()
            run_detection(store2, ws2, req)
            refs.append(time.perf_counter() - t0)
            shutil.rmtree(root / f"inc{r}")
            shutil.rmtree(root / f"ref{r}")
        full, upd, ref = (statistics.median(v) for v in (fulls, updates, refs))
        px = a.size * a.size
        print(f"{len(scenes)} scenes of {a.size}x{a.size} px (S2 L2A COGs, SCL masked), monitoring the last year")
        print(f"full detection on {len(scenes) - 1} scenes: {full:6.2f} s ({px / full:9,.0f} px/s)")
        print(f"full detection on {len(scenes)} scenes:     {ref:6.2f} s ({px / ref:9,.0f} px/s)")
        print(f"incremental update with 1 new scene: {upd:6.2f} s ({px / upd:9,.0f} px/s)")
        print(f"update / full run on the same data: {upd / ref:.3f}  (median of {a.repeats})")


if __name__ == "__main__":
    main()
