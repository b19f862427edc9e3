"""Check: the alert step of a one-scene update writes the same alerts as the old code, field by
field and vertex for vertex, on bench_update_scale's workspace; and every component's polygon
built from its pixel pieces without a union is the union's once simplified and normalised.

The workspace ``DIR/m<months>`` of ``bench_update_scale.py --workspace DIR`` is copied and
advanced by ``yvy monitor update --no-alerts``; then this interpreter and ``--baseline-python``
each run ``yvy alerts update`` for that product on their own copy, and the alerts (every column
but the write times), the audit entries (alert, action, payload, in order), merges, id counters
and the run summaries are compared. CPU seconds of the two alert steps are printed (single runs).

Usage: python benchmarks/check_alert_update.py --workspace DIR [--size 1000] [--months 36]
       [--baseline-python PATH]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import bench_national as bn  # noqa: E402


def _product(home: Path) -> str:
    with sqlite3.connect(home / "yvy.db") as c:
        return c.execute("SELECT id FROM items WHERE collection = 'yvy-detections'").fetchone()[0]


def _state(home: Path) -> dict:
    c = sqlite3.connect(home / "yvy.db")
    c.row_factory = sqlite3.Row

    def rows(sql):
        return [dict(r) for r in c.execute(sql)]

    alerts = rows("SELECT * FROM alerts ORDER BY id")
    for a in alerts:
        for k in ("pk", "change_seq", "updated", "created"):
            a.pop(k, None)
    out = {"alerts": alerts,
           "audit": rows("SELECT alert_id, action, actor, payload FROM audit_log ORDER BY seq"),
           "merges": rows("SELECT survivor, absorbed, product_id FROM alert_merges ORDER BY pk"),
           "counters": rows("SELECT * FROM alert_counters ORDER BY prefix, year"),
           "runs": [r["summary"] for r in rows("SELECT summary FROM alert_runs ORDER BY pk")]}
    c.close()
    return out


def run_alerts(pre: Path, out: Path) -> None:
    """Child run: ``yvy alerts update`` on a copy of ``pre``; its state and CPU seconds to ``out``."""
    with tempfile.TemporaryDirectory(dir=pre.parent) as tmp:
        home = Path(tmp) / "w"
        shutil.copytree(pre, home)
        import yvy.cli.main  # noqa: F401  (imports outside the timing)

        c0 = time.process_time()
        bn._cli(home, "alerts", "update", "--product", _product(home))
        cpu = time.process_time() - c0
        out.write_text(json.dumps({"cpu_s": cpu, "state": _state(home)}, default=str))


def components(pre: Path) -> tuple[int, int]:
    """(components, those whose polygon differs from the union's) of the product's kept pixels."""
    import numpy as np
    import shapely
    from rasterio.features import shapes
    from shapely.geometry import shape

    from yvy.alerts import _geo
    from yvy.alerts.layers import layers_from_item
    from yvy.alerts.vectorize import AlertParams, _component, loss_mask
    from yvy.kernels.label import label_windowed
    from yvy.storage import open_store

    st = open_store(f"sqlite:///{pre / 'yvy.db'}")
    layers = layers_from_item(st.get_item("yvy-detections", _product(pre)))
    params = AlertParams()
    bd = np.asarray(layers.break_days, dtype=np.float64)
    labels, _ = label_windowed(loss_mask(layers, params), bd, params.window_days, params.connectivity,
                               starts=np.asarray(layers.prev_obs_days, dtype=np.float64))
    parts: dict[int, list] = {}
    for geom, value in shapes(labels, mask=labels > 0, connectivity=4, transform=layers.transform):
        parts.setdefault(int(value), []).append(shape(geom))

    def final(g):
        g = shapely.simplify(g, 0.0, preserve_topology=True)
        return shapely.normalize(_geo.reproject(g, layers.crs, _geo.WGS84))

    differ = 0
    for ps in parts.values():
        a, b = final(shapely.union_all(ps)), final(_component(ps))
        differ += a.geom_type != b.geom_type or not shapely.equals_exact(a, b, tolerance=0.0)
    st.close()
    return len(parts), differ


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workspace", required=True, help="bench_update_scale's --workspace (built there if absent)")
    ap.add_argument("--size", type=int, default=1000)
    ap.add_argument("--months", type=int, default=36)
    ap.add_argument("--baseline-python", help="the old code's interpreter")
    ap.add_argument("--alerts-of", help=argparse.SUPPRESS)  # child run
    ap.add_argument("--json-out", help=argparse.SUPPRESS)
    ap.add_argument("--note", default="")
    a = ap.parse_args()
    if a.alerts_of:
        run_alerts(Path(a.alerts_of), Path(a.json_out))
        return
    import bench_update_scale as bus
    from _results import recorded

    home = bus.build(Path(a.workspace), a.size, a.months)
    with tempfile.TemporaryDirectory(dir=home.parent) as tmp:
        pre = Path(tmp) / "pre"
        shutil.copytree(home, pre)
        bn._cli(pre, "monitor", "update", "--no-alerts")
        with recorded("check_alert_update", 1, a.note):
            res = {}
            for label, python in (("this", sys.executable), ("baseline", a.baseline_python)):
                if python is None:
                    continue
                out = Path(tmp) / f"{label}.json"
                subprocess.run([python, __file__, "--workspace", a.workspace, "--alerts-of", str(pre),
                                "--json-out", str(out)], check=True)
                res[label] = json.loads(out.read_text())
            state = res["this"]["state"]
            print(f"{a.size} x {a.size} px, one-scene update after {a.months} months: "
                  f"{len(state['alerts'])} alerts, {len(state['audit'])} audit entries after the alert step")
            for label, r in res.items():
                print(f"alert step CPU s ({label}, single run): {r['cpu_s']:.2f}")
            if "baseline" in res:
                same = {k: state[k] == res["baseline"]["state"][k] for k in state}
                print("same as the baseline: " + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in same.items()))
            n, differ = components(pre)
            print(f"components of the product's loss pixels: {n}; polygon without a union differs from the "
                  f"union's: {differ}")


if __name__ == "__main__":
    main()
