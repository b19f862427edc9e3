"""``yvy demo``: build the demo workspace and run the whole chain on it.

generate scenes -> ingest (the same path as real products) -> detect -> alerts -> evaluation
against the demo's own ground truth -> serve. Every step uses the public domain functions.
"""

from __future__ import annotations

import time
from datetime import date

import click

from ._help_i18n import cli_translator
from .options import console
from .progress import progress_bar


@click.command(epilog="Example: yvy --home ./yvy-data demo --size 300 --seed 0 --no-serve")
@click.option("--size", type=click.IntRange(100, 2000), default=300, show_default=True,
              help="Scene width/height in 10 m pixels.")
@click.option("--years", type=click.IntRange(2, 10), default=3, show_default=True,
              help="Years of scenes at a 5-day revisit.")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True,
              help="Random seed (same seed, same data).")
@click.option("--context", "context_set", default="paraguay", show_default=True, metavar="NAME",
              help="Built-in context layers to load (departments, borders) so alerts carry their department "
                   "and legal rule; 'none' to skip.")
@click.option("--no-serve", is_flag=True, help="Stop before serving (for scripts).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True,
              help="Port to serve the demo on.")
@click.pass_context
def command(ctx, size, years, seed, context_set, no_serve, port):
    """Build a demo workspace over the Paraguayan Chaco and run detection and alerts on it.

    Writes realistic Sentinel-2 L2A-like scenes (tile 20KQA, Boquerón) with clearings of
    known dates, ingests them, detects breaks, turns them into alerts, prints the evaluation
    against the ground truth ($YVY_HOME/demo/truth.geojson) and what to open.
    """
    from ..catalog.ingest import ingest_paths
    from ..config import Workspace
    from ..demo import generate_demo
    from ..storage import open_store

    out = console(ctx)
    quiet = ctx.find_root().obj.get("quiet")
    if not no_serve:  # fail before the work, not after it
        from ..api.app import check_listen

        check_listen("127.0.0.1", port)
    t0 = time.perf_counter()
    ws = Workspace.create(ctx.find_root().obj.get("home"))
    store = open_store(ws.database_url, create=True)
    start = date(2021, 1, 1)
    with progress_bar("generating scenes", quiet=quiet) as progress:
        demo = generate_demo(ws.home / "demo", size_px=size, start=start, years=years, seed=seed,
                             progress=progress)
    tr = cli_translator(ctx)
    out.print(tr.gettext("generated {scenes} scenes, {clearings} clearings ({seconds} s)").format(
        scenes=len(demo.scene_dirs), clearings=len(demo.clearings), seconds=tr.number(time.perf_counter() - t0, 0)))
    with progress_bar("ingesting", quiet=quiet) as progress:
        report = ingest_paths(store, [ws.home / "demo" / "scenes"], progress=progress)
    out.print(report.summary(cli_translator(ctx)))
    if not report.ok:
        raise click.ClickException(f"demo scenes failed to ingest: {report.errors[0]}")
    from . import _demo_steps

    if context_set != "none":
        from ..alerts.context import load_builtin
        from ._alerting import alert_store

        res = load_builtin(alert_store(ctx), context_set, replace=True)
        out.print(tr.gettext("context: {layers} ({features} features, built-in {name!r})").format(
            layers=", ".join(res["layers"]), features=res["features"], name=context_set))
    _demo_steps.run_rest(ctx, ws, store, demo, years=years, no_serve=no_serve, port=port, t0=t0)
