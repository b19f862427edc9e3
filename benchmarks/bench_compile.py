"""Benchmark: the demo's detection step with an empty numba cache, after ``yvy compile``, and warm.

The demo's scenes (``yvy demo`` defaults: 300 px, 3 years at a 5-day revisit, seed 0) are
generated and ingested once; then, each in a fresh process with ``NUMBA_CACHE_DIR`` set to a new
empty folder (a fresh install):

1. ``fresh``: the demo's detection (``run_detection`` with the demo's request) compiles every
   kernel it meets;
2. ``yvy compile`` (the install step) into another empty cache, then the same detection in a new
   process (``compiled``), and once more (``warm``: the OS file cache holds the scenes too).

Reported: wall seconds and CPU seconds of each detection process's detection step, and of
``yvy compile``. Medians of ``--repeats`` (the fresh run compiles each time: its own empty cache).

Usage: python benchmarks/bench_compile.py [--repeats 1]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
from datetime import date
from pathlib import Path
from yvy.change.detect import DetectRequest, run_detection
from yvy.config import Workspace
from yvy.storage import open_store
home, first, bbox = sys.argv[1], date.fromisoformat(sys.argv[2]), json.loads(sys.argv[3])
ws = Workspace.open(home)
store = open_store(ws.database_url)
req = DetectRequest(history_start=first.isoformat(), monitor_start=date(first.year + 2, 1, 1).isoformat(),
                    index="ndvi", bbox=tuple(bbox), collection="sentinel-2-l2a", direction="negative")
c0, w0 = time.process_time(), time.perf_counter()
item = run_detection(store, ws, req)
print(json.dumps({"wall_s": time.perf_counter() - w0, "cpu_s": time.process_time() - c0,
                  "pixels": item["properties"]["yvy:summary"]["pixels"]}))
"""


def _detect(home: Path, cache: Path, first: str, bbox) -> dict:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    out = subprocess.run([sys.executable, "-c", CHILD, str(home), first, json.dumps(list(bbox))],
                         env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _compile(cache: Path) -> dict:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    yvy = str(Path(sys.executable).with_name("yvy"))
    cmd = [sys.executable, "-c", "import resource, subprocess, sys, time; w = time.perf_counter(); "
           f"subprocess.run([{yvy!r}, 'compile', '--json'], check=True, stdout=subprocess.DEVNULL); "
           "r = resource.getrusage(resource.RUSAGE_CHILDREN); "
           "print(time.perf_counter() - w, r.ru_utime + r.ru_stime)"]
    wall, cpu = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout.split()
    return {"wall_s": float(wall), "cpu_s": float(cpu)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--note", default="")
    a = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    from _results import RESULTS, recorded

    from yvy.catalog.ingest import ingest_paths
    from yvy.config import Workspace
    from yvy.demo import generate_demo
    from yvy.storage import open_store

    runs: dict = {"fresh": [], "compile": [], "compiled": [], "warm": []}
    with recorded("bench_compile", a.repeats, a.note), tempfile.TemporaryDirectory(prefix="yvy-compile-") as tmp:
        root = Path(tmp)
        ws = Workspace.create(root / "ws")
        demo = generate_demo(root / "demo", size_px=300, years=3, seed=0)
        ingest_paths(open_store(ws.database_url, create=True), [root / "demo" / "scenes"])
        first = min(demo.dates).isoformat()
        for r in range(a.repeats):
            runs["fresh"].append(_detect(ws.home, root / f"cache-fresh-{r}", first, demo.bounds_lonlat))
            runs["compile"].append(_compile(root / f"cache-{r}"))
            runs["compiled"].append(_detect(ws.home, root / f"cache-{r}", first, demo.bounds_lonlat))
            runs["warm"].append(_detect(ws.home, root / f"cache-{r}", first, demo.bounds_lonlat))
        px = runs["fresh"][0]["pixels"]
        print(f"demo detection step: {px:,} pixels x {len(demo.dates)} scenes; medians of {a.repeats}")
        summary = {}
        for name, rows in runs.items():
            summary[name] = {k: statistics.median(x[k] for x in rows) for k in ("wall_s", "cpu_s")}
            label = "yvy compile (install step)" if name == "compile" else f"detection, {name} cache"
            print(f"{label:<30} wall {summary[name]['wall_s']:7.2f} s   CPU {summary[name]['cpu_s']:7.2f} s")
    (RESULTS / "bench_compile.json").write_text(json.dumps({"pixels": px, "runs": runs, "medians": summary},
                                                           indent=1) + "\n")


if __name__ == "__main__":
    main()
