"""Reads of a web-mercator box of a layer's bands by index instead of one GDAL warp per band.

The source pixel of every output pixel is found once per box and source grid
(:func:`yvy.kernels.resample.source_index`, from a coarse grid projected by GDAL/PROJ), then each
band is one plain window read and a gather. This is the nearest-neighbour warp rio-tiler does when
the output is at least as fine as the data (over-zoom: it warps straight to the output grid), so
the images match ``/tiles``. For coarser outputs GDAL reads the overview that its nearest-neighbour
rule picks (:func:`_overview`) and warps it straight to the output grid; the gather does the same
from that overview. Files without a fitting overview are left to the GDAL path (the caller's).

Must not import: yvy.storage, click.
"""

from __future__ import annotations

import functools
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from dataclasses import replace as dataclass_replace

import numpy as np

__all__ = ["MercatorReader", "mercator_reader"]

_STEP = 16
"""Output pixels between exactly projected points (the rest interpolated: far below a pixel)."""
_OVERSAMPLING = 1.2
"""GDAL's default GDAL_OVERVIEW_OVERSAMPLING_THRESHOLD for nearest-neighbour reads: an overview up
to 1.2 times coarser than asked for is taken."""


@dataclass(frozen=True)
class _Grid:
    """What the gather needs to know of one band file."""

    crs: object
    transform: object
    width: int
    height: int
    nodata: float | None
    res_3857: tuple[float, float]
    """Its pixel size once warped to web mercator (rio-tiler's over-zoom threshold)."""
    plain: bool
    """One band without an internal mask or alpha (nodata, if any, is the only mask)."""
    overviews: tuple[int, ...]
    """Decimation factors of its overviews."""
    level: int | None = None
    """The overview this grid is (None: the full resolution)."""


@functools.lru_cache(maxsize=512)
def _grid(href: str, stamp: float, level: int | None = None) -> _Grid:
    import rasterio
    from rasterio.enums import MaskFlags
    from rasterio.warp import calculate_default_transform

    with rasterio.open(href) as ds:
        dst, _, _ = calculate_default_transform(ds.crs, "EPSG:3857", ds.width, ds.height, *ds.bounds)
        flags = ds.mask_flag_enums[0]
        plain = ds.count == 1 and (MaskFlags.all_valid in flags or MaskFlags.nodata in flags)
        grid = _Grid(ds.crs, ds.transform, ds.width, ds.height, ds.nodata, (abs(dst.a), abs(dst.e)), plain,
                     tuple(ds.overviews(1)))
    if level is None:
        return grid
    with rasterio.open(href, overview_level=level) as ov:
        return dataclass_replace(grid, transform=ov.transform, width=ov.width, height=ov.height, level=level)


def _overview(grid: _Grid, bounds, width: int, height: int) -> int | None | bool:
    """The overview GDAL reads for this output (None: the full resolution; False: none fits, it
    would resample the warped data a second time)."""
    w, s, e, n = bounds
    if (e - w) / width <= grid.res_3857[0] and (n - s) / height <= grid.res_3857[1]:
        return None  # over-zoom: warped straight to the output grid
    want = min(max(1, round((e - w) / grid.res_3857[0])) / width, max(1, round((n - s) / grid.res_3857[1])) / height)
    fits = [i for i, f in enumerate(grid.overviews) if f <= want * _OVERSAMPLING]
    return max(fits, key=lambda i: grid.overviews[i]) if fits else False


def _stamp(href: str) -> float:
    try:
        return os.path.getmtime(href)
    except OSError:  # not a local file (a /vsi path): taken as unchanging
        return 0.0


_OPEN = threading.local()
_OPEN_MAX = 12
"""Files each request thread keeps open (opening one costs about as much as reading a tile's
window); a scene's bands and quality band, and the chips' scenes, fit."""


def _open(href: str, stamp: float, level: int | None):
    """The file (or its overview ``level``) open for reading in this thread; kept open for the
    next reads, the least recently used closed beyond :data:`_OPEN_MAX`."""
    import rasterio

    cache = _OPEN.__dict__.setdefault("files", OrderedDict())
    key = (href, stamp, level)
    ds = cache.pop(key, None)
    if ds is None:
        ds = rasterio.open(href, **({} if level is None else {"overview_level": level}))
        while len(cache) >= _OPEN_MAX:
            cache.popitem(last=False)[1].close()
    cache[key] = ds
    return ds


