"""``yvy monitor``: incremental monitoring of detection products (``update``, ``list``)."""

from __future__ import annotations

import json
import os

import click

from ._alerting import alert_options, alerts_from_product, check_alert_options, cluster_options, print_alert_summary
from .detect import GDAL_CACHE_MB, print_summary
from .options import console, json_opt, store, workspace
from .progress import progress_bar


@click.group(epilog="Example: yvy monitor update --product bfm-ndvi-2023-01-01-1a2b3c4d5e")
def command():
    """Advance stored BFAST Monitor models (or bayts/sar state) with new scenes, without refitting."""


@command.command("update", epilog="Example: yvy monitor update --product bfm-ndvi-2023-01-01-1a2b3c4d5e --json")
@click.option("--product", "product_id", help="Detection product id (default: the latest one).")
@click.option("--stack", type=click.Path(exists=True, dir_okay=False),
              help="For a product made from a time stack: the stack with the newer bands.")
@click.option("--stack-mask", type=click.Path(exists=True, dir_okay=False), help="Mask stack for --stack.")
@click.option("--sar-stack", type=click.Path(exists=True, dir_okay=False),
              help="For a bayts/sar product: the radar stack with the newer bands (--stack: the optical one).")
@click.option("--resume", is_flag=True, help="Continue an interrupted update.")
@click.option("--no-alerts", is_flag=True, help="Do not update the alerts at the end.")
@alert_options
@cluster_options
@json_opt
@click.pass_context
def update(ctx, product_id, stack, stack_mask, sar_stack, resume, no_alerts, as_json, scheduler, workers,
           **alert_kw):
    """Process only the scenes newer than the product's last update and publish a new version.

    The stored history model is not refitted; the result equals a from-scratch `yvy detect` on
    all the data.
    """
    from ..change.monitor import update_monitoring
    from ..cluster import chunk_executor

    check_alert_options(**alert_kw)
    os.environ.setdefault("GDAL_CACHEMAX", GDAL_CACHE_MB)  # GDAL's block cache counts in the RSS too

    ws, st = workspace(ctx), store(ctx)
    quiet = as_json or ctx.find_root().obj.get("quiet")
    with chunk_executor(scheduler=scheduler, workers=workers) as runner, \
            progress_bar("monitor (chunks)", quiet=quiet) as bar:
        item = update_monitoring(st, ws, product_id, stack=stack, stack_mask=stack_mask, progress=bar,
                                 resume=resume, runner=runner, sar_stack=sar_stack)
    print_summary(ctx, item, as_json, verb="so far")
    if not no_alerts:
        res = alerts_from_product(ctx, item, **alert_kw)
        if not as_json:
            print_alert_summary(ctx, item["id"], res)


@command.command("list", epilog="Example: yvy monitor list --json")
@json_opt
@click.pass_context
def list_products(ctx, as_json):
    """List detection products: id, index, monitoring start, last processed date, breaks."""
    from ..catalog.ports import ItemQuery
    from ..change.product import DETECTIONS

    items = st_items = store(ctx).search_items(ItemQuery(collections=[DETECTIONS]))
    rows = [{"id": it["id"], "index": it["properties"].get("yvy:index"),
             "monitor_start": it["properties"].get("yvy:monitor_start"),
             "last_processed": (it["properties"].get("yvy:last_processed") or "")[:10],
             "breaks": it["properties"].get("yvy:summary", {}).get("breaks"),
             "pixels": it["properties"].get("yvy:summary", {}).get("pixels")} for it in st_items]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    from rich.table import Table

    from ..i18n import N_
    from ._help_i18n import cli_translator

    tr = cli_translator(ctx)
    table = Table(*(tr.gettext(c) for c in ("id", N_("index"), N_("monitor start"), N_("last processed"),
                                              N_("breaks"), N_("pixels"))))
    for r in rows:
        table.add_row(r["id"], str(r["index"]), str(r["monitor_start"]), r["last_processed"],
                      tr.number(r["breaks"] or 0, 0), tr.number(r["pixels"] or 0, 0))
    console(ctx).print(table if items else tr.gettext("no detection products yet; run `yvy detect`"))
