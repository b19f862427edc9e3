"""The steps of ``yvy demo`` after ingest: detection, alerts, evaluation, serving."""

from __future__ import annotations

import time


def run_rest(ctx, ws, store, demo, *, years, no_serve, port, t0):
    from .options import console

    out = console(ctx)
    out.print(f"demo workspace ready at {ws.home} in {time.perf_counter() - t0:.0f} s")
    out.print(f"  ground truth: {demo.truth_path}")
    out.print(f"  scenes:       yvy --home {ws.home} scenes")
