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
With ``--baseline REF`` the same four runs are made, in the same session on the same scenes, with
the ``src/`` of git revision ``REF`` (extracted to a temporary folder, its bytecode compiled, put
first on the child processes' ``PYTHONPATH``) as the peer.

Usage: python benchmarks/bench_compile.py [--repeats 1] [--baseline main]
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


def _env(cache: Path, src: Path | None) -> dict:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(src), *filter(None, [os.environ.get("PYTHONPATH")])])
    return env


def _detect(home: Path, cache: Path, first: str, bbox, src: Path | None = None) -> dict:
    env = _env(cache, src)
    out = subprocess.run([sys.executable, "-c", CHILD, str(home), first, json.dumps(list(bbox))],
                         env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _compile(cache: Path, src: Path | None = None) -> dict:
    env = _env(cache, src)
    yvy = str(Path(sys.executable).with_name("yvy"))
    cmd = [sys.executable, "-c", "import resource, subprocess, sys, time; w = time.perf_counter(); "
           f"subprocess.run([{yvy!r}, 'compile', '--json'], check=True, stdout=subprocess.DEVNULL); "
           "r = resource.getrusage(resource.RUSAGE_CHILDREN); "
           "print(time.perf_counter() - w, r.ru_utime + r.ru_stime)"]
    wall, cpu = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout.split()
    return {"wall_s": float(wall), "cpu_s": float(cpu)}


def _baseline_src(ref: str, root: Path) -> Path:
    """``src/`` of git revision ``ref``, extracted under ``root`` with its bytecode compiled."""
    import compileall
    import io
    import tarfile

    repo = Path(__file__).resolve().parents[1]
    tar = subprocess.run(["git", "-C", str(repo), "archive", "--format=tar", ref, "src"], check=True,
                         capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(tar)) as tf:
        tf.extractall(root, filter="data")
    compileall.compile_dir(root / "src", quiet=1)
    return root / "src"


def _label(name: str) -> str:
    return "yvy compile (install step)" if name == "compile" else f"detection, {name} cache"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--baseline", default=None, help="git revision whose src/ is measured as the peer")
    ap.add_argument("--note", default="")
    a = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    from _results import RESULTS, recorded

    from yvy.catalog.ingest import ingest_paths
    from yvy.config import Workspace
    from yvy.demo import generate_demo
    from yvy.storage import open_store

    variants = {"this": None}
    runs: dict = {}
    with recorded("bench_compile", a.repeats, a.note), tempfile.TemporaryDirectory(prefix="yvy-compile-") as tmp:
        root = Path(tmp)
        if a.baseline:
            variants[a.baseline] = _baseline_src(a.baseline, root / "baseline")
        ws = Workspace.create(root / "ws")
        demo = generate_demo(root / "demo", size_px=300, years=3, seed=0)
        ingest_paths(open_store(ws.database_url, create=True), [root / "demo" / "scenes"])
        first = min(demo.dates).isoformat()
        for v in variants:
            runs[v] = {"fresh": [], "compile": [], "compiled": [], "warm": []}
        for r in range(a.repeats):
            for v, src in variants.items():
                rv = runs[v]
                rv["fresh"].append(_detect(ws.home, root / f"cache-{v}-fresh-{r}", first, demo.bounds_lonlat, src))
                rv["compile"].append(_compile(root / f"cache-{v}-{r}", src))
                rv["compiled"].append(_detect(ws.home, root / f"cache-{v}-{r}", first, demo.bounds_lonlat, src))
                rv["warm"].append(_detect(ws.home, root / f"cache-{v}-{r}", first, demo.bounds_lonlat, src))
        px = runs["this"]["fresh"][0]["pixels"]
        print(f"demo detection step: {px:,} pixels x {len(demo.dates)} scenes; medians of {a.repeats}")
        summary: dict = {}
        for v, rv in runs.items():
            if len(variants) > 1:
                print(f"-- {'this tree' if v == 'this' else 'baseline: src/ of ' + v}")
            summary[v] = {}
            for name, rows in rv.items():
                summary[v][name] = {k: statistics.median(x[k] for x in rows) for k in ("wall_s", "cpu_s")}
                print(f"{_label(name):<30} wall {summary[v][name]['wall_s']:7.2f} s   "
                      f"CPU {summary[v][name]['cpu_s']:7.2f} s")
        if a.baseline:
            print("-- CPU ratio, baseline / this tree")
            for name in runs["this"]:
                print(f"{_label(name):<30} {summary[a.baseline][name]['cpu_s'] / summary['this'][name]['cpu_s']:5.2f}x")
    (RESULTS / "bench_compile.json").write_text(json.dumps({"pixels": px, "runs": runs, "medians": summary},
                                                           indent=1) + "\n")


if __name__ == "__main__":
    main()
