"""Rendering of catalog items to images with rio-tiler: the layers an item offers (true colour,
false colour, NDVI for scenes; one coloured layer per band asset of a detection product) and the
functions that read a web-mercator tile or a WGS84 box of a layer into an RGBA PNG.

Reflectance assets follow Earth Search keys (``blue green red nir swir16 swir22 scl``, see
:mod:`yvy.catalog.assets`) with ``raster:bands`` scale/offset; assets are local COG paths. Index
layers take their bands from :data:`yvy.kernels.indices.INDICES` and hide the pixels that the
sensor's quality band marks as not clear (:mod:`yvy.cube.mask`, the cube's own rule).
"""

from __future__ import annotations

import dataclasses
import functools
import os
from dataclasses import dataclass

import numpy as np

# imported with this module: a first import of rio-tiler from several request threads at once
# fails (its modules import each other), and the sync's reads no longer import it first
import rio_tiler.io  # noqa: F401

from ..catalog import assets as keys
from ..change.product import DETECTIONS
from ..cube.mask import clear_mask, quality_band
from ..kernels.indices import INDICES

__all__ = ["EMPTY_PNG", "LayerSpec", "layer_assets", "layers_for_item", "read_values", "render_bbox",
           "render_mercator", "render_tile"]

TILE = 256


@dataclass(frozen=True)
class LayerSpec:
    """How to draw one layer: the assets it reads and how values become colours."""

    name: str
    assets: tuple[str, ...]
    kind: str
    """``rgb`` (three reflectance assets), ``rgb_bands`` (one three-band byte asset, an orthomosaic),
    ``index`` (normalized difference of two) or ``band``."""
    vmin: float = 0.0
    vmax: float = 0.3
    colormap: str | None = None
    title: str = ""


def _index_layer(name: str, vmin: float) -> LayerSpec:
    return LayerSpec(name, INDICES[name].bands, "index", vmin, 0.9, "rdylgn", name.upper())


_SCENE_LAYERS = (
    LayerSpec("truecolor", (keys.RED, keys.GREEN, keys.BLUE), "rgb", 0.0, 0.3, None, "True colour (B4 B3 B2)"),
    LayerSpec("falsecolor", (keys.NIR, keys.RED, keys.GREEN), "rgb", 0.0, 0.5, None, "False colour (B8 B4 B3)"),
    _index_layer("ndvi", -0.2),
    _index_layer("nbr", -0.5),
)
_DETECTION_COLORMAPS = {"break_days": "plasma", "magnitude": "rdbu", "confidence": "viridis",
                        "water": "blues", "flood": "blues", "severity": "ylorrd", "dnbr": "rdylgn_r",
                        "risk": "ylorrd"}
_BAND_PRODUCTS = (DETECTIONS, "yvy-risk")
"""Collections whose items are drawn one layer per band asset."""


def _is_band_asset(asset: dict) -> bool:
    roles = asset.get("roles") or []
    typ = asset.get("type") or ""
    return ("data" in roles or not roles) and ("tiff" in typ or asset.get("href", "").endswith(".tif"))


def layers_for_item(item: dict) -> dict[str, LayerSpec]:
    """The layers an item can be drawn as, by name."""
    assets = item.get("assets") or {}
    out: dict[str, LayerSpec] = {}
    if str(item.get("collection", "")).startswith(_BAND_PRODUCTS):
        for key, asset in assets.items():
            if _is_band_asset(asset):
                rb = (asset.get("raster:bands") or [{}])[0]
                stats = rb.get("statistics") or {}
                vmin, vmax = stats.get("minimum"), stats.get("maximum")
                out[key] = LayerSpec(key, (key,), "band", vmin if vmin is not None else float("nan"),
                                     vmax if vmax is not None else float("nan"),
                                     _DETECTION_COLORMAPS.get(key, "viridis"), asset.get("title") or key)
        return out
    for spec in _SCENE_LAYERS:
        found = tuple(keys.asset_for(assets, k) for k in spec.assets)
        if all(found):
            out[spec.name] = dataclasses.replace(spec, assets=found)
    if not out:  # one asset holding red, green and blue bands (a drone orthomosaic)
        for key, asset in assets.items():
            names = [b.get("common_name") for b in asset.get("eo:bands") or []]
            if names[:3] == ["red", "green", "blue"] and _is_band_asset(asset):
                out["truecolor"] = LayerSpec("truecolor", (key,), "rgb_bands", 0.0, 255.0, None,
                                             "True colour (orthomosaic)")
                break
    return out


@functools.lru_cache(maxsize=1)
def _empty_png() -> bytes:
    from rio_tiler.utils import render

    return render(np.zeros((3, TILE, TILE), np.uint8), mask=np.zeros((TILE, TILE), np.uint8))


class _Empty:
    def __bytes__(self) -> bytes:
        return _empty_png()


