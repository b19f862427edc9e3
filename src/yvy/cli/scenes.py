"""``yvy scenes``: list catalogued scenes."""

from __future__ import annotations

import json

import click

from ..errors import DateRangeError
from .options import bbox_opt, console, json_opt, store


def parse_datetime_range(value: str | None) -> tuple[str | None, str | None]:
    """``A/B``, ``A/..``, ``../B`` or a single date -> (start, end) ISO strings."""
    if not value:
        return None, None
    from datetime import date, datetime

    def norm(s: str, end: bool) -> str | None:
        s = s.strip()
        if s in ("", ".."):
            return None
        try:
            if len(s) == 10:
                date.fromisoformat(s)
                return s + ("T23:59:59.999999Z" if end else "T00:00:00Z")
            datetime.fromisoformat(s.replace("Z", "+00:00"))
            return s
        except ValueError:
            raise DateRangeError("--datetime", f"{s!r} is not an ISO date or datetime") from None

    parts = value.split("/")
    if len(parts) == 1:
        return norm(parts[0], False), norm(parts[0], True)
    if len(parts) != 2:
        raise DateRangeError("--datetime", f"{value!r} is not a date range A/B")
    start, end = norm(parts[0], False), norm(parts[1], True)
    if start and end and start[:10] > end[:10]:
        raise DateRangeError("--datetime", f"{value!r} ends before it starts")
    return start, end


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

    start, end = parse_datetime_range(dt)
    st = store(ctx)
    if not collections:  # scenes only: yvy's own products (yvy-detections, yvy-models) are not imagery
        collections = [c["id"] for c in st.list_collections() if not c["id"].startswith(PRODUCT_PREFIX)]
        if not collections:
            collections = ["<none>"]
    q = ItemQuery(collections=collections, bbox=bbox, start=start, end=end,
                  max_cloud=max_cloud, limit=limit)
    items = st.search_items(q)
    if as_json:
        click.echo(json.dumps({"type": "FeatureCollection", "features": items}, indent=None))
        return
    from rich.table import Table

    table = Table(box=None)
    for col in ("collection", "id", "datetime", "cloud %", "assets"):
        table.add_column(col)
    for it in items:
        p = it["properties"]
        when = p.get("datetime") or f"{p.get('start_datetime')}/{p.get('end_datetime')}"
        cc = p.get("eo:cloud_cover")
        table.add_row(it.get("collection", ""), it["id"], str(when), "" if cc is None else f"{cc:.1f}",
                      str(len(it.get("assets", {}))))
    out = console(ctx)
    out.print(table)
    out.print(f"{len(items)} scene(s)")