def _index(grid: _Grid, bounds, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    from rasterio.warp import transform

    from ..kernels.resample import source_index

    w, s, e, n = bounds
    rx, ry = (e - w) / width, (n - s) / height
    kx = np.arange(-(-width // _STEP) + 1) * _STEP
    ky = np.arange(-(-height // _STEP) + 1) * _STEP
    mx, my = np.meshgrid(w + kx * rx, n - ky * ry)
    xs, ys = transform("EPSG:3857", grid.crs, mx.ravel().tolist(), my.ravel().tolist())
    inv = ~grid.transform
    gx = inv.a * np.asarray(xs) + inv.b * np.asarray(ys) + inv.c
    gy = inv.d * np.asarray(xs) + inv.e * np.asarray(ys) + inv.f
    return source_index(gx.reshape(mx.shape), gy.reshape(mx.shape), _STEP, height, width)


class MercatorReader:
    """Reads of assets on one web-mercator output grid (see :func:`mercator_reader`)."""

    def __init__(self, grids: dict[str, _Grid], bounds, width: int, height: int):
        self._grids, self._bounds, self._width, self._height = grids, bounds, width, height
        self._indices: dict[tuple, tuple | None] = {}

    def _window(self, asset: dict):
        """(grid, rows, cols, window bounds, window array) of an asset, or None outside it."""
        from rasterio.windows import Window

        g = self._grids[asset["href"]]
        key = (g.crs.to_string(), tuple(g.transform), g.width, g.height)
        if key not in self._indices:
            rows, cols = _index(g, self._bounds, self._width, self._height)
            r0, r1 = max(int(rows.min()), 0), min(int(rows.max()) + 1, g.height)
            c0, c1 = max(int(cols.min()), 0), min(int(cols.max()) + 1, g.width)
            self._indices[key] = (rows, cols, r0, r1, c0, c1) if r0 < r1 and c0 < c1 else None
        found = self._indices[key]
        if found is None:
            return None
        rows, cols, r0, r1, c0, c1 = found
        src = _open(asset["href"], _stamp(asset["href"]), g.level).read(1, window=Window(c0, r0, c1 - c0, r1 - r0))
        return g, rows, cols, r0, c0, src

    def __call__(self, asset: dict) -> np.ma.MaskedArray | None:
        """Physical values of ``asset`` (masked where no data), or None outside it."""
        from ..kernels.resample import gather
        from ._render import _scale_offset

        found = self._window(asset)
        if found is None:
            return None
        g, rows, cols, r0, c0, src = found
        values, mask = gather(src, r0, c0, rows, cols, g.nodata, *_scale_offset(asset))
        return np.ma.MaskedArray(values, mask)

    def rgb(self, assets: list[dict], vmin: float, vmax: float,
            lut: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """Red, green and blue ``assets`` stretched from ``vmin..vmax`` through ``lut`` (uint8
        planes) and the validity mask, in one pass per band; None outside them."""
        from ..kernels.resample import gather_stretch
        from ._render import _scale_offset

        out = np.empty((3, self._height, self._width), np.uint8)
        invalid = np.zeros((self._height, self._width), bool)
        for plane, asset in zip(out, assets, strict=True):
            found = self._window(asset)
            if found is None:
                return None
            g, rows, cols, r0, c0, src = found
            gather_stretch(src, r0, c0, rows, cols, g.nodata, *_scale_offset(asset), vmin, vmax, lut, plane, invalid)
        return out, ~invalid


def mercator_reader(assets: list[dict], bounds: tuple[float, float, float, float], width: int,
                    height: int) -> MercatorReader | None:
    """A reader of ``assets`` on the ``width`` x ``height`` grid over web-mercator ``bounds`` (call
    it with an asset for its physical values, masked where no data), or None when one of them is
    not a plain band or has no overview fitting the output: the GDAL path then."""
    grids = {}
    for asset in assets:
        g = _grid(asset["href"], _stamp(asset["href"]))
        level = _overview(g, bounds, width, height)
        if not g.plain or level is False:
            return None
        grids[asset["href"]] = g if level is None else _grid(asset["href"], _stamp(asset["href"]), level)
    return MercatorReader(grids, bounds, width, height)
