"""Throughput and latency of ``yvy serve`` on loopback, beside TiTiler serving the same COGs.

Builds a demo-like workspace (four 10 km Sentinel-2-like scenes at 10 m, a detection product,
~500 alerts), starts yvy (uvicorn, one process) and TiTiler (``titiler.application`` from
``.venv-titiler``, one process) as subprocesses on 127.0.0.1, and drives each scenario with 16
concurrent clients for a fixed number of requests. Prints a Markdown table: requests/s, p50/p99
latency and the server process's CPU time per request (Linux ``/proc``; on a shared machine it
moves less with the load than requests/s do). ``--tree`` serves another checkout's code (its
``src`` and ``tests/api/_build.py``) with this driver.

Run: ``.venv/bin/python benchmarks/bench_serve.py [--requests 800] [--size 1024]``
(TiTiler is skipped when ``.venv-titiler/bin/uvicorn`` is missing:
``python3 -m venv .venv-titiler && .venv-titiler/bin/pip install titiler.application uvicorn``).
Not collected by pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
CLIENTS = 16


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server at {url} did not start")


def start_yvy(home: Path, tree: Path = REPO) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    code = ("import uvicorn; from yvy.config import Workspace; from yvy.api import create_app; "
            "from yvy.api.settings import ServeSettings; "
            f"uvicorn.run(create_app(Workspace.open({str(home)!r}), ServeSettings(notify_interval=0)), "
            f"host='127.0.0.1', port={port}, log_level='warning')")
    proc = subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(tree / "src")})
    url = f"http://127.0.0.1:{port}"
    _wait(url + "/stac/")
    return proc, url


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of process ``pid`` so far (None where ``/proc`` is missing)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_titiler() -> tuple[subprocess.Popen, str] | None:
    exe = REPO / ".venv-titiler" / "bin" / "uvicorn"
    if not exe.exists():
        return None
    port = _free_port()
    env = {**os.environ, "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR"}
    proc = subprocess.Popen([str(exe), "titiler.application.main:app", "--host", "127.0.0.1",
                             "--port", str(port), "--log-level", "warning"], env=env)
    url = f"http://127.0.0.1:{port}"
    _wait(url + "/healthz")
    return proc, url


def drive(urls: list[str], n: int) -> dict:
    """GET ``n`` URLs (cycling through ``urls``) with CLIENTS threads; rate and latencies."""
    lat: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = iter(range(n))

    def worker():
        nonlocal errors
        with httpx.Client(timeout=60) as c:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                t0 = time.perf_counter()
                r = c.get(urls[i % len(urls)])
                dt = time.perf_counter() - t0
                with lock:
                    lat.append(dt)
                    errors += r.status_code >= 400

    threads = [threading.Thread(target=worker) for _ in range(CLIENTS)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    lat.sort()
    return {"requests": len(lat), "rps": len(lat) / wall, "p50_ms": 1000 * statistics.median(lat),
            "p99_ms": 1000 * lat[min(len(lat) - 1, int(0.99 * len(lat)))], "errors": errors}


def tiles_over(bbox, zooms=(13, 14, 15, 16)) -> list[tuple[int, int, int]]:
    import morecantile

    tms = morecantile.tms.get("WebMercatorQuad")
    out = [(t.z, t.x, t.y) for z in zooms for t in tms.tiles(*bbox, [z])]
    random.Random(0).shuffle(out)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=800, help="requests per scenario")
    ap.add_argument("--size", type=int, default=1024, help="scene width in 10 m pixels")
    ap.add_argument("--alerts", type=int, default=500, help="extra alerts in the workspace")
    ap.add_argument("--note", default="", help="a line for the results file (e.g. the machine's load)")
    ap.add_argument("--tree", type=Path, default=None, help="the yvy checkout to build and serve (default: this "
                    "one); given, nothing is written to results/ (bench_serve_baseline.py records its own)")
    args = ap.parse_args()
    record = args.tree is None
    args.tree = args.tree or REPO
    sys.path[:0] = [str(args.tree / "src"), str(args.tree / "tests" / "api")]
    from _results import recorded

    if not record:
        _run(args)
        return
    with recorded("bench_serve", 1, f"one timed pass of --requests per scenario. {args.note}".strip()):
        _run(args)


def _run(args) -> None:
    from _build import build_workspace

    tmp = Path(tempfile.mkdtemp(prefix="yvy-bench-"))
    t0 = time.perf_counter()
    built = build_workspace(tmp / "ws", size=args.size, n_alerts_extra=args.alerts)
    print(f"workspace built in {time.perf_counter() - t0:.1f} s at {tmp}", file=sys.stderr)

    yvy_proc, yvy = start_yvy(built.workspace.home, args.tree)
    tt = start_titiler()
    results = {}
    try:
        item = httpx.get(f"{yvy}/stac/collections/sentinel-2-l2a/items/{built.scenes[-1]}").json()
        bbox = item["bbox"]
        tiles = tiles_over(bbox)
        det = f"{yvy}/tiles/yvy-detections/{built.detection}"
        scene = f"{yvy}/tiles/sentinel-2-l2a/{built.scenes[-1]}"
        rnd = random.Random(1)
        boxes = []
        for _ in range(200):
            x, y = rnd.uniform(bbox[0], bbox[2]), rnd.uniform(bbox[1], bbox[3])
            boxes.append(f"{x - 0.02:.5f},{y - 0.02:.5f},{x + 0.02:.5f},{y + 0.02:.5f}")
        scenarios = {
            "features: alerts bbox, limit 50": [f"{yvy}/features/collections/alerts/items?limit=50&bbox={b}"
                                                for b in boxes],
            "features: alerts status+confidence filter": [
                f"{yvy}/features/collections/alerts/items?status=new&confidence=high&limit=100&bbox={b}"
                for b in boxes],
            "stac: search bbox+datetime": [f"{yvy}/stac/search?bbox={b}&datetime=2024-01-01T00:00:00Z/.."
                                           for b in boxes],
            "tiles yvy: detection magnitude (1 COG)": [f"{det}/magnitude/{z}/{x}/{y}.png" for z, x, y in tiles],
            "tiles yvy: scene true colour (3 COGs)": [f"{scene}/truecolor/{z}/{x}/{y}.png" for z, x, y in tiles],
        }
        if tt is not None:
            mag = Path(item["assets"]["red"]["href"]).name  # noqa: F841 - asset names are stable
            path = built.workspace.assets / "detections" / built.detection / "magnitude.tif"
            scenarios["tiles TiTiler: detection magnitude (1 COG)"] = [
                f"{tt[1]}/cog/tiles/WebMercatorQuad/{z}/{x}/{y}.png?url={path}&rescale=-0.6,0.6"
                f"&colormap_name=rdbu" for z, x, y in tiles]
        for name, urls in scenarios.items():
            server = tt[0].pid if "TiTiler" in name else yvy_proc.pid
            drive(urls[: CLIENTS * 2], CLIENTS * 2)  # warm up
            c0 = cpu_seconds(server)
            results[name] = drive(urls, args.requests)
            c1 = cpu_seconds(server)
            results[name]["cpu_ms"] = float("nan") if c0 is None else 1000 * (c1 - c0) / args.requests
            print(name, json.dumps({k: round(v, 2) for k, v in results[name].items()}), file=sys.stderr)
    finally:
        yvy_proc.terminate()
        if tt is not None:
            tt[0].terminate()

    print(f"\n{CLIENTS} concurrent clients, {args.requests} requests per scenario, loopback, one "
          f"uvicorn process per server; {os.cpu_count()} CPU cores.\n")
    print("| scenario | requests/s | p50 ms | p99 ms | server CPU ms/request | errors |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        print(f"| {name} | {r['rps']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['cpu_ms']:.2f} | "
              f"{r['errors']} |")


if __name__ == "__main__":
    main()
