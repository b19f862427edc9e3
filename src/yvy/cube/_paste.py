"""Scenes already on the cube's grid, read straight from their files (no odc-stac, no Dask).

When every asset an index needs is a local GeoTIFF on the output grid (same CRS and pixel size,
a whole-pixel offset) and no two scenes share a solar day, odc-stac's read of a window is a
paste: the file's pixels copied into a window filled with the band's nodata. That is what
:class:`PasteReader` does, without building a Dask graph over every scene: for each window it
opens each file once, decodes only the blocks the window covers, and decodes the scenes in a
small thread pool (GDAL releases the GIL while it decodes, and so do the index kernels, which run
on each scene's bands in the same thread as soon as they are decoded). GDAL does not list the scene folders
on open (``GDAL_DISABLE_READDIR_ON_OPEN``): the STAC item already says which files there are.

Anything else (remote hrefs, other grids or CRSs, same-day scenes to mosaic, a file whose
georeferencing, nodata or data type differs from its item) is left to odc-stac: :func:`plan_paste`
returns None, or :meth:`PasteReader.read` raises :class:`NotPaste` and the caller reads with
odc-stac instead.

Must not import: click, rich, sqlite3, yvy.storage, yvy.cli.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from ..dates import parse_instant

__all__ = ["NotPaste", "PasteReader", "plan_paste"]

GDAL_ENV = {"GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR", "GDAL_NUM_THREADS": "1"}
"""GDAL settings of the reads (one decoding thread per file: files are decoded in parallel)."""

_TOL = 1e-6
"""Largest offset, in pixels, from a whole-pixel alignment still taken as aligned."""


class NotPaste(Exception):
    """A file is not what its STAC item says (grid, nodata, type) or cannot be read: use odc-stac."""


@dataclass(frozen=True)
class Source:
    """One asset file of one scene on the grid."""

    path: str
    row0: int
    """Row of the file at the grid's row 0 (negative: the grid starts above the file)."""
    col0: int
    nodata: float


@dataclass
class PasteReader:
    """Raw band windows of scenes on the cube's grid: ``sources[t][k]`` is key ``k`` at time ``t``."""

    sources: list[list[Source]]
    dtypes: list[str]
    """Data type of each key (the items' ``data_type``, the type odc-stac would load)."""
    affine: tuple[float, float, float, float, float, float]
    """The grid's ``(a, b, c, d, e, f)``."""
    epsg: int
    times: list[datetime]

    def read(self, rows: slice, cols: slice, times: Sequence[int],
             each: Callable[[int, list[np.ndarray]], None] | None = None) -> list[np.ndarray] | None:
        """``(len(times), h, w)`` raw arrays, one per key; NotPaste when a file is not as planned.

        With ``each``, nothing is returned: ``each(k, raw)`` is called, in the decoding thread, with
        the ``(1, h, w)`` raw arrays of ``times[k]`` (so the index is computed while other scenes
        decode, and the raw bands of the whole window are never all in memory).
        """
        h, w = rows.stop - rows.start, cols.stop - cols.start
        out = None if each else [np.empty((len(times), h, w), dtype=dt) for dt in self.dtypes]

        def one(k: int) -> None:
            import rasterio

            raw = [np.empty((1, h, w), dtype=dt) for dt in self.dtypes] if each else [o[k:k + 1] for o in out]
            with rasterio.Env(**GDAL_ENV):
                for j, src in enumerate(self.sources[int(times[k])]):
                    self._paste(rasterio, src, rows, cols, raw[j][0])
            if each:
                each(k, raw)

        threads = min(4, os.cpu_count() or 1, max(len(times), 1))
        if threads <= 1:
            for k in range(len(times)):
                one(k)
        else:
            with ThreadPoolExecutor(threads, thread_name_prefix="yvy-read") as pool:
                for _ in pool.map(one, range(len(times))):
                    pass
        return out

    def _paste(self, rasterio, src: Source, rows: slice, cols: slice, dst: np.ndarray) -> None:
        from rasterio.errors import RasterioError
        from rasterio.windows import Window

        try:
            with rasterio.open(src.path) as ds:
                a, b, c, d, e, f = self.affine
                t = ds.transform
                if (ds.count < 1 or ds.dtypes[0] != dst.dtype.name or t.b != 0 or t.d != 0 or t.a != a
                        or t.e != e or ds.crs is None or ds.crs.to_epsg() != self.epsg
                        or not _same_nodata(ds.nodata, src.nodata)):
                    raise NotPaste(src.path)
                col0, row0 = _offset(c, t.c, a), _offset(f, t.f, e)
                if (col0, row0) != (src.col0, src.row0):
                    raise NotPaste(src.path)
                r0, r1 = max(rows.start + row0, 0), min(rows.stop + row0, ds.height)
                c0, c1 = max(cols.start + col0, 0), min(cols.stop + col0, ds.width)
                if r0 >= r1 or c0 >= c1:
                    dst.fill(src.nodata)
                    return
                if (r1 - r0, c1 - c0) != dst.shape:  # the window reaches past the file
                    dst.fill(src.nodata)
                part = dst[r0 - row0 - rows.start: r1 - row0 - rows.start,
                           c0 - col0 - cols.start: c1 - col0 - cols.start]
                ds.read(1, window=Window(c0, r0, c1 - c0, r1 - r0), out=part)
        except RasterioError:
            raise NotPaste(src.path) from None


