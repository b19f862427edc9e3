"""Imagery for training cases: one time stack of NDVI and quality flags over the exercise area,
zone series (through the :func:`yvy.kernels.zonal.zonal_mean` kernel) and RGB chips.

The stack is read once, on the grid of the first usable item, for the window covering the
exercise area (so memory is bounded by that window, not by the scenes): red and NIR reflectance
(scale and offset from the items' ``raster:bands``), NDVI through :mod:`yvy.kernels.indices`,
and the quality band's invalid and shadow masks through :mod:`yvy.cube.mask`. Imports numpy,
rasterio, matplotlib (chips); must not import click, fastapi, yvy.storage.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..alerts import _geo
from ..alerts.evidence import find_band
from ..cube.mask import clear_mask, quality_band
from ..errors import EmptyAOIError
from ..kernels.indices import normalized_difference
from ..kernels.zonal import zonal_mean

__all__ = ["Grid", "Stack", "read_on_grid", "read_stack", "write_chips", "zone_series"]

SHADOW_CLASSES = {"scl": (3,)}
"""Quality band -> classes that mean cloud shadow (Sentinel-2 SCL class 3)."""


@dataclass(frozen=True)
class Grid:
    """A raster grid: CRS, affine transform and (height, width)."""

    crs: object
    transform: object
    shape: tuple[int, int]


@dataclass(frozen=True)
class Stack:
    """NDVI and quality over a grid, one layer per item (date order)."""

    grid: Grid
    items: list[dict]
    dates: list[str]
    ndvi: np.ndarray
    """float32 (time, y, x), NaN only where the data is missing (clouds are not masked)."""
    invalid: np.ndarray
    """bool (time, y, x): the quality band says cloud, shadow or nodata."""
    shadow: np.ndarray
    """bool (time, y, x): the quality band says cloud shadow."""


def _date(item: dict) -> str:
    p = item.get("properties", {})
    return (p.get("datetime") or p.get("start_datetime") or "")[:10]


def _grid_of(item: dict, bounds_lonlat) -> Grid:
    import rasterio
    from rasterio.windows import Window, from_bounds
    from shapely.geometry import box

    band = find_band(item, "red")
    with rasterio.open(band.href) as ds:
        g = _geo.reproject(box(*bounds_lonlat), _geo.WGS84, ds.crs)
        win = from_bounds(*g.bounds, ds.transform).round_offsets().round_lengths()
        win = win.intersection(Window(0, 0, ds.width, ds.height))
        return Grid(ds.crs, ds.window_transform(win), (int(win.height), int(win.width)))


def read_on_grid(href: str, grid: Grid, *, band: int = 1, resampling: str = "nearest") -> np.ndarray:
    """Band ``band`` of a raster on ``grid`` (float64, NaN where nodata or outside): a windowed
    read when the raster is on the same pixel grid, else resampled (rasterio's ``reproject``)."""
    import rasterio

    with rasterio.open(href) as ds:
        win = _aligned_window(ds, grid)
        if win is not None:
            inside = win.col_off >= 0 and win.row_off >= 0 and win.col_off + win.width <= ds.width \
                and win.row_off + win.height <= ds.height
            arr = ds.read(band, window=win, boundless=not inside, masked=True).astype(np.float64)
            return arr.filled(np.nan)
        from rasterio.enums import Resampling
        from rasterio.warp import reproject

        out = np.full(grid.shape, np.nan, np.float64)
        reproject(rasterio.band(ds, band), out, dst_transform=grid.transform, dst_crs=grid.crs,
                  dst_nodata=np.nan, resampling=Resampling[resampling])
        return out


def _aligned_window(ds, grid: Grid):
    """The window of ``ds`` that is exactly ``grid`` (same CRS, pixel size, whole-pixel offset), or None."""
    from rasterio.windows import Window

    a, g = ds.transform, grid.transform
    if ds.crs != grid.crs or not np.allclose([a.a, a.b, a.d, a.e], [g.a, g.b, g.d, g.e]):
        return None
    col, row = (g.c - a.c) / a.a, (g.f - a.f) / a.e
    if abs(col - round(col)) > 1e-6 or abs(row - round(row)) > 1e-6:
        return None
    return Window(round(col), round(row), grid.shape[1], grid.shape[0])


def _layer(item: dict, grid: Grid) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    red, nir = find_band(item, "red"), find_band(item, "nir")
    r, n = read_on_grid(red.href, grid, band=red.index), read_on_grid(nir.href, grid, band=nir.index)
    ndvi = normalized_difference(n, r, scale_a=nir.scale, offset_a=nir.offset, nodata_a=nir.nodata,
                                 scale_b=red.scale, offset_b=red.offset, nodata_b=red.nodata)
    found = quality_band(item)
    if found is None:
        return ndvi, np.zeros(grid.shape, bool), np.zeros(grid.shape, bool)
    spec, key = found
    q = read_on_grid(item["assets"][key]["href"], grid)
    invalid = ~clear_mask(spec, np.nan_to_num(q, nan=0).astype(np.int64))
    shadow = np.isin(q, SHADOW_CLASSES.get(key, ()))
    return ndvi, invalid, shadow


def read_stack(items: list[dict], bounds_lonlat, *, progress=None, workers: int = 2) -> Stack:
    """Read the items with red and NIR bands over ``bounds_lonlat`` (WGS84) into a :class:`Stack`."""
    usable = sorted((it for it in items if find_band(it, "red") and find_band(it, "nir")), key=_date)
    if not usable:
        raise EmptyAOIError("imagery", "no scene with red and near-infrared bands covers the exercise area")
    grid = _grid_of(usable[0], bounds_lonlat)
    layers = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for k, layer in enumerate(pool.map(lambda it: _layer(it, grid), usable), start=1):
            layers.append(layer)
            if progress is not None:
                progress(k, len(usable), "imagery")
    return Stack(grid, usable, [_date(it) for it in usable], np.stack([x[0] for x in layers]),
                 np.stack([x[1] for x in layers]), np.stack([x[2] for x in layers]))


def zone_series(stack: Stack, labels: np.ndarray, n_zones: int) -> tuple[np.ndarray, np.ndarray]:
    """(mean NDVI, share of invalid pixels): two float32 (n_zones, time) arrays."""
    ndvi = zonal_mean(stack.ndvi, labels, n_zones, min_share=0.5)
    bad = zonal_mean(stack.invalid.astype(np.float32), labels, n_zones, min_share=0.0)
    return ndvi, bad


def _stretch(rgb: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    ok = np.isfinite(rgb).all(axis=-1)
    out = np.clip((rgb - lo) / np.where(hi > lo, hi - lo, 1.0), 0, 1)
    out[~ok] = 0
    return out.astype(np.float32)


def _chip_rgb(item: dict, geom_wgs84, pad_m: float, min_m: float):
    """(RGB reflectance array with NaN, CRS, (minx, miny, maxx, maxy)) of a square around the
    geometry on the item's pixel grid; None when the item has no RGB bands."""
    import rasterio
    from rasterio.transform import from_origin

    bands = [find_band(item, b) for b in ("red", "green", "blue")]
    if any(b is None for b in bands):
        return None
    with rasterio.open(bands[0].href) as ds:
        crs, t = ds.crs, ds.transform
    res = abs(t.a)
    g = _geo.reproject(geom_wgs84, _geo.WGS84, crs)
    n = max(int(round(max(max(g.bounds[2] - g.bounds[0], g.bounds[3] - g.bounds[1]) + 2 * pad_m, min_m) / res)), 8)
    # the chip's corner on a pixel edge of the scene: a plain windowed read, no resampling
    x0 = t.c + round((g.centroid.x - n * res / 2 - t.c) / res) * res
    y0 = t.f - round((t.f - g.centroid.y - n * res / 2) / res) * res
    grid = Grid(crs, from_origin(x0, y0, res, res), (n, n))
    rgb = np.dstack([read_on_grid(b.href, grid, band=b.index) * b.scale + b.offset for b in bands])
    return rgb, crs, (x0, y0 - n * res, x0 + n * res, y0)


def write_chips(items: list[dict], geom_wgs84, paths: list[Path], *, pad_m: float = 150.0,
                min_m: float = 600.0) -> list[list[float] | None]:
    """Write RGB PNGs of several scenes of one place with one stretch (2-98 % of all of them
    together, per band), so that brightness compares across dates; return each chip's WGS84
    bounds ``[west, south, east, north]`` (None for an item without RGB bands)."""
    import matplotlib.image
    from shapely.geometry import box

    chips = [_chip_rgb(it, geom_wgs84, pad_m, min_m) for it in items]
    pixels = [c[0][np.isfinite(c[0]).all(axis=-1)] for c in chips if c is not None]
    pixels = np.concatenate(pixels) if pixels else np.zeros((0, 3))
    lo, hi = np.percentile(pixels, [2, 98], axis=0) if len(pixels) else (np.zeros(3), np.ones(3))
    out = []
    for chip, path in zip(chips, paths, strict=True):
        if chip is None:
            out.append(None)
            continue
        rgb, crs, xy = chip
        path.parent.mkdir(parents=True, exist_ok=True)
        matplotlib.image.imsave(path, _stretch(rgb, lo, hi))
        out.append([round(v, 7) for v in _geo.reproject(box(*xy), crs, _geo.WGS84).bounds])
    return out
