"""XYZ tiles (WebMercatorQuad) of catalog items with a TileJSON per layer, rendered by rio-tiler.

``/tiles/{collection}/{item}`` lists an item's layers; ``.../{layer}/tilejson.json`` describes
one; ``.../{layer}/{z}/{x}/{y}.png`` draws a tile. A tile outside the data is a transparent PNG.
Responses carry ``Cache-Control`` and an ``ETag`` derived from the item's stored document.
"""

from __future__ import annotations

import hashlib
import json
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from ..errors import InputError, NotFoundError
from ._render import EMPTY_PNG, layers_for_item, render_tile
from .auth import read_access

__all__ = ["router"]

router = APIRouter(prefix="/tiles", tags=["Tiles"], dependencies=[Depends(read_access)])
MAX_ZOOM = 22


def _item(request: Request, collection_id: str, item_id: str) -> dict:
    ctx = request.app.state.yvy
    return ctx.assets.servable(ctx.store.get_item(collection_id, item_id))


def _spec(item: dict, layer: str):
    layers = layers_for_item(item)
    if layer not in layers:
        have = ", ".join(layers) or "none"
        raise NotFoundError(f"{item['collection']}/{item['id']}/{layer}", f"no such layer; this item has: {have}")
    return layers[layer]


def _etag(item: dict, *parts) -> str:
    h = hashlib.sha1(json.dumps(item, sort_keys=True).encode())
    h.update("/".join(str(p) for p in parts).encode())
    return f'"{h.hexdigest()[:20]}"'


def _cached(request: Request, body: bytes | None, media: str, etag: str) -> Response:
    headers = {"Cache-Control": f"public, max-age={request.app.state.yvy.settings.tile_max_age}",
               "ETag": etag}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media, headers=headers)


@router.get("/{collection_id}/{item_id}", summary="Layers of an item")
def list_layers(collection_id: str, item_id: str, request: Request) -> dict:
    """The layers an item can be drawn as, each with its TileJSON URL."""
    item = _item(request, collection_id, item_id)
    base = f"{str(request.base_url).rstrip('/')}/tiles/{quote(collection_id, safe='')}/{quote(item_id, safe='')}"
    return {"collection": collection_id, "item": item_id, "layers": [
        {"name": name, "title": spec.title, "tilejson": f"{base}/{name}/tilejson.json"}
        for name, spec in layers_for_item(item).items()]}


@router.get("/{collection_id}/{item_id}/{layer}/tilejson.json", summary="TileJSON of a layer")
def tilejson(collection_id: str, item_id: str, layer: str, request: Request) -> Response:
    """TileJSON 2.2 document of one layer of an item."""
    item = _item(request, collection_id, item_id)
    spec = _spec(item, layer)
    root = str(request.base_url).rstrip("/")
    url = (f"{root}/tiles/{quote(collection_id, safe='')}/{quote(item_id, safe='')}/{layer}"
           "/{z}/{x}/{y}.png")
    minx, miny, maxx, maxy = item.get("bbox") or [-180, -85, 180, 85]
    doc = {
        "tilejson": "2.2.0", "name": f"{item_id} {layer}", "description": spec.title,
        "scheme": "xyz", "tiles": [url], "minzoom": 0, "maxzoom": MAX_ZOOM,
        "bounds": [minx, miny, maxx, maxy],
        "center": [(minx + maxx) / 2, (miny + maxy) / 2, 12],
        "attribution": item.get("properties", {}).get("constellation") or "yvy",
    }
    return _cached(request, json.dumps(doc).encode(), "application/json", _etag(item, layer, "tilejson"))


@router.get("/{collection_id}/{item_id}/{layer}/{z}/{x}/{y}.png", summary="A map tile",
            responses={200: {"content": {"image/png": {}}}})
async def tile(collection_id: str, item_id: str, layer: str, request: Request,
               z: int = Path(ge=0, le=MAX_ZOOM), x: int = Path(ge=0), y: int = Path(ge=0)) -> Response:
    """One 256x256 PNG tile in WebMercatorQuad; transparent where there is no data."""
    if x >= 2**z or y >= 2**z:
        raise InputError("tile", f"x and y must be below 2**z = {2**z}")
    item = await run_in_threadpool(_item, request, collection_id, item_id)
    _spec(item, layer)
    etag = _etag(item, layer, z, x, y)
    if request.headers.get("if-none-match") == etag:
        return _cached(request, None, "image/png", etag)
    png = await run_in_threadpool(render_tile, item, layer, x, y, z)
    return _cached(request, png if png is not None else bytes(EMPTY_PNG), "image/png", etag)
