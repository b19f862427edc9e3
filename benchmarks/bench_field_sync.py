"""Offline sync of a 20 x 20 km area on loopback: the field app's plan (the size shown before the
download) and the download of everything it lists (200 alerts with their details, chips and
reports, imagery tiles to zoom 16), as field.js does it: six connections at a time (a browser's
per-host limit over HTTP/1.1).

Builds a workspace of four 20 km Sentinel-2-like scenes at 10 m (2000 x 2000 px, tests/api/_build)
with 200 alerts spread over the area, runs ``yvy serve``'s app in a subprocess (uvicorn, one
process) and times each run; prints the median, the tile count and the estimated against the
downloaded bytes. Target: at most 60 s. Then, once, the imagery tiles alone: in runs of a row (the
sync's way) against the same tiles from ``/tiles`` one by one (a GDAL warp per band and tile),
wall time and the server's CPU time of each.

Run: ``.venv/bin/python benchmarks/bench_field_sync.py [--runs 3] [--minzoom 12] [--maxzoom 16]``.
Not collected by pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "api"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
CONNECTIONS = 6
N_ALERTS = 200


def build(home: Path) -> tuple[float, float, float, float]:
    """The workspace; returns the WGS84 box of the scenes (the area synced)."""
    from _build import build_workspace
    from shapely.affinity import translate

    from yvy.alerts.model import Alert, AlertStatus, Confidence
    from yvy.catalog.ports import ItemQuery
    from yvy.storage import open_store
    from yvy.storage.alerts import SQLAlertStore

    built = build_workspace(home, size=2000)
    store = open_store(built.workspace.database_url)
    bbox = tuple(store.search_items(ItemQuery(collections=["sentinel-2-l2a"]))[0]["bbox"])
    alerts = SQLAlertStore(store)
    base = alerts.get_alert(built.alerts[0]).geometry
    bx = base.bounds
    now = "2024-07-10T00:00:00Z"
    with alerts.transaction():
        for j in range(N_ALERTS - len(built.alerts)):  # a 14 x 14 grid over the area
            dx = bbox[0] + (bbox[2] - bbox[0]) * (0.03 + 0.94 * (j % 14) / 14) - bx[0]
            dy = bbox[1] + (bbox[3] - bbox[1]) * (0.03 + 0.94 * (j // 14) / 14) - bx[1]
            aid = alerts.next_alert_id("PY", 2024)
            alerts.insert_alert(Alert(id=aid, geometry=translate(base, dx, dy), area_ha=1.0 + j % 7,
                                      first_detected="2024-05-09", confidence=Confidence.HIGH,
                                      status=AlertStatus.NEW, magnitude=-0.3, pixel_count=50,
                                      created=now, updated=now))
    store.close()
    return bbox


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def download(url: str, paths: list[str]) -> dict:
    """GET every path with CONNECTIONS threads (tile runs decoded as field.js does); bytes by kind
    (imagery tiles, chips, documents), tiles stored (JPEG among them) and failures other than 404."""
    import base64

    todo = list(paths)
    lock = threading.Lock()
    out = {"tiles": 0, "chips": 0, "docs": 0, "n_tiles": 0, "n_jpeg": 0, "failed": 0}

    def worker():
        with httpx.Client(base_url=url, timeout=120) as c:
            while True:
                with lock:
                    if not todo:
                        return
                    p = todo.pop()
                try:
                    r = c.get(p)
                except httpx.HTTPError:
                    with lock:
                        out["failed"] += 1
                    continue
                if r.status_code != 200:
                    with lock:
                        out["failed"] += r.status_code != 404
                    continue
                if p.startswith("/api/field/tiles/"):
                    imgs = [base64.b64decode(b) for b in r.json()["tiles"].values()]
                    kind, size = "tiles", sum(map(len, imgs))
                elif p.startswith("/tiles/"):  # the peer: tiles one by one
                    imgs, kind, size = [r.content], "tiles", len(r.content)
                else:
                    imgs, kind, size = [], "chips" if p.endswith(".png") else "docs", len(r.content)
                with lock:
                    out[kind] += size
                    out["n_tiles"] += len(imgs)
                    out["n_jpeg"] += sum(i[:3] == b"\xff\xd8\xff" for i in imgs)

    threads = [threading.Thread(target=worker) for _ in range(CONNECTIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def _run_of(url: str) -> tuple[int, int, int, int]:
    """(z, y, x0, x1) of a tile-run URL of the plan."""
    from urllib.parse import parse_qs, urlsplit

    parts = urlsplit(url)
    z, y = (int(v) for v in parts.path.rsplit("/", 2)[1:])
    q = parse_qs(parts.query)
    return z, y, int(q["x0"][0]), int(q["x1"][0])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--minzoom", type=int, default=12)
    ap.add_argument("--maxzoom", type=int, default=16)
    args = ap.parse_args()
    from _results import recorded
    from bench_serve import start_yvy

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        bbox = build(Path(tmp) / "ws")
        built_s = time.perf_counter() - t0
        proc, url = start_yvy(Path(tmp) / "ws")
        try:
            rows = []
            for _ in range(args.runs):
                t0, cpu0 = time.perf_counter(), cpu_seconds(proc.pid)
                plan = httpx.get(url + "/api/field/plan", timeout=120, params={
                    "bbox": ",".join(f"{v:.6f}" for v in bbox), "minzoom": args.minzoom,
                    "maxzoom": args.maxzoom}).json()
                t_plan = time.perf_counter() - t0
                got = download(url, [*plan["urls"], "/api/me", *plan["tile_runs"]])
                got["server_cpu_s"] = cpu_seconds(proc.pid) - cpu0
                got["load"] = os.getloadavg()[0]
                rows.append((time.perf_counter() - t0, t_plan, got, plan))
            # the peer, once: the same tiles from /tiles one by one (a GDAL warp per band and tile, PNG)
            plan = rows[-1][3]
            singles = [f"{plan['tile_prefix']}/{z}/{x}/{y}.png" for z, y, x0, x1 in
                       (_run_of(u) for u in plan["tile_runs"]) for x in range(x0, x1 + 1)]
            t0, cpu0 = time.perf_counter(), cpu_seconds(proc.pid)
            peer = download(url, singles)
            peer.update(seconds=time.perf_counter() - t0, server_cpu_s=cpu_seconds(proc.pid) - cpu0)
            t0, cpu0 = time.perf_counter(), cpu_seconds(proc.pid)
            runs_only = download(url, plan["tile_runs"])
            runs_only.update(seconds=time.perf_counter() - t0, server_cpu_s=cpu_seconds(proc.pid) - cpu0)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    plan = rows[0][3]
    got = rows[len(rows) // 2][2]
    km = [(bbox[2] - bbox[0]) * 111.32 * 0.9232, (bbox[3] - bbox[1]) * 110.57]  # cos(22.6 S) = 0.9232
    total = got["tiles"] + got["chips"] + got["docs"]
    with recorded("bench_field_sync", args.runs, note="loopback; server and client share the machine"):
        print(f"area {km[0]:.1f} x {km[1]:.1f} km, {plan['alerts']} alerts, zooms {args.minzoom}-{args.maxzoom}: "
              f"{plan['tiles']} imagery tiles {plan['tiles_by_zoom']} in {len(plan['tile_runs'])} runs, "
              f"{len(plan['urls']) + 1} other URLs")
        print(f"workspace built in {built_s:.0f} s (not part of the sync)")
        print(f"plan (size before download): median {statistics.median(r[1] for r in rows):.2f} s, "
              f"estimated {plan['bytes'] / 1e6:.1f} MB (tiles {plan['bytes_tiles'] / 1e6:.1f} MB)")
        median = statistics.median(r[0] for r in rows)
        print(f"sync (plan + download, {CONNECTIONS} connections): median {median:.1f} s "
              f"(runs: {', '.join(f'{r[0]:.1f}' for r in rows)}), target <= 60 s")
        loads = ", ".join(f"{r[2]['load']:.1f}" for r in rows)
        print(f"server CPU time per sync: median {statistics.median(r[2]['server_cpu_s'] for r in rows):.1f} s; "
              f"load average (1 min) after each run: {loads} "
              f"on {os.cpu_count()} CPUs shared with other jobs")
        print(f"imagery tiles alone, in this run: in runs of a row {runs_only['seconds']:.1f} s, server CPU "
              f"{runs_only['server_cpu_s']:.1f} s, {runs_only['tiles'] / 1e6:.1f} MB; the same {peer['n_tiles']} tiles "
              f"from /tiles one by one {peer['seconds']:.1f} s, server CPU {peer['server_cpu_s']:.1f} s, "
              f"{peer['tiles'] / 1e6:.1f} MB (server CPU ratio "
              f"{peer['server_cpu_s'] / max(runs_only['server_cpu_s'], 1e-9):.1f}x); failed requests: "
              f"{runs_only['failed']} and {peer['failed']}")
        print(f"downloaded {total / 1e6:.1f} MB: {got['n_tiles']} tiles {got['tiles'] / 1e6:.1f} MB "
              f"({got['n_jpeg']} JPEG where the imagery fills the tile, the rest PNG), chips "
              f"{got['chips'] / 1e6:.1f} MB, documents {got['docs'] / 1e6:.1f} MB; estimate / downloaded = "
              f"{plan['bytes'] / total:.2f} (tiles {plan['bytes_tiles'] / max(got['tiles'], 1):.2f}); "
              f"failed requests: {sum(r[2]['failed'] for r in rows)}")
    (REPO / "benchmarks" / "results" / "bench_field_sync.json").write_text(json.dumps({
        "runs": args.runs, "area_km": km, "alerts": plan["alerts"], "tiles": plan["tiles"],
        "seconds": [r[0] for r in rows], "median_s": statistics.median(r[0] for r in rows),
        "plan_s": [r[1] for r in rows], "estimated_bytes": plan["bytes"], "downloaded": [r[2] for r in rows],
        "tiles_in_runs": runs_only, "tiles_one_by_one": peer},
        indent=1) + "\n")


if __name__ == "__main__":
    main()
