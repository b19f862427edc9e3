"""The plan of an offline sync: every URL the field app caches for an area (the alert list, each
alert's details, chips and reports, patrol targets, imagery tiles over a zoom range) and the
download size expected, shown to the ranger before anything is fetched.

Tile sizes are estimated per zoom from a few tiles rendered now (spread over that zoom's tiles)
times its tile count; chip sizes from the chips of one alert. Imagery is downloaded in runs of up
to :data:`ROW_TILES` tiles of one row (:func:`render_row`): the run is drawn as one image
(:func:`._render.render_mercator`: one window read and gather per band where the tiles are at least
as fine as the imagery, one warped read per band otherwise), then the same stretch and PNG encoding
as ``/tiles`` per tile.
Must not import: yvy.storage at module level, click.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..errors import InputError
from ._encode import encode_image
from ._render import EMPTY_PNG, TILE, layers_for_item, render_bbox, render_mercator, render_tile

__all__ = ["ALERT_LIST", "ROW_TILES", "plan_sync", "render_row", "tile_runs"]

ROW_TILES = 16
"""Most tiles of one row rendered and sent in one response."""

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
    lat = 85.0511  # the edge of WebMercatorQuad
    box = (max(bbox[0], ib[0], -180), max(bbox[1], ib[1], -lat), min(bbox[2], ib[2], 180), min(bbox[3], ib[3], lat))
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


def _estimate_tiles(item: dict, layer: str, tiles: list[tuple[int, int, int]], per_zoom: int) -> int:
    """Bytes of ``tiles``: per zoom, the mean size of up to ``per_zoom`` tiles spread over its
    tiles (rendered now as the download renders them) times its count (lower zooms read overviews
    and compress differently)."""
    total = 0.0
    for z in sorted({t[0] for t in tiles}):
        at = [t for t in tiles if t[0] == z]
        k = min(per_zoom, len(at))
        picks = [at[(2 * i + 1) * len(at) // (2 * k)] for i in range(k)]
        sizes = [_sample_bytes(lambda t=t: render_row(item, layer, t[0], t[2], t[1], t[1]).get(t[1])) for t in picks]
        total += sum(sizes) / k * len(at)
    return round(total)


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
    est_tiles, runs, path = 0, [], None
    if tiles:
        est_tiles = _estimate_tiles(item, layer, tiles, samples)
        path = f"{quote(item['collection'], safe='')}/{quote(item['id'], safe='')}/{layer}"
        runs = [f"/api/field/tiles/{path}/{z}/{y}?x0={x0}&x1={x1}" for z, y, x0, x1 in tile_runs(tiles)]
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
            "urls": urls, "tile_runs": runs, "tile_prefix": None if path is None else f"/tiles/{path}"}


def tile_runs(tiles: Sequence[tuple[int, int, int]]) -> list[tuple[int, int, int, int]]:
    """(z, y, x0, x1) runs of consecutive tiles of one row, at most :data:`ROW_TILES` long."""
    runs: list[list[int]] = []
    for z, x, y in sorted(tiles, key=lambda t: (t[0], t[2], t[1])):
        last = runs[-1] if runs else None
        if last and last[0] == z and last[1] == y and last[3] == x - 1 and x - last[2] < ROW_TILES:
            last[3] = x
        else:
            runs.append([z, y, x, x])
    return [tuple(r) for r in runs]


def render_row(item: dict, layer: str, z: int, y: int, x0: int, x1: int) -> dict[int, bytes]:
    """Tiles ``x0..x1`` of row ``y`` at zoom ``z`` (those holding data), drawn as one image: JPEG
    where the imagery covers the whole tile, PNG (with transparency) at its edges."""
    import morecantile

    spec = layers_for_item(item)[layer]
    if spec.kind == "rgb_bands":  # byte orthomosaics: tile by tile
        found = {x: render_tile(item, layer, x, y, z) for x in range(x0, x1 + 1)}
        return {x: png for x, png in found.items() if png is not None}
    tms = morecantile.tms.get("WebMercatorQuad")
    a, b = tms.xy_bounds(x0, y, z), tms.xy_bounds(x1, y, z)
    n = x1 - x0 + 1
    rgba = render_mercator(item, layer, (a.left, a.bottom, b.right, a.top), TILE * n, TILE)
    if rgba is None:
        return {}
    rgb, mask = rgba
    out = {}
    for i in range(n):
        cols = slice(i * TILE, (i + 1) * TILE)
        if mask[:, cols].any():
            out[x0 + i] = encode_image(rgb[:, :, cols], mask[:, cols], lossy=True)
    return out
