"""``yvy scenes``: list catalogued scenes."""

from __future__ import annotations

import json

import click

from ..dates import parse_interval
from .options import bbox_opt, console, json_opt, store

PRODUCT_PREFIX = "yvy-"
"""Collections yvy writes itself (detection products, models); listed only when asked for."""


@click.command(epilog="Example: yvy scenes --collection sentinel-2-l2a --datetime 2024-01-01/2024-06-30 --max-cloud 20")
@click.option("--collection", "collections", multiple=True, help="Only this collection (repeatable).")
@bbox_opt
@click.option("--datetime", "dt", help="Date or range A/B (ISO; .. for open ends).")
@click.option("--max-cloud", type=click.FloatRange(0, 100), help="Maximum eo:cloud_cover (%).")
@click.option("--limit", type=click.IntRange(1), help="At most this many scenes.")
@json_opt
@click.pass_context
def command(ctx, collections, bbox, dt, max_cloud, limit, as_json):
    """List scenes in the catalog, oldest first.

    yvy's own products (collections yvy-detections, yvy-models) are left out unless asked for
    with --collection.

    With --json, prints a STAC ItemCollection (readable by pystac / pystac-client).
    """
    from ..catalog.ports import ItemQuery

    start, end = parse_interval(dt)
    st = store(ctx)
    if not collections:  # scenes only: yvy's own products (yvy-detections, yvy-models) are not imagery
        collections = [c["id"] for c in st.list_collections() if not c["id"].startswith(PRODUCT_PREFIX)]
        if not collections:
            collections = ["<none>"]
    q = ItemQuery(collections=collections, bbox=bbox, start=start, end=end,
                  max_cloud=max_cloud, limit=limit)
    items = st.search_items(q)
    if as_json:
        from ..catalog.items import link_collection

        features = [link_collection(it) for it in items]
        click.echo(json.dumps({"type": "FeatureCollection", "features": features}, indent=None))
        return
    from rich.table import Table

    from ..i18n import N_
    from ._help_i18n import cli_translator

    tr = cli_translator(ctx)
    table = Table(box=None)
    for col in (N_("collection"), "id", N_("date"), N_("cloud %"), N_("assets")):
        table.add_column(tr.gettext(col))
    for it in items:
        p = it["properties"]
        when = p.get("datetime") or f"{p.get('start_datetime')}/{p.get('end_datetime')}"
        cc = p.get("eo:cloud_cover")
        table.add_row(it.get("collection", ""), it["id"], str(when), "" if cc is None else tr.number(cc, 1),
                      str(len(it.get("assets", {}))))
    out = console(ctx)
    out.print(table)
    out.print(tr.ngettext("{n} scene", "{n} scenes", len(items)).format(n=len(items)))
