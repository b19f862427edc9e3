"""Ready-made time-stack GeoTIFFs as a :class:`~yvy.cube.build.TimeCube`, read window by window.

A time stack has one band per date and the ISO date (or datetime) as each band's description,
as in ``shared/data/rasters``. Values are used as they are (a stack usually holds an index
already); the file's nodata and NaN are missing. An optional mask stack on the same grid and
dates marks invalid observations with any non-zero value (an s2cloudless ``CLM`` or a BDC
``CMASK``). A catalog time-stack item (``yvy:stack_dates``) works the same way: asset ``data``
is the stack; or, when the item has one stack per band (CBERS), the index is computed from them.

Without ``crs``/``resolution`` the cube keeps the stack's own grid, cropped to the AOI; with
them it reads through a ``WarpedVRT`` (nearest neighbour). Only the window being read is ever
in memory.

Must not import: click, rich, sqlite3, yvy.storage, yvy.cli.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from ..dates import parse_instant
from ..errors import DateRangeError, EmptyAOIError, InputError
from ..io import open_raster
from ..kernels.indices import INDICES, compute_index
from .build import band_scaling, check_index

__all__ = ["StackCube", "stack_dates", "stack_item_cube"]


def stack_dates(ds, subject: object) -> list[datetime]:
    """UTC datetimes from the band descriptions of an open stack; InputError when one is not a date."""
    out = []
    for i, desc in enumerate(ds.descriptions, start=1):
        if not desc:
            raise InputError(subject, f"band {i} has no description; a time stack needs the ISO date "
                                      "of each band as its description")
        try:
            out.append(parse_instant(desc))
        except ValueError:
            raise DateRangeError(subject, f"band {i} description {desc!r} is not an ISO date") from None
    if any(b < a for a, b in itertools.pairwise(out)):
        raise DateRangeError(subject, "band dates are not in time order")
    return out


@dataclass
class StackCube:
    """:class:`~yvy.cube.build.TimeCube` over one or more time-stack GeoTIFFs.

    Parameters
    ----------
    path
        The stack (one band per date). For a per-band stack item, use :func:`stack_item_cube`.
    mask
        Optional mask stack (same grid and dates; non-zero = invalid).
    aoi
        WGS84 ``Geometry``; the grid is cropped to it and pixels outside are NaN.
    crs, resolution
        Reproject (nearest) onto this grid instead of the stack's own.
    variable
        Name of the values (e.g. ``ndvi``); default from the file name.
    bands
        Role -> stack path, to compute ``index`` from per-band stacks instead of reading ``path``.
    """

    path: str | None = None
    mask: str | None = None
    aoi: object | None = None
    crs: str | None = None
    resolution: float | None = None
    variable: str | None = None
    bands: Mapping[str, str] | None = None
    index: str | None = None
    scaling: Mapping[str, tuple[float, float, float | None]] | None = None
    item_id: str | None = None
    geobox: object = field(init=False)
    times: list[datetime] = field(init=False)

    def __post_init__(self):
        from odc.geo.geobox import GeoBox

        self._files = dict(self.bands) if self.bands else {"data": self.path}
        if self.mask:
            self._files["_mask"] = self.mask
        first_key = next(iter(self._files))
        with open_raster(self._files[first_key]) as ds:
            self.times = stack_dates(ds, self._files[first_key])
            native = GeoBox.from_rio(ds)
        for p in self._files.values():
            with open_raster(p) as ds:
                if ds.count != len(self.times) or (ds.height, ds.width) != native.shape.yx:
                    raise InputError(p, f"does not match {self._files[first_key]} "
                                        f"({ds.count} bands {ds.height}x{ds.width})")
        self.variable = self.variable or self.index or Path(self._files[first_key]).stem
        self._warp = bool(self.crs or self.resolution)
        if self._warp:
            from .build import plan_geobox

            area = self.aoi if self.aoi is not None else native.extent.to_crs("EPSG:4326")
            crs = self.crs or str(native.crs)
            self.geobox = plan_geobox(area, crs=crs, resolution=self.resolution or abs(native.resolution.x))
            self._offset = (0, 0)
        elif self.aoi is not None:
            roi = _aoi_box(native, self.aoi)
            self.geobox = native[roi]
            self._offset = (roi[0].start, roi[1].start)
        else:
            self.geobox = native
            self._offset = (0, 0)
        if self.geobox.shape[0] == 0 or self.geobox.shape[1] == 0:
            raise EmptyAOIError("AOI", f"the area of interest does not overlap {self._files[first_key]}")

    def _open(self, p: str):
        ds = open_raster(p)
        if not self._warp:
            return ds
        from rasterio.enums import Resampling
        from rasterio.vrt import WarpedVRT

        gb = self.geobox
        return WarpedVRT(ds, crs=gb.crs.to_wkt(), transform=gb.affine, width=gb.width, height=gb.height,
                         resampling=Resampling.nearest, nodata=ds.nodata if ds.nodata is not None else None)

    def _read(self, p: str, rows: slice, cols: slice, times) -> tuple[np.ndarray, float | None]:
        from rasterio.windows import Window

        r0, c0 = self._offset
        win = Window(cols.start + c0, rows.start + r0, cols.stop - cols.start, rows.stop - rows.start)
        src = self._open(p)
        try:
            indexes = None if times is None else [int(i) + 1 for i in times]
            dtype = "float32" if p != self._files.get("_mask") and not self.bands else None
            return src.read(indexes=indexes, window=win, out_dtype=dtype), src.nodata
        finally:
            src.close()

    def read(self, rows: slice, cols: slice, times: np.ndarray | None = None) -> np.ndarray:
        """(time, rows, cols) float32; nodata, NaN and masked observations are NaN.

        ``times``: read only these bands (indices into :attr:`times`), in that order.
        """
        if self.bands:
            raw, nodata = {}, {}
            for role, p in self.bands.items():
                raw[role], nd = self._read(p, rows, cols, times)
                sc = (self.scaling or {}).get(role)
                nodata[role] = sc[2] if sc and sc[2] is not None else nd
            scale = {r: (self.scaling or {}).get(r, (1.0, 0.0, None))[0] for r in raw}
            offset = {r: (self.scaling or {}).get(r, (1.0, 0.0, None))[1] for r in raw}
            out = compute_index(self.index, raw, scale=scale, offset=offset, nodata=nodata)
        else:
            out, nodata = self._read(self._files["data"], rows, cols, times)  # float32, in place
            if nodata is not None and not (isinstance(nodata, float) and math.isnan(nodata)):
                out[out == np.float32(nodata)] = np.nan
        if self.mask:
            m, _ = self._read(self._files["_mask"], rows, cols, times)
            out[m != 0] = np.nan
        return out

    def describe(self) -> dict:
        """The stack (and mask) paths, or the stack item id."""
        d: dict = {"stack": str(Path(self.path).absolute())} if self.path else {}
        if self.bands:
            d["stack_bands"] = {k: str(v) for k, v in self.bands.items()}
        if self.mask:
            d["stack_mask"] = str(Path(self.mask).absolute())
        if self.item_id:
            d["items"] = [self.item_id]
        return d


def _aoi_box(native, aoi) -> tuple[slice, slice]:
    """ROI (row slice, col slice) of the native grid covering the AOI's bounding box."""
    import math

    g = aoi.to_crs(native.crs)
    inter = g.intersection(native.extent)
    if inter.is_empty or inter.area == 0:
        raise EmptyAOIError("AOI", "the area of interest does not overlap the stack")
    minx, miny, maxx, maxy = inter.boundingbox
    inv = ~native.affine
    cs, rs = zip(*(inv * (x, y) for x in (minx, maxx) for y in (miny, maxy)), strict=True)
    h, w = native.shape.yx
    r0, r1 = max(0, math.floor(min(rs) + 1e-9)), min(h, math.ceil(max(rs) - 1e-9))
    c0, c1 = max(0, math.floor(min(cs) + 1e-9)), min(w, math.ceil(max(cs) - 1e-9))
    return slice(r0, r1), slice(c0, c1)


