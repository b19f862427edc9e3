"""``yvy compile``: compile the numba kernels once, as an install step, into numba's cache.

Runs the real pipeline (ingest, detection, a one-scene update, alerts) on a tiny generated scene
set in a temporary workspace, so every kernel is compiled with the argument types the pipeline
passes and kept in numba's on-disk cache; later runs load machine code instead of compiling.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from datetime import date
from pathlib import Path

import click

from .options import console, json_opt


def _timed(seconds: dict, name: str, fn, *args, **kw):
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    seconds[name] = round(time.perf_counter() - t0, 2)
    return out


def compile_pipeline(tmp: Path) -> dict:
    """Seconds of each step of the tiny pipeline run in ``tmp``."""
    from ..alerts.build import update_alerts
    from ..alerts.layers import layers_from_item
    from ..alerts.vectorize import AlertParams
    from ..catalog.ingest import ingest_paths
    from ..change.detect import DetectRequest, run_detection
    from ..change.monitor import update_monitoring
    from ..config import Workspace
    from ..demo import generate_demo
    from ..storage import open_store
    from ..storage.alerts import SQLAlertStore

    seconds: dict = {}
    ws = Workspace.create(tmp / "ws")
    store = open_store(ws.database_url, create=True)
    demo = _timed(seconds, "scenes", generate_demo, tmp / "demo", size_px=100, years=2, revisit_days=16, seed=0)
    scenes = [d for _, d in sorted(zip(demo.dates, demo.scene_dirs, strict=True))]
    _timed(seconds, "ingest", ingest_paths, store, scenes[:-1])
    first = demo.dates[0]
    req = DetectRequest(history_start=first.isoformat(), monitor_start=date(first.year + 1, 1, 1).isoformat(),
                        index="ndvi", bbox=tuple(demo.bounds_lonlat), collection="sentinel-2-l2a",
                        direction="negative")
    item = _timed(seconds, "detect", run_detection, store, ws, req)
    ingest_paths(store, scenes[-1:])
    item = _timed(seconds, "update", update_monitoring, store, ws, item["id"])
    layers = layers_from_item(item)
    _timed(seconds, "alerts", update_alerts, SQLAlertStore(store), layers, AlertParams())
    return seconds


@click.command(epilog="Example: yvy compile\n\n"
                      "Example: NUMBA_CACHE_DIR=/var/cache/yvy/numba yvy compile --json")
@json_opt
@click.pass_context
def command(ctx: click.Context, as_json: bool) -> None:
    """Compile the numba kernels of detection, updates and alerts into numba's cache.

    Run it once after installing (as the user, and with the NUMBA_CACHE_DIR, that the server and
    the jobs use): the first detection then loads compiled code instead of compiling it.
    """
    with tempfile.TemporaryDirectory(prefix="yvy-compile-") as tmp:
        seconds = compile_pipeline(Path(tmp))
    from ..i18n import N_

    where = os.environ.get("NUMBA_CACHE_DIR") or N_("numba's default: beside the modules, or the user's cache folder")
    if as_json:
        click.echo(json.dumps({"seconds": seconds, "cache": where}))
        return
    from ._help_i18n import cli_translator

    tr = cli_translator(ctx)
    console(ctx).print(tr.gettext("kernels compiled and cached ({where}); ").format(where=tr.gettext(where))
                       + ", ".join(f"{k} {tr.number(v, 1)} s" for k, v in seconds.items()))
