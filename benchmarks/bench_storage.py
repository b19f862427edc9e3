"""Benchmark: the storage layer's common operations, this tree against another yvy checkout.

For each store operation the serving and update paths use (item upsert, item bbox search,
alert insert, alert bbox search with count, one review with its audit entry, alert by id), runs
it on a fresh SQLite workspace database (or PostGIS with ``--url``) and reports the median
process CPU time per operation over ``--runs`` runs (CPU, not wall time: the machine is shared,
and SQLite runs in-process, so CPU is what the storage code costs). With ``--baseline PATH``
(the ``src`` folder of another checkout, e.g. ``git archive <commit> src``) the same script
runs there in a subprocess and the ratio new/old is printed: the cost of SQLAlchemy Core over
hand-written SQL.

Usage: python benchmarks/bench_storage.py [--runs 5] [--n 300] [--baseline /tmp/yvy-main/src]
       [--baseline-label "main at c6c6fce"] [--json benchmarks/results/bench_storage.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def _item(i: int) -> dict:
    x = (i % 50) * 0.1
    y = (i // 50) * 0.1
    ring = [[x, y], [x + 0.1, y], [x + 0.1, y + 0.1], [x, y + 0.1], [x, y]]
    return {"type": "Feature", "stac_version": "1.1.0", "id": f"S{i:05d}", "collection": "c",
            "bbox": [x, y, x + 0.1, y + 0.1], "geometry": {"type": "Polygon", "coordinates": [ring]},
            "properties": {"datetime": f"2024-01-{1 + i % 28:02d}T10:00:00Z", "eo:cloud_cover": i % 100},
            "assets": {}, "links": []}


def _alert_store(store):
    try:
        from yvy.storage.alerts import SQLAlertStore
    except ImportError:  # a checkout before SQLAlertStore took this name
        from yvy.storage.alerts_sqlite import SQLiteAlertStore as SQLAlertStore
    return SQLAlertStore(store)


def one_run(url: str, n: int) -> dict:
    """Seconds per operation (mean over the operations of this run)."""
    from shapely.geometry import box

    from yvy.alerts import review_alert
    from yvy.alerts.model import Alert
    from yvy.alerts.ports import AlertQuery
    from yvy.catalog.ports import ItemQuery
    from yvy.storage import open_store

    s = open_store(url, create=True)
    s.upsert_collection({"id": "c", "type": "Collection"})
    a = _alert_store(s)
    out = {}
    t = time.process_time()
    for i in range(n):
        s.upsert_item(_item(i))
    out["item upsert"] = (time.process_time() - t) / n
    boxes = [((k % 40) * 0.1, (k // 40 % 5) * 0.1, (k % 40) * 0.1 + 0.5, (k // 40 % 5) * 0.1 + 0.3) for k in range(50)]
    t = time.process_time()
    for b in boxes:
        s.search_items(ItemQuery(bbox=b, limit=10))
    out["item bbox search (limit 10)"] = (time.process_time() - t) / len(boxes)
    t = time.process_time()
    ids = []
    for i in range(n):
        aid = a.next_alert_id("PY", 2024)
        a.insert_alert(Alert(id=aid, geometry=box((i % 50) * 0.1, (i // 50) * 0.1, (i % 50) * 0.1 + 0.05,
                                                 (i // 50) * 0.1 + 0.05), area_ha=1.0, first_detected="2024-01-05"))
        ids.append(aid)
    out["alert id + insert"] = (time.process_time() - t) / n
    t = time.process_time()
    for b in boxes:
        a.find_alerts(AlertQuery(bbox=b, limit=10))
        a.count_alerts(AlertQuery(bbox=b))
    out["alert bbox page + count"] = (time.process_time() - t) / len(boxes)
    t = time.process_time()
    for aid in ids[:50]:
        review_alert(a, aid, "under_review", by="bench")
    out["review (alert, review row, audit entry)"] = (time.process_time() - t) / 50
    t = time.process_time()
    for aid in ids:
        a.get_alert(aid)
    out["alert by id"] = (time.process_time() - t) / n
    s.close()
    return out


def measure(runs: int, n: int, url: str | None) -> dict:
    """Median seconds per operation over ``runs`` runs (each on a fresh database)."""
    per_op: dict[str, list[float]] = {}
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as d:
            res = one_run(url or f"sqlite:///{d}/yvy.db", n)
        for k, v in res.items():
            per_op.setdefault(k, []).append(v)
    return {k: statistics.median(v) for k, v in per_op.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--url", default=None, help="an empty PostGIS database (default: SQLite files)")
    ap.add_argument("--baseline", default=None, help="src folder of another yvy checkout")
    ap.add_argument("--baseline-label", default=None, help="what the baseline is (recorded in the JSON)")
    ap.add_argument("--json", default=None)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    new = measure(args.runs, args.n, args.url)
    if args.child:
        print(json.dumps(new))
        return
    doc = {"runs": args.runs, "n": args.n, "engine": "postgresql" if args.url else "sqlite",
           "clock": "process CPU time", "median_ms": {k: round(v * 1e3, 3) for k, v in new.items()}}
    if args.baseline:
        env = {**os.environ, "PYTHONPATH": args.baseline}
        cmd = [sys.executable, __file__, "--child", "--runs", str(args.runs), "--n", str(args.n)]
        old = json.loads(subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout)
        doc["baseline"] = args.baseline_label or args.baseline
        doc["baseline_median_ms"] = {k: round(v * 1e3, 3) for k, v in old.items()}
        doc["ratio_new_over_baseline"] = {k: round(new[k] / old[k], 2) for k in new}
    print(f"median CPU ms per operation over {args.runs} runs ({doc['engine']}, n={args.n})")
    for k, v in doc["median_ms"].items():
        extra = (f"  baseline {doc['baseline_median_ms'][k]:.3f}  ratio {doc['ratio_new_over_baseline'][k]:.2f}"
                 if args.baseline else "")
        print(f"  {k:42s} {v:8.3f}{extra}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
