"""Benchmark ``yvy fires ingest``: N FIRMS-like VIIRS hotspots (synthetic, around ``--fires`` ignition
points over the Paraguayan Chaco, two days) read from CSV, stored in a fresh SQLite workspace and
clustered into fire events (DBSCAN, haversine + time), with and without the Paraguay
departments and border as context layers (Natural Earth, from the shared data when present).

Usage::

    .venv/bin/python benchmarks/bench_fires.py --n 100000 --runs 3

Results: ``benchmarks/results/bench_fires.{json,md}``. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = Path(os.environ.get("YVY_TEST_DATA", HERE.parent.parent / "shared" / "data"))


def write_csv(path: Path, n: int, fires: int) -> None:
    from yvy.testing.disaster import firms_rows

    rows = firms_rows(n, fires=fires, seed=1)
    cols = [c for c in rows[0] if c != "truth"]
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, cols, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


def context_layers():
    from yvy.alerts.context import read_layer

    deps = DATA / "vectors" / "paraguay_departments_ne10m.geojson"
    if not deps.exists():
        return []
    layers = [read_layer(deps, kind="admin", name_field="name"),
              read_layer(DATA / "vectors" / "paraguay_international_borders_ne10m.geojson", kind="border_zone",
                         name_field="neighbour")]
    return [f for lyr in layers for f in lyr.features]


def one_run(csv_path: Path, context) -> tuple[float, dict]:
    from yvy.disaster.fires import ingest_fires
    from yvy.storage import open_store
    from yvy.storage.fires import SQLFireStore

    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{tmp}/yvy.db", create=True)
        t0, c0 = time.perf_counter(), time.process_time()
        res = ingest_fires([csv_path], SQLFireStore(store), context=context)
        dt, cpu = time.perf_counter() - t0, time.process_time() - c0
        store.close()
    return dt, res.to_dict() | {"cpu_s": cpu}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--fires", type=int, default=3000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "firms.csv"
        write_csv(path, args.n, args.fires)
        one_run(path, [])  # warm imports outside the timing
        ctx = context_layers()
        out = {"hotspots": args.n, "fires": args.fires, "runs": args.runs, "cpus": os.cpu_count(),
               "load_avg_1_5_15": [round(x, 1) for x in os.getloadavg()], "cases": {}}
        for name, layers in (("no context", []), ("departments + border", ctx)):
            if name != "no context" and not layers:
                continue
            times, cpus, res = [], [], None
            for _ in range(args.runs):
                dt, res = one_run(path, layers)
                times.append(dt)
                cpus.append(res["cpu_s"])
            out["cases"][name] = {"seconds": [round(t, 2) for t in times],
                                  "median_s": round(statistics.median(times), 2),
                                  "median_cpu_s": round(statistics.median(cpus), 2),
                                  "events": res["events"], "inserted": res["inserted"]}
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "bench_fires.json").write_text(json.dumps(out, indent=1))
    lines = [f"# bench_fires\n\n`benchmarks/bench_fires.py --n {args.n} --fires {args.fires} --runs {args.runs}`\n",
             "| case | hotspots | events | median wall s (read CSV + store + DBSCAN + events) | median CPU s |",
             "|---|---|---|---|---|"]
    for name, c in out["cases"].items():
        lines.append(f"| {name} | {c['inserted']} | {c['events']} | {c['median_s']} | {c['median_cpu_s']} |")
    lines.append(f"\nSynthetic VIIRS rows (yvy.testing.disaster.firms_rows, seed 1); fresh SQLite workspace per run; "
                 f"{out['cpus']} CPUs, load average {out['load_avg_1_5_15']} (shared machine).\n")
    md = "\n".join(lines)
    (HERE / "results" / "bench_fires.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
