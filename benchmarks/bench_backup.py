"""Time of ``yvy backup``, ``yvy restore`` (with all its checks) and ``yvy evidence verify``.

Builds the serving test workspace (four Sentinel-2-like scenes of SIZE² px at 10 m, a detection
product, alerts, users; tests/api/_build.py), signs a checkpoint and one evidence package, then
runs backup -> restore into a new folder -> verify, RUNS times each, and writes the medians to
benchmarks/results/bench_backup.{json,md}.

Run: ``.venv/bin/python benchmarks/bench_backup.py [--size 512] [--runs 3]``. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from click.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _cli(*args) -> float:
    from yvy.cli.main import cli

    t0 = time.perf_counter()
    r = CliRunner().invoke(cli, [str(a) for a in args])
    dt = time.perf_counter() - t0
    if r.exit_code != 0:
        raise SystemExit(f"{' '.join(map(str, args))}: {r.output}")
    return dt


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    from tests.api._build import build_workspace

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        home = tmp / "ws"
        built = build_workspace(home, size=a.size)
        aid = built.alerts[0]
        _cli("--home", home, "keys", "init")
        _cli("--home", home, "alerts", "audit", "--checkpoint")
        _cli("--home", home, "alerts", "evidence", aid, "-o", home / "reports" / aid)
        size = sum(p.stat().st_size for p in home.rglob("*") if p.is_file())
        times: dict[str, list[float]] = {"backup": [], "restore": [], "evidence_verify": []}
        for i in range(a.runs):
            times["backup"].append(_cli("--home", home, "-q", "backup", tmp / f"bk{i}"))
            times["restore"].append(_cli("-q", "restore", tmp / f"bk{i}", "--home", tmp / f"r{i}"))
            times["evidence_verify"].append(_cli("--home", home, "evidence", "verify", home / "reports" / aid))
    med = {k: statistics.median(v) for k, v in times.items()}
    res = {"runs": a.runs, "scene_size_px": a.size, "workspace_mb": round(size / 1e6, 1),
           "median_s": {k: round(v, 3) for k, v in med.items()},
           "mb_per_s": {k: round(size / 1e6 / med[k], 1) for k in ("backup", "restore")}}
    out = REPO / "benchmarks" / "results"
    (out / "bench_backup.json").write_text(json.dumps(res, indent=1) + "\n")
    md = [f"# bench_backup ({a.runs} runs, medians; workspace {res['workspace_mb']} MB, scenes {a.size}² px)", "",
          "| step | median s | MB/s |", "|---|---|---|"]
    md += [f"| {k} | {v} | {res['mb_per_s'].get(k, '-')} |" for k, v in res["median_s"].items()]
    (out / "bench_backup.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