def stack_item_cube(item: Mapping, *, index: str, mask: str | None = None, aoi=None,
                    crs: str | None = None, resolution: float | None = None) -> StackCube:
    """A :class:`StackCube` from a catalog time-stack item (``yvy:stack_dates``).

    Asset ``data`` is read as the values; otherwise the index is computed from per-band stack
    assets keyed by common name, masked by a ``cmask``/``mask`` asset when present.
    """
    assets = item.get("assets", {})
    def href(a):
        return a["href"].removeprefix("file://")
    mask_asset = next((assets[k] for k in ("cmask", "mask", "cloud_mask") if k in assets), None)
    mask = mask or (href(mask_asset) if mask_asset else None)
    if "data" in assets:
        return StackCube(href(assets["data"]), mask=mask, aoi=aoi, crs=crs, resolution=resolution,
                         variable=index, item_id=item["id"])
    index = check_index(index)
    need = INDICES[index].bands
    lacking = [r for r in need if r not in assets]
    if lacking:
        raise InputError("index", f"{index} needs bands {', '.join(need)}; stack item {item['id']} "
                                    f"lacks {', '.join(lacking)} (it has {', '.join(sorted(assets))})")
    bands = {r: href(assets[r]) for r in need}
    scaling = {r: band_scaling(item, r, None) for r in need}
    return StackCube(None, mask=mask, aoi=aoi, crs=crs, resolution=resolution, bands=bands,
                     index=index, scaling=scaling, item_id=item["id"])
