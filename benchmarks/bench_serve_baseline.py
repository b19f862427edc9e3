"""``yvy serve`` throughput of this tree against another checkout, in the same run, interleaved.

Runs this tree's ``benchmarks/bench_serve.py`` on each tree in a subprocess (``--tree``: each
builds its workspace with its own code and serves it with one uvicorn process on loopback),
alternating trees ``--rounds`` times, and reports per scenario the medians of each tree's
requests/s, p50 latency and server CPU time per request, with the ratios this/baseline (req/s)
and baseline/this (CPU): above 1, this tree is faster. The machine is shared: interleaving puts
both trees under the same load, the spread of the rounds shows the noise, and CPU time per
request moves less with the load than requests/s do.

Usage (the baseline is a whole checkout, e.g. ``git archive 4a07c7e | tar -x -C /tmp/yvy-old``,
the tree before the SQLAlchemy storage layer)::

    .venv/bin/python benchmarks/bench_serve_baseline.py --baseline /tmp/yvy-old --rounds 2 --requests 300

Writes ``benchmarks/results/bench_serve_baseline.md``. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from _results import recorded

REPO = Path(__file__).resolve().parents[1]


def one(tree: Path, requests: int, size: int) -> dict:
    """Scenario -> measured dict, from one run of ``tree``'s own bench_serve.py."""
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    p = subprocess.run([sys.executable, str(REPO / "benchmarks" / "bench_serve.py"), "--tree", str(tree),
                        "--requests", str(requests), "--size", str(size)], cwd=tree, env=env,
                       capture_output=True, text=True, check=True)
    out = {}
    for line in p.stderr.splitlines():
        name, _, rest = line.partition(" {")
        if rest:
            out[name] = json.loads("{" + rest)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", required=True, type=Path, help="another yvy checkout (whole tree)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--size", type=int, default=512)
    a = ap.parse_args()
    runs: dict[str, list[dict]] = {"this": [], "baseline": []}
    with recorded("bench_serve_baseline", a.rounds, f"baseline {a.baseline}; {a.requests} requests per scenario, "
                  f"{a.size} px scenes; trees alternate"):
        for r in range(a.rounds):
            for name, tree in (("baseline", a.baseline), ("this", REPO)):
                runs[name].append(one(tree, a.requests, a.size))
                rates = {k: round(v["rps"], 1) for k, v in runs[name][-1].items()}
                print(f"round {r + 1} {name}: " + json.dumps(rates))
        print()
        print("| scenario | baseline req/s | this req/s | ratio | baseline p50 ms | this p50 ms | "
              "baseline CPU ms/req | this CPU ms/req | CPU ratio | rounds (req/s) |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for scen in runs["this"][0]:
            b = [x[scen]["rps"] for x in runs["baseline"] if scen in x]
            t = [x[scen]["rps"] for x in runs["this"]]
            bm, tm = (_median(runs[k], scen, "rps") for k in ("baseline", "this"))
            bp, tp = (_median(runs[k], scen, "p50_ms") for k in ("baseline", "this"))
            bc, tc = (_median(runs[k], scen, "cpu_ms") for k in ("baseline", "this"))
            print(f"| {scen} | {bm:.0f} | {tm:.0f} | {tm / bm:.2f} | {bp:.1f} | {tp:.1f} | {bc:.2f} | {tc:.2f} | "
                  f"{bc / tc:.2f} | base {', '.join(f'{v:.0f}' for v in b)}; this {', '.join(f'{v:.0f}' for v in t)} |")


def _median(runs: list[dict], scen: str, key: str) -> float:
    values = [x[scen][key] for x in runs if scen in x]
    return statistics.median(values) if values else float("nan")


if __name__ == "__main__":
    main()
