"""Raster inputs of the disaster products read strip by strip on one grid, from worker threads.

:class:`Sources` opens the radar scene and the optional optical, HAND and reference rasters (any
grid: a WarpedVRT puts them on the radar grid), validates them once, and gives each worker
thread its own dataset handles (GDAL handles are not thread-safe; numba kernels release the
GIL, so strips run in parallel). Imports rasterio and numpy; never click or storage.
"""

from __future__ import annotations

import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from ..errors import E_, InputError
from ..kernels import water as wk

__all__ = ["S1_BANDS", "S2_BANDS", "Sources", "band_index", "open_raster_input", "strips", "to_cog"]

S1_BANDS = ("VV", "VH")
S2_BANDS = ("B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B9", "B10", "B11", "B12")
"""Sentinel-2 band order of a 13-band stack (Sen1Floods11 chips) when descriptions are missing."""
OPTICAL = ("B2", "B3", "B8", "B11")


def strips(height: int, strip: int, halo: int):
    """``(r0, r1, a, b)``: rows ``r0:r1`` of each strip and the rows ``a:b`` to read with a halo."""
    for r0 in range(0, height, strip):
        r1 = min(r0 + strip, height)
        yield r0, r1, max(r0 - halo, 0), min(r1 + halo, height)


def to_cog(path: Path, resampling: str = "mode") -> None:
    """Rewrite a GeoTIFF in place as a Cloud-Optimized GeoTIFF (GDAL's COG driver, deflate)."""
    import os

    from rasterio.shutil import copy

    tmp = path.with_name(path.name + ".cog")
    try:
        copy(path, tmp, driver="COG", compress="DEFLATE", blocksize=256, overview_resampling=resampling)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def open_raster_input(path, what: str):
    """Open a raster a user named, or raise a one-line InputError."""
    import rasterio

    p = Path(path)
    if not p.exists():
        raise InputError(p, f"{what} not found")
    try:
        ds = rasterio.open(p)
    except Exception as exc:  # rasterio raises RasterioIOError and others
        raise InputError(p, f"not a readable raster ({str(exc).splitlines()[0][:120]})") from exc
    if ds.crs is None:
        ds.close()
        raise InputError(p, "raster has no CRS")
    return ds


def band_index(ds, name: str, order: tuple[str, ...]) -> int:
    """1-based index of band ``name`` by description, else by the standard ``order`` of a full stack."""
    desc = [(d or "").upper() for d in ds.descriptions]
    if name in desc:
        return desc.index(name) + 1
    if ds.count == len(order) and not any(desc):
        return order.index(name) + 1
    raise InputError(ds.name, f"no band {name} (bands: {', '.join(d or '?' for d in desc)}); "
                     f"expected {len(order)} bands {', '.join(order)}")


def _on_grid(ds, ref, resampling: str):
    from rasterio.enums import Resampling
    from rasterio.vrt import WarpedVRT

    if ds.crs == ref.crs and ds.transform == ref.transform and ds.shape == ref.shape:
        return ds
    return WarpedVRT(ds, crs=ref.crs, transform=ref.transform, width=ref.width, height=ref.height,
                     resampling=getattr(Resampling, resampling))


class Sources:
    """The inputs of one flood map, on the radar grid (a context manager)."""

    def __init__(self, scene, params, *, band: str = "VH", optical=None, hand=None, reference=None):
        self.params = params
        self.paths = {"scene": scene, "optical": optical, "hand": hand, "reference": reference}
        self._local = threading.local()
        self._all: list = []
        ds = self._handles()["scene"]
        self.name, self.crs, self.transform = str(scene), ds.crs, ds.transform
        self.height, self.width = ds.height, ds.width
        self.vh_band = band_index(ds, band, S1_BANDS)
        self.bands = {}
        if optical:
            opt = self._handles()["optical_raw"]
            self.bands = {n: band_index(opt, n, S2_BANDS) for n in OPTICAL}
            if "B10" in [(d or "").upper() for d in opt.descriptions] or opt.count == len(S2_BANDS):
                self.bands["B10"] = band_index(opt, "B10", S2_BANDS)

    def _handles(self) -> dict:
        h = getattr(self._local, "h", None)
        if h is None:
            h = {"scene": open_raster_input(self.paths["scene"], E_("scene"))}
            self._all.append(h["scene"])
            for key, what, resampling in (("optical", E_("optical scene"), "bilinear"), ("hand", E_("HAND raster"),
                                          "bilinear"), ("reference", E_("reference water map"), "nearest")):
                if self.paths[key]:
                    raw = open_raster_input(self.paths[key], what)
                    h[key + "_raw"], h[key] = raw, _on_grid(raw, h["scene"], resampling)
                    self._all += [raw, h[key]] if h[key] is not raw else [raw]
            self._local.h = h
        return h

    def has(self, key: str) -> bool:
        """Whether the optional input ``key`` (optical, hand, reference) was given."""
        return bool(self.paths[key])

    def read(self, key: str, r0: int, r1: int, band: int = 1):
        """Rows ``r0:r1`` of input ``key`` on the radar grid as float64 (NaN = no data); None if absent."""
        from rasterio.windows import Window

        if not self.has(key):
            return None
        arr = self._handles()[key].read(band, window=Window(0, r0, self.width, r1 - r0), masked=True)
        return arr.astype(np.float64).filled(np.nan)

    def vh(self, r0, r1, a, b):
        """Lee-filtered VH (dB) of rows ``r0:r1``, filtered with the halo rows ``a:b``."""
        raw = self.read("scene", a, b, self.vh_band)
        p = self.params
        return (wk.lee_filter_db(raw, p.lee_radius, p.looks) if p.lee_radius else raw)[r0 - a:r1 - a]

    def optical(self, r0, r1):
        """(NDWI, MNDWI) of clear optical pixels of rows ``r0:r1`` (NaN elsewhere)."""
        g, n, s, b = (self.read("optical", r0, r1, self.bands[k]) for k in ("B3", "B8", "B11", "B2"))
        c = self.read("optical", r0, r1, self.bands["B10"]) if "B10" in self.bands else None
        return wk.optical_water_indices(*(np.nan_to_num(x, nan=0.0) for x in (g, n, s, b)),
                                        None if c is None else np.nan_to_num(c, nan=0.0))

    def map(self, fn, items):
        """``fn`` over ``items`` on ``params.workers`` threads, results in order, a bounded queue ahead."""
        workers = max(int(self.params.workers), 1)
        if workers == 1:
            yield from map(fn, items)
            return
        with ThreadPoolExecutor(workers) as pool:
            pending: deque = deque()
            for item in items:
                pending.append(pool.submit(fn, item))
                if len(pending) > 2 * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()

    def close(self) -> None:
        """Close every handle opened by any thread."""
        for ds in reversed(self._all):
            ds.close()
        self._all.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
