"""How fast and how cheaply `yvy serve` refuses hostile requests (issue targets: a 250 MB body, a
10^4-deep filter or 10^6 ids rejected in < 100 ms with < 50 MB extra memory).

Starts ``yvy serve`` (the real CLI, one uvicorn process) over a small built workspace on
127.0.0.1, then for each attack sends it ``--runs`` times over a raw socket and records the time
from the first byte sent to the status line received, and the server's resident memory (VmRSS
from /proc) before and after. A plain valid search is measured in the same run as the reference.
Writes ``benchmarks/results/bench_limits.{json,md}``.

Run: ``.venv/bin/python benchmarks/bench_limits.py [--runs 5]``. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "api"))
RESULTS = REPO / "benchmarks" / "results"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _send(port: int, head: bytes, body_chunks, timeout: float = 30) -> tuple[float, str]:
    """Send a request and return (seconds until the status line, status line)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        t0 = time.perf_counter()
        s.sendall(head)
        s.setblocking(False)
        buf = b""
        for chunk in body_chunks:
            try:
                buf += s.recv(4096)
            except BlockingIOError:
                pass
            if buf:
                break
            try:
                s.sendall(chunk)
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                break
        s.setblocking(True)
        while b"\r\n" not in buf:
            more = s.recv(4096)
            if not more:
                break
            buf += more
        return time.perf_counter() - t0, buf.split(b"\r\n", 1)[0].decode(errors="replace")


def _attacks():
    big = 250 * 1024 * 1024
    deep_json = ('{"filter-lang":"cql2-json","filter":' + '{"op":"not","args":[' * 10_000
                 + '{"op":"=","args":[{"property":"id"},"x"]}' + "]}" * 10_000 + "}").encode()
    ids = ('{"ids":[' + ",".join(f'"i{i}"' for i in range(1_000_000)) + "]}").encode()
    block = b"x" * (1 << 20)

    def post(body_len: int, chunks, chunked=False):
        te = b"Transfer-Encoding: chunked\r\n" if chunked else b"Content-Length: %d\r\n" % body_len
        return (b"POST /stac/search HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n" + te
                + b"Connection: close\r\n\r\n", chunks)

    def chunked(total):
        sent = 0
        while sent < total:
            yield b"%x\r\n" % len(block) + block + b"\r\n"
            sent += len(block)

    return {
        "250 MB body (Content-Length)": lambda: post(big, iter([block] * 250)),
        "250 MB body (chunked)": lambda: post(0, chunked(big), chunked=True),
        "10^4-deep CQL2-JSON filter": lambda: post(len(deep_json), iter([deep_json])),
        "10^6 ids": lambda: post(len(ids), (ids[i:i + (1 << 20)] for i in range(0, len(ids), 1 << 20))),
        "3,000-deep CQL2 text filter (GET)": lambda: (
            b"GET /stac/search?filter=" + b"%28" * 3000 + b"id%3D%27x%27" + b"%29" * 3000
            + b" HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n", iter(())),
        "valid search (reference)": lambda: (
            b"GET /stac/search?limit=10 HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n", iter(())),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    from _build import build_workspace

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "ws"
        build_workspace(home, size=256)
        port = _free_port()
        proc = subprocess.Popen([sys.executable, "-c", "from yvy.cli.main import cli; cli()", "--home", str(home),
                                 "-q", "serve", "--port", str(port), "--notify-interval", "0"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy())
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/stac/", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            _send(port, *_attacks()["valid search (reference)"]())  # warm up
            rows = []
            for name, make in _attacks().items():
                times, statuses, extra = [], set(), []
                for _ in range(args.runs):
                    before = _rss_mb(proc.pid)
                    dt, status = _send(port, *make())
                    time.sleep(0.2)
                    extra.append(_rss_mb(proc.pid) - before)
                    times.append(dt * 1000)
                    statuses.add(status.split(" ", 2)[1] if " " in status else status)
                rows.append({"attack": name, "status": sorted(statuses), "median_ms": statistics.median(times),
                             "max_ms": max(times), "max_extra_rss_mb": max(extra)})
                print(f"{name:36s} {'/'.join(sorted(statuses)):8s} median {statistics.median(times):8.1f} ms "
                      f"max {max(times):8.1f} ms  extra RSS {max(extra):6.1f} MB", flush=True)
            alive = proc.poll() is None
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    ref = next(r for r in rows if r["attack"].startswith("valid"))["median_ms"]
    for r in rows:
        r["x_valid_search"] = r["median_ms"] / ref if ref else None
    out = {"runs": args.runs, "server_alive_after": alive, "rows": rows,
           "machine": f"{os.cpu_count()} cores, shared"}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_limits.json").write_text(json.dumps(out, indent=1) + "\n")
    lines = [f"# Hostile requests against `yvy serve` ({args.runs} runs each, medians; server alive after: {alive})",
             "", "| request | status | median ms | max ms | × a valid search | extra server RSS (max, MB) |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {r['attack']} | {'/'.join(r['status'])} | {r['median_ms']:.1f} | {r['max_ms']:.1f} | "
              f"{r['x_valid_search']:.2f} | {r['max_extra_rss_mb']:.1f} |" for r in rows]
    (RESULTS / "bench_limits.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
