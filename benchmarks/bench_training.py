"""Training simulator: time to make a 30-case exercise from the demo (target: 10 s or less) and
the scoring checked against the ground truth (an answerer that gives the truth scores exactly 1;
one that confirms everything scores what the confusion matrix says).

The demo workspace is the one ``yvy demo`` builds (300 x 300 px, 3 years at 5 days, seed 0):
generated and ingested once, outside the timing. Each run makes a new exercise from it (reading
the scenes, choosing cases, NDVI series, 60 PNG chips, storing). Not collected by pytest.

    python benchmarks/bench_training.py --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def build_demo(home: Path):
    from yvy.catalog.ingest import ingest_paths
    from yvy.config import Workspace
    from yvy.demo import generate_demo
    from yvy.storage import open_store

    ws = Workspace.create(home)
    store = open_store(ws.database_url, create=True)
    generate_demo(ws.home / "demo", size_px=300, years=3, revisit_days=5, seed=0)
    assert ingest_paths(store, [ws.home / "demo" / "scenes"]).ok
    return ws, store


def check_scoring(ex) -> dict:
    """Scores of two answerers whose results are known from the truth alone."""
    from yvy.training.model import Answer
    from yvy.training.score import score_answer, score_session

    cases = list(ex.cases)
    oracle = score_session(cases, [score_answer(c, Answer(c.id, c.truth_decision, c.truth_reason, c.truth_action,
                                                          c.truth_geometry if c.kind == "clearing" else None))
                                   for c in cases])
    confirm_all = score_session(cases, [score_answer(c, Answer(c.id, "confirm", "clearing", "refer")) for c in cases])
    share = sum(c.kind == "clearing" for c in cases) / len(cases)
    return {"oracle": {"accuracy": oracle.accuracy, "kappa": oracle.kappa, "reason": oracle.reason_accuracy,
                       "action": oracle.action_accuracy, "mean_iou": oracle.mean_iou},
            "confirm_all": {"accuracy": confirm_all.accuracy, "expected_accuracy": share,
                            "kappa": confirm_all.kappa, "expected_kappa": 0.0}}


def main() -> None:
    from _results import recorded

    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cases", type=int, default=30)
    args = ap.parse_args()
    from yvy.storage.training import SQLTrainingStore
    from yvy.training.service import create_demo_exercise

    with tempfile.TemporaryDirectory() as tmp, recorded("bench_training", args.runs):
        t0 = time.perf_counter()
        ws, store = build_demo(Path(tmp) / "ws")
        print(f"demo workspace (300 px, 3 years, seed 0) generated and ingested in {time.perf_counter() - t0:.0f} s")
        trainings = SQLTrainingStore(store)
        times, ex = [], None
        for _ in range(args.runs):
            t0 = time.perf_counter()
            ex = create_demo_exercise(store, trainings, ws.home / "demo", ws.assets / "training", title="bench",
                                      created_by="bench", n_cases=args.cases, seed=len(times))
            times.append(time.perf_counter() - t0)
        scoring = check_scoring(ex)
        out = {"cases": args.cases, "runs": args.runs, "seconds": [round(t, 2) for t in times],
               "median_s": round(statistics.median(times), 2), "counts": ex.counts(), "scoring": scoring,
               "cpus": os.cpu_count(), "load_avg_1_5_15": [round(x, 1) for x in os.getloadavg()]}
        print(f"{args.cases}-case exercise from the demo: median {out['median_s']} s over {args.runs} runs "
              f"({out['seconds']}); cases by kind {out['counts']}")
        print(f"answering the truth: {scoring['oracle']}")
        print(f"confirming everything: accuracy {scoring['confirm_all']['accuracy']:.4f} "
              f"(share of real clearings {scoring['confirm_all']['expected_accuracy']:.4f}), "
              f"kappa {scoring['confirm_all']['kappa']} (expected 0)")
        print(f"{out['cpus']} CPUs, load average {out['load_avg_1_5_15']} (shared machine)")
        store.close()
    (HERE / "results" / "bench_training.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