EMPTY_PNG = _Empty()
"""``bytes(EMPTY_PNG)``: a fully transparent 256x256 PNG (what a tile outside the data is)."""


def _scale_offset(asset: dict) -> tuple[float, float]:
    rb = (asset.get("raster:bands") or [{}])[0]
    return float(rb.get("scale", 1.0) or 1.0), float(rb.get("offset", 0.0) or 0.0)


def _read(asset: dict, reader_call) -> np.ma.MaskedArray | None:
    """One band of an asset via ``reader_call(Reader)``, scaled to physical values; None if outside."""
    from rio_tiler.errors import TileOutsideBounds
    from rio_tiler.io import Reader

    try:
        with Reader(asset["href"]) as src:
            img = reader_call(src)
    except TileOutsideBounds:
        return None
    arr = img.array[0].astype("float32", copy=False)
    scale, offset = _scale_offset(asset)
    return arr * scale + offset


_GAMMA = (np.linspace(0, 1, 256) ** (1 / 1.4) * 255).astype(np.uint8)
"""Display gamma applied to stretched reflectance (as a lookup table: cheaper than a power)."""


def _stretch(arr: np.ndarray, vmin: float, vmax: float) -> np.ndarray:
    """Linear stretch of a float array to 0..255 (uint8)."""
    out = (arr - vmin) * (255.0 / ((vmax - vmin) or 1.0))
    np.clip(out, 0, 255, out=out)
    return out.astype(np.uint8)


def _to_rgba(spec: LayerSpec, bands: list[np.ma.MaskedArray], stats) -> tuple[np.ndarray, np.ndarray]:
    masks = [np.ma.getmaskarray(b) for b in bands]
    data = [np.ma.getdata(b) for b in bands]
    invalid = np.logical_or.reduce(masks)
    if spec.kind == "rgb":
        rgb = np.stack([_GAMMA[_stretch(d, spec.vmin, spec.vmax)] for d in data])
        return rgb, ~invalid
    if spec.kind == "index":
        a, b = data
        with np.errstate(divide="ignore", invalid="ignore"):
            val = (a - b) / (a + b)
        vmin, vmax = spec.vmin, spec.vmax
    else:
        val = data[0]
        vmin, vmax = spec.vmin, spec.vmax
        if not (np.isfinite(vmin) and np.isfinite(vmax)):
            vmin, vmax = stats
    valid = ~invalid & np.isfinite(val)
    idx = _stretch(np.where(valid, val, vmin).astype("float32"), vmin, vmax)
    return _lut(spec.colormap or "viridis")[idx].transpose(2, 0, 1), valid


@functools.lru_cache(maxsize=32)
def _lut(name: str) -> np.ndarray:
    from rio_tiler.colormap import cmap

    cm = cmap.get(name)
    return np.array([cm[i][:3] for i in range(256)], dtype=np.uint8)


