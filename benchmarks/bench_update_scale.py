"""Benchmark: CPU-µs per pixel of one-scene ``yvy monitor update`` (alerts included) at a larger
scale than bench_national's, where per-run fixed costs no longer hide what grows with the pixels
and with the alerts, split by stage as in bench_national.

One workspace is built as bench_national builds its M-month scenario (demo Sentinel-2 COGs of
``--size`` px square, ingest, ``yvy detect``, ingest of the newest scene); then this interpreter
and ``--baseline-python`` each run the update ``--repeats`` times, every run on a fresh copy of
that same workspace (after one warm-up run), so both code paths start from the same files and
the same alerts. Figures are medians of the runs (CPU time of the process, all threads).

``--workspace DIR`` keeps the built workspace in DIR (``DIR/m<months>``) and reuses it when it is
already there.

Usage: python benchmarks/bench_update_scale.py [--size 1000] [--months 36] [--repeats 2]
       [--baseline-python PATH] [--workspace DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import bench_national as bn  # noqa: E402


def build(root: Path, size: int, months: int, chunk: int = 512) -> Path:
    """The workspace of bench_national's ``months`` scenario, ready for the update (``root/m<months>``)."""
    from yvy.demo import generate_demo

    home = root / f"m{months}"
    if (home / "yvy.toml").exists():
        return home
    demo = generate_demo(root / "scenes", size_px=size, years=4, seed=0)
    pairs = sorted(zip(demo.dates, demo.scene_dirs, strict=True))
    dates, scenes = [d for d, _ in pairs], [s for _, s in pairs]
    mstart = date(dates[0].year + 1, 1, 1)
    end_m = mstart.month - 1 + months
    cut = date(mstart.year + end_m // 12, end_m % 12 + 1, 1)
    use = [s for s, d in zip(scenes, dates, strict=True) if d < cut]
    bn._cli(home, "init", str(home))
    bn._cli(home, "ingest", *map(str, use[:-1]))
    minx, miny, maxx, maxy = demo.bounds_lonlat
    bn._cli(home, "detect", "--bbox", f"{minx},{miny},{maxx},{maxy}", "--index", "ndvi",
            "--history-start", dates[0].isoformat(), "--monitor-start", mstart.isoformat(),
            "--direction", "negative", "--collection", "sentinel-2-l2a", "--chunk", str(chunk))
    bn._cli(home, "ingest", str(use[-1]))
    return home


def measure(home: Path, repeats: int) -> dict:
    """Median CPU seconds (total and per stage) of ``repeats`` updates, each on a fresh copy."""
    st = bn._instrument()
    bn._warm_kernels()
    runs = []
    with tempfile.TemporaryDirectory(prefix="yvy-update-scale-", dir=home.parent) as tmp:
        for r in range(repeats + 1):  # the first run warms imports and caches up
            copy = Path(tmp) / f"r{r}"
            shutil.copytree(home, copy)
            out: dict = {}
            with bn._measured(st, out):
                bn._cli(copy, "monitor", "update")
            shutil.rmtree(copy)
            if r:
                runs.append(out)
    return {"cpu_s": statistics.median(u["cpu_s"] for u in runs),
            "wall_s": statistics.median(u["wall_s"] for u in runs),
            "stages": {k: statistics.median(u["stages"][k] for u in runs) for k in bn.STAGES},
            "python": sys.executable}


def _alerts(home: Path) -> int:
    import sqlite3

    with sqlite3.connect(home / "yvy.db") as c:
        return int(c.execute("SELECT count(*) FROM alerts").fetchone()[0])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=1000)
    ap.add_argument("--months", type=int, default=36)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--baseline-python", help="also run the updates under this interpreter (the old path)")
    ap.add_argument("--workspace", help="build the workspace here (reused when present)")
    ap.add_argument("--measure", help=argparse.SUPPRESS)  # child run: measure this workspace
    ap.add_argument("--json-out", help=argparse.SUPPRESS)
    ap.add_argument("--note", default="")
    a = ap.parse_args()
    if a.measure:
        Path(a.json_out).write_text(json.dumps(measure(Path(a.measure), a.repeats)))
        return
    from _results import recorded

    with tempfile.TemporaryDirectory(prefix="yvy-update-scale-") as tmp:
        root = Path(a.workspace) if a.workspace else Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        home = build(root, a.size, a.months)
        with recorded("bench_update_scale", a.repeats, a.note):
            px = a.size * a.size
            res = {"this": measure(home, a.repeats)}
            if a.baseline_python:
                with tempfile.NamedTemporaryFile(suffix=".json") as f:
                    subprocess.run([a.baseline_python, __file__, "--measure", str(home), "--repeats",
                                    str(a.repeats), "--json-out", f.name], check=True)
                    res["baseline"] = json.loads(Path(f.name).read_text())
            print(f"{px:,} px ({a.size} x {a.size}), one-scene update after {a.months} months, "
                  f"{_alerts(home)} alerts stored before it, median of {a.repeats} updates\n")
            print(f"{'code':<10}{'CPU-us/px':>10}{'wall s':>8}  " + " ".join(f"{s:>7}" for s in bn.STAGES))
            for label, r in res.items():
                print(f"{label:<10}{bn._us(r['cpu_s'], px):>10.2f}{r['wall_s']:>8.2f}  "
                      + " ".join(f"{bn._us(r['stages'][k], px):>7.2f}" for k in bn.STAGES))
            if "baseline" in res:
                print(f"\nupdate CPU new/old {res['this']['cpu_s'] / res['baseline']['cpu_s']:.2f}")


if __name__ == "__main__":
    main()
