"""The plan of an offline sync: every URL the field app caches for an area (the alert list, each
alert's details, chips and reports, patrol targets, imagery tiles over a zoom range) and the
download size expected, shown to the ranger before anything is fetched.

Tile sizes are estimated from a sample of tiles rendered now (evenly spread over the tiles of the
deepest zoom, which holds three quarters of them) times the tile count; chip sizes from the chips
of one alert. Must not import: yvy.storage at module level, click.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..errors import InputError
from ._render import EMPTY_PNG, layers_for_item, render_bbox, render_tile

__all__ = ["ALERT_LIST", "plan_sync"]

ALERT_LIST = "/features/collections/alerts/items?limit=1000"
"""The alert list the web map loads at start (cached as it is asked for)."""
_DOC_BYTES = 3000
"""Size taken for one alert's JSON documents (details, chips, reports) in the estimate."""


def _scene(ctx, bbox, scene: str | None, layer: str) -> dict | None:
    from ..catalog.ports import ItemQuery

    if scene:
        coll, _, item_id = scene.partition("/")
        item = ctx.store.get_item(coll, item_id)
    else:
        items = [i for i in ctx.store.search_items(ItemQuery(bbox=bbox)) if not i["collection"].startswith("yvy-")]
        items = [i for i in items if layer in layers_for_item(ctx.assets.servable(i))]
        item = max(items, key=lambda i: i["properties"].get("datetime") or "", default=None)
    if item is None:
        return None
    item = ctx.assets.servable(item)
    if layer not in layers_for_item(item):
        raise InputError("layer", f"{item['id']} has no layer {layer!r}")
    return item


def _tiles(bbox, item: dict, zooms: Sequence[int], max_tiles: int) -> list[tuple[int, int, int]]:
    import morecantile

    ib = item.get("bbox") or bbox
    box = (max(bbox[0], ib[0]), max(bbox[1], ib[1]), min(bbox[2], ib[2]), min(bbox[3], ib[3]))
    if box[0] >= box[2] or box[1] >= box[3]:
        return []
    tms = morecantile.tms.get("WebMercatorQuad")
    n = sum((tms.tile(box[2], box[1], z).x - tms.tile(box[0], box[3], z).x + 1)
            * (tms.tile(box[2], box[1], z).y - tms.tile(box[0], box[3], z).y + 1) for z in zooms)
    if n > max_tiles:
        raise InputError("area", f"{n} imagery tiles at zooms {min(zooms)}-{max(zooms)}; at most {max_tiles} "
                                 "per sync: choose a smaller area or a lower maximum zoom")
    return [(t.z, t.x, t.y) for t in tms.tiles(*box, zooms=list(zooms))]


def _sample_bytes(render: Callable[[], bytes | None]) -> int:
    png = render()
    return len(png) if png is not None else len(bytes(EMPTY_PNG))


def plan_sync(ctx, bbox: tuple[float, float, float, float], zooms: Sequence[int], scene: str | None,
              layer: str, *, max_tiles: int, samples: int, quote: Callable[..., str]) -> dict:
    """URLs and expected bytes of syncing ``bbox`` (see the module docstring)."""
    import shapely

    from ..alerts.ports import AlertQuery

    alerts = ctx.require_alerts().find_alerts(AlertQuery(intersects=shapely.box(*bbox)))
    urls = [ALERT_LIST, "/api/field/targets?bbox=" + ",".join(f"{v:.6f}" for v in bbox)]
    for a in alerts:
        base = f"/api/alerts/{quote(a.id, safe='')}"
        urls += [base, f"{base}/chips", f"{base}/chips/before.png", f"{base}/chips/after.png", f"{base}/reports"]
    item = _scene(ctx, bbox, scene, layer)
    tiles = _tiles(bbox, item, zooms, max_tiles) if item is not None else []
    est_tiles = 0
    if tiles:
        deep = [t for t in tiles if t[0] == max(zooms)] or tiles
        picks = [deep[i * len(deep) // min(samples, len(deep))] for i in range(min(samples, len(deep)))]
        mean = sum(_sample_bytes(lambda t=t: render_tile(item, layer, t[1], t[2], t[0])) for t in picks) / len(picks)
        est_tiles = round(mean * len(tiles))
        prefix = f"/tiles/{quote(item['collection'], safe='')}/{quote(item['id'], safe='')}/{layer}"
        urls += [f"{prefix}/{z}/{x}/{y}.png" for z, x, y in tiles]
    est_chips = 0
    if alerts and item is not None:
        a = alerts[0]
        pad = max(a.bbox[2] - a.bbox[0], a.bbox[3] - a.bbox[1], 0.003)
        box = (a.bbox[0] - pad, a.bbox[1] - pad, a.bbox[2] + pad, a.bbox[3] + pad)
        est_chips = 2 * _sample_bytes(lambda: render_bbox(item, "truecolor", box, 256)) * len(alerts)
    by_zoom = {str(z): sum(1 for t in tiles if t[0] == z) for z in zooms}
    return {"bbox": list(bbox), "minzoom": min(zooms), "maxzoom": max(zooms), "layer": layer,
            "scene": None if item is None else f"{item['collection']}/{item['id']}",
            "alerts": len(alerts), "tiles": len(tiles), "tiles_by_zoom": by_zoom,
            "bytes": est_tiles + est_chips + _DOC_BYTES * len(alerts), "bytes_tiles": est_tiles,
            "urls": urls}