@functools.lru_cache(maxsize=256)
def _band_range(href: str, mtime: float) -> tuple[float, float]:
    """2nd and 98th percentile of a band (from a small overview read), for layers without stats."""
    import rasterio

    with rasterio.open(href) as ds:
        f = max(1, max(ds.width, ds.height) // 512)
        arr = ds.read(1, out_shape=(max(1, ds.height // f), max(1, ds.width // f)), masked=True)
    vals = np.ma.compressed(arr).astype("float64")
    vals = vals[np.isfinite(vals)]
    if vals.size == 0:
        return 0.0, 1.0
    lo, hi = np.percentile(vals, [2, 98])
    return float(lo), float(hi if hi > lo else lo + 1)


def _stats(spec: LayerSpec, item: dict) -> tuple[float, float]:
    if spec.kind != "band" or (np.isfinite(spec.vmin) and np.isfinite(spec.vmax)):
        return spec.vmin, spec.vmax
    asset = item["assets"][spec.assets[0]]
    href = asset["href"]
    scale, offset = _scale_offset(asset)
    lo, hi = _band_range(href, os.path.getmtime(href))
    return lo * scale + offset, hi * scale + offset


def _rgb_bands(spec: LayerSpec, item: dict, reader_call) -> tuple[np.ndarray, np.ndarray] | None:
    """A three-band byte asset (orthomosaic) as is, with its validity mask."""
    from rio_tiler.errors import TileOutsideBounds
    from rio_tiler.io import Reader

    try:
        with Reader(item["assets"][spec.assets[0]]["href"]) as src:
            img = reader_call(src, (1, 2, 3))
    except TileOutsideBounds:
        return None
    mask = np.ones(img.data.shape[1:], bool) if img.mask is None else img.mask > 0
    return (img.data.astype(np.uint8), mask) if mask.any() else None


def _render(spec: LayerSpec, item: dict, reader_call) -> bytes | None:
    if spec.kind == "rgb_bands":
        rgba = _rgb_bands(spec, item, reader_call)
    else:
        rgba = _layer_rgba(spec, item, lambda asset: _read(asset, reader_call))
    return None if rgba is None else _png(*rgba)


def _layer_rgba(spec: LayerSpec, item: dict, read) -> tuple[np.ndarray, np.ndarray] | None:
    """RGB (3, h, w) and validity mask of a layer whose bands ``read(asset)`` gives (None:
    outside the data or nothing valid)."""
    bands = []
    for key in spec.assets:
        arr = read(item["assets"][key])
        if arr is None:
            return None
        bands.append(arr)
    if spec.kind == "index":
        bands[0] = _mask_not_clear(item, bands[0], read)
    rgb, mask = _to_rgba(spec, bands, _stats(spec, item))
    return (rgb, mask) if mask.any() else None


def _png(rgb: np.ndarray, mask: np.ndarray) -> bytes:
    from rio_tiler.utils import render

    return render(np.ascontiguousarray(rgb), mask=(mask * 255).astype(np.uint8), img_format="PNG", ZLEVEL=3)


def _mask_not_clear(item: dict, band: np.ma.MaskedArray, read) -> np.ma.MaskedArray:
    """``band`` with the pixels its item's quality band (``read(asset)``) marks as not clear masked out."""
    found = quality_band(item)
    if found is None:
        return band
    quality = read(item["assets"][found[1]])
    if quality is None:
        return band
    return np.ma.masked_where(~clear_mask(found[0], quality), band)


def layer_assets(item: dict, spec: LayerSpec) -> list[dict]:
    """The assets drawing ``spec`` reads (its bands and, for an index, the quality band)."""
    found = quality_band(item) if spec.kind == "index" else None
    return [item["assets"][k] for k in spec.assets] + ([item["assets"][found[1]]] if found else [])


def render_mercator(item: dict, layer: str, bounds: tuple[float, float, float, float], width: int,
                    height: int) -> tuple[np.ndarray, np.ndarray] | None:
    """RGB and validity mask of ``layer`` on a ``width`` x ``height`` grid over web-mercator
    ``bounds`` (None: no data there): by index (:mod:`._gather`) where the output is at least as
    fine as the data, else through rio-tiler's warp."""
    from rasterio.crs import CRS

    from ._gather import mercator_reader

    spec = layers_for_item(item)[layer]
    read = None if spec.kind == "rgb_bands" else mercator_reader(layer_assets(item, spec), bounds, width, height)
    if read is not None and spec.kind == "rgb":  # the common case in one pass per band
        rgba = read.rgb([item["assets"][k] for k in spec.assets], spec.vmin, spec.vmax, _GAMMA)
        return rgba if rgba is not None and rgba[1].any() else None
    if read is None:
        merc = CRS.from_epsg(3857)

        def call(src, idx=1):
            return src.part(bounds, dst_crs=merc, bounds_crs=merc, width=width, height=height, indexes=idx,
                            max_size=None)

        if spec.kind == "rgb_bands":
            return _rgb_bands(spec, item, call)
        read = lambda asset: _read(asset, call)  # noqa: E731
    return _layer_rgba(spec, item, read)


def render_tile(item: dict, layer: str, x: int, y: int, z: int) -> bytes | None:
    """PNG of one WebMercatorQuad tile of ``layer``, or None when the tile holds no data."""
    spec = layers_for_item(item)[layer]
    return _render(spec, item, lambda src, idx=1: src.tile(x, y, z, tilesize=TILE, indexes=idx))


def render_bbox(item: dict, layer: str, bbox: tuple[float, float, float, float], size: int = 256) -> bytes | None:
    """PNG of a WGS84 box of ``layer`` in web mercator (longest side ``size`` pixels), or None."""
    import math

    from rasterio.warp import transform_bounds

    minx, miny, maxx, maxy = bbox
    ratio = (maxy - miny) / max((maxx - minx) * math.cos(math.radians((miny + maxy) / 2)), 1e-12)
    width, height = (size, max(1, round(size * ratio))) if ratio <= 1 else (max(1, round(size / ratio)), size)
    from ._encode import encode_image

    bounds = transform_bounds("EPSG:4326", "EPSG:3857", *bbox, densify_pts=21)  # as rio-tiler's part()
    rgba = render_mercator(item, layer, bounds, width, height)
    return None if rgba is None else encode_image(*rgba)


def read_values(asset: dict, geometry: dict) -> np.ma.MaskedArray | None:
    """Physical values of one asset's pixels inside a WGS84 GeoJSON geometry (None: outside)."""
    from rio_tiler.errors import RioTilerError

    try:
        return _read(asset, lambda src: src.feature(geometry, dst_crs=src.crs, indexes=1, max_size=None))
    except RioTilerError:
        return None