def _same_nodata(file_nodata, nodata: float) -> bool:
    if file_nodata is None:
        return True
    return bool(file_nodata == nodata or (np.isnan(file_nodata) and np.isnan(nodata)))


def _offset(grid_origin: float, file_origin: float, step: float) -> int | None:
    """Whole pixels from the file's origin to the grid's, or None when not whole."""
    x = (grid_origin - file_origin) / step
    r = round(x)
    return int(r) if abs(x - r) <= _TOL else None


def _local_path(href: str) -> str | None:
    if href.startswith("file://"):
        href = href[len("file://"):]
    elif "://" in href or href.startswith("/vsi"):
        return None
    return href if os.path.isabs(href) else None


def _epsg(obj: Mapping) -> int | None:
    code = obj.get("proj:code")
    if code:
        kind, _, num = str(code).partition(":")
        return int(num) if kind.upper() == "EPSG" and num.isdigit() else None
    if obj.get("proj:epsg"):
        return int(obj["proj:epsg"])
    return None


def _band_meta(asset: Mapping) -> tuple[float | None, str | None]:
    rb = (asset.get("raster:bands") or [{}])[0]
    common = (asset.get("bands") or [{}])[0]
    nodata = rb.get("nodata", common.get("nodata"))
    dtype = rb.get("data_type", common.get("data_type"))
    return (None if nodata is None else float(nodata)), dtype


def plan_paste(groups: Sequence[Sequence[Mapping]], keys: Sequence[str], geobox) -> PasteReader | None:
    """A :class:`PasteReader` for one item per time step (``groups``) and asset ``keys``, or None
    when odc-stac must read them (see the module's docstring)."""
    if any(len(g) != 1 for g in groups):
        return None
    items = [g[0] for g in groups]
    times = []
    for it in items:
        when = it.get("properties", {}).get("datetime")
        if not when or not str(when).endswith("Z"):
            return None
        times.append(parse_instant(when).replace(microsecond=0))
    if any(b - a < timedelta(hours=36) for a, b in zip(times, times[1:], strict=False)):
        return None  # scenes close in time: odc-stac's solar-day grouping decides
    aff = geobox.affine
    epsg = geobox.crs.epsg if geobox.crs is not None else None
    if epsg is None or aff.b != 0 or aff.d != 0:
        return None
    sources, dtypes = [], None
    for it in items:
        row, kinds = [], []
        item_epsg = _epsg(it.get("properties", {}))
        for key in keys:
            asset = it.get("assets", {}).get(key) or {}
            path = _local_path(str(asset.get("href", "")))
            tr = asset.get("proj:transform") or it["properties"].get("proj:transform")
            nodata, dtype = _band_meta(asset)
            if path is None or not tr or len(tr) < 6 or nodata is None or dtype is None:
                return None
            if (_epsg(asset) or item_epsg) != epsg or tr[1] != 0 or tr[3] != 0 or tr[0] != aff.a or tr[4] != aff.e:
                return None
            col0, row0 = _offset(aff.c, tr[2], aff.a), _offset(aff.f, tr[5], aff.e)
            if col0 is None or row0 is None:
                return None
            row.append(Source(path, row0, col0, nodata))
            kinds.append(str(dtype))
        if dtypes is None:
            dtypes = kinds
        elif kinds != dtypes:
            return None
        sources.append(row)
    try:  # integer bands whose nodata the type holds (odc-stac fills float bands with NaN)
        for dt, src in zip(dtypes or [], sources[0] if sources else [], strict=True):
            if np.dtype(dt).kind not in "iu" or np.dtype(dt).type(src.nodata) != src.nodata:
                return None
    except (TypeError, ValueError, OverflowError):
        return None
    return PasteReader(sources, list(dtypes or []), (aff.a, aff.b, aff.c, aff.d, aff.e, aff.f), int(epsg), times)
