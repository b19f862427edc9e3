"""Covariates of a risk model: rasters resampled onto the model grid, and vector layers turned
into distance and inside rasters on that grid.

A raster covariate on another grid (the 150 m distance rasters beside a 30 m forest map) is read
through a GDAL :class:`~rasterio.vrt.WarpedVRT` onto the model grid, window by window (bilinear
for continuous values, nearest for byte/categorical rasters; nodata becomes NaN). A vector layer
(roads, rivers, towns, protected areas, the country outline) becomes a Euclidean distance raster
(:func:`scipy.ndimage.distance_transform_edt` on the burned geometries, computed once on a grid
at most :data:`MAX_DISTANCE_SIDE` pixels a side and cached as a GeoTIFF, then read bilinearly) and,
for polygons, an inside mask burned per window with :func:`rasterio.features.rasterize`.

Imports numpy, scipy, rasterio, shapely and pyogrio/geopandas (lazily); never the CLI.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError, ProjectionError
from .grid import Grid

__all__ = ["Covariate", "covariates_from_paths", "prepare", "read_window", "VECTOR_SUFFIXES"]

VECTOR_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json", ".fgb", ".parquet", ".kml")
RASTER_SUFFIXES = (".tif", ".tiff", ".vrt", ".img", ".jp2")
MAX_DISTANCE_SIDE = 4096
"""Vector distance rasters are computed on the model grid coarsened so no side exceeds this."""


@dataclass(frozen=True)
class Covariate:
    """One explanatory variable of the model.

    ``kind`` is ``raster`` (values of a raster file), ``distance`` (distance in map units to the
    geometries of a vector file) or ``inside`` (1 inside a polygon of the vector file, else 0).
    ``source`` is the file read at map time (the cached distance raster for ``distance``).
    """

    name: str
    path: str
    kind: str
    resampling: str = "bilinear"
    source: str | None = None

    def to_dict(self) -> dict:
        """JSON-able form (stored with the model)."""
        return asdict(self)


def _vector_kinds(path: Path) -> tuple[str, ...]:
    import pyogrio

    try:
        info = pyogrio.read_info(path)
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise InputError(path, f"cannot read vector layer ({exc})") from None
    if info.get("crs") is None:
        raise ProjectionError(path, "vector layer has no CRS")
    gtype = str(info.get("geometry_type") or "").lower()
    if "polygon" not in gtype and ("unknown" in gtype or gtype in ("", "geometry")):  # mixed types
        gtype = " ".join(pyogrio.read_dataframe(path, columns=[]).geometry.geom_type.dropna().unique()).lower()
    return ("distance", "inside") if "polygon" in gtype else ("distance",)


def _raster_resampling(path: Path) -> str:
    import rasterio

    try:
        with rasterio.open(path) as ds:
            if ds.crs is None:
                raise ProjectionError(path, "raster has no CRS")
            return "nearest" if ds.dtypes[0] in ("uint8", "int8") else "bilinear"
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(path, f"cannot read raster ({exc})") from None


def covariates_from_paths(paths: Sequence[str | Path]) -> list[Covariate]:
    """Covariates for raster and vector files: one per raster, one or two per vector layer."""
    out: list[Covariate] = []
    for p in map(Path, paths):
        if not p.exists():
            raise InputError(p, "no such file")
        stem = p.stem.lower().removesuffix("_proj")
        suffix = p.suffix.lower()
        if suffix in RASTER_SUFFIXES:
            out.append(Covariate(stem, str(p.absolute()), "raster", _raster_resampling(p)))
        elif suffix in VECTOR_SUFFIXES:
            for kind in _vector_kinds(p):
                name = f"{kind}_{stem}" if kind == "inside" else f"dist_{stem}"
                out.append(Covariate(name, str(p.absolute()), kind,
                                     "nearest" if kind == "inside" else "bilinear"))
        else:
            raise InputError(p, f"not a raster ({', '.join(RASTER_SUFFIXES)}) or vector "
                                f"({', '.join(VECTOR_SUFFIXES)}) file")
    names = [c.name for c in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise InputError("covariates", f"two covariates share the name {dup[0]!r}; rename one file")
    return out


def _geometries(path: str, grid: Grid) -> list:
    import geopandas as gpd

    df = gpd.read_file(path)
    if df.crs is None:
        raise ProjectionError(path, "vector layer has no CRS")
    df = df.to_crs(grid.crs)
    return [g for g in df.geometry if g is not None and not g.is_empty]


def _distance_raster(cov: Covariate, grid: Grid, cache: Path) -> str:
    """Compute (or reuse) the cached distance raster of a vector covariate; return its path."""
    import rasterio
    from rasterio.features import rasterize
    from scipy.ndimage import distance_transform_edt

    key = hashlib.sha256(f"{cov.path}|{Path(cov.path).stat().st_mtime_ns}|{grid.to_dict()}".encode())
    dest = cache / f"{cov.name}_{key.hexdigest()[:12]}.tif"
    if dest.exists():
        return str(dest)
    f = max(1, math.ceil(max(grid.height, grid.width) / MAX_DISTANCE_SIDE))
    h, w = math.ceil(grid.height / f), math.ceil(grid.width / f)
    transform = grid.affine * grid.affine.scale(f, f)
    geoms = _geometries(cov.path, grid)
    if not geoms:
        raise InputError(cov.path, "vector layer has no geometries")
    import shapely

    # distance to a polygon layer is distance to its boundary outside, 0 inside
    burn = rasterize(((g, 1) for g in geoms), out_shape=(h, w), transform=transform, fill=0,
                     all_touched=True, dtype="uint8")
    lines = [shapely.boundary(g) for g in geoms if g.geom_type.endswith("Polygon")]
    if lines:
        burn |= rasterize(((g, 1) for g in lines), out_shape=(h, w), transform=transform, fill=0,
                          all_touched=True, dtype="uint8")
    if not burn.any():  # everything outside the grid: distance from the grid is unknown but large
        dist = np.full((h, w), np.float32(grid.res * max(h, w) * f), np.float32)
    else:
        dist = distance_transform_edt(burn == 0, sampling=(abs(transform.e), abs(transform.a)))
        dist = dist.astype(np.float32)
    cache.mkdir(parents=True, exist_ok=True)
    from ..io import atomic_path

    with atomic_path(dest, suffix=".tif") as tmp, rasterio.open(
            tmp, "w", driver="GTiff", width=w, height=h, count=1, dtype="float32", crs=grid.crs,
            transform=transform, compress="deflate", tiled=True) as ds:
        ds.write(dist, 1)
    return str(dest)


def prepare(covariates: Sequence[Covariate], grid: Grid, cache: Path) -> list[Covariate]:
    """Covariates ready to read on ``grid``: distance rasters of vector layers computed and cached."""
    out = []
    for c in covariates:
        if c.kind == "distance":
            c = Covariate(c.name, c.path, c.kind, c.resampling, _distance_raster(c, grid, Path(cache)))
        out.append(c)
    return out


class WindowReader:
    """Reads windows of prepared covariates on the model grid (keep open while streaming)."""

    def __init__(self, covariates: Sequence[Covariate], grid: Grid):
        self.covariates = list(covariates)
        self.grid = grid
        self._open: list = []
        self._shapes: dict[str, list] = {}

    def __enter__(self) -> WindowReader:
        import rasterio
        from rasterio.enums import Resampling
        from rasterio.vrt import WarpedVRT

        for c in self.covariates:
            if c.kind == "inside":
                self._open.append(None)
                self._shapes[c.name] = _geometries(c.path, self.grid)
                continue
            src = rasterio.open(c.source or c.path)
            if self._on_grid(src):  # already on the model grid: plain window reads, no warping
                self._open.append((src, None))
                continue
            if self._coarser_aligned(src):  # same CRS, north-up, coarser: numba resampling of a block
                self._open.append((src, c.resampling))
                continue
            vrt = WarpedVRT(src, crs=self.grid.crs, transform=self.grid.affine, width=self.grid.width,
                            height=self.grid.height, resampling=Resampling[c.resampling],
                            src_nodata=src.nodata, nodata=np.nan, dtype="float32")
            self._open.append((src, vrt))
        return self

    def _on_grid(self, src) -> bool:
        from rasterio.crs import CRS

        same_crs = src.crs == CRS.from_wkt(self.grid.crs)
        return (same_crs and (src.height, src.width) == (self.grid.height, self.grid.width)
                and src.transform.almost_equals(self.grid.affine))

    def _coarser_aligned(self, src) -> bool:
        from rasterio.crs import CRS

        t, g = src.transform, self.grid.affine
        return (src.crs == CRS.from_wkt(self.grid.crs) and t.b == t.d == 0 and g.b == g.d == 0
                and t.e < 0 < t.a and g.e < 0 < g.a and t.a >= g.a - 1e-9 and -t.e >= -g.e - 1e-9)

    def _read_resampled(self, src, nearest: bool, rows: slice, cols: slice) -> np.ndarray:
        """Window of a coarser same-CRS raster: read the covering block, resample with numba."""
        from rasterio.windows import Window

        from ..kernels.risk import resample_window

        t, g = src.transform, self.grid.affine
        h, w = rows.stop - rows.start, cols.stop - cols.start
        sc0 = (g.c + g.a * (cols.start + 0.5) - t.c) / t.a - 0.5
        sr0 = (g.f + g.e * (rows.start + 0.5) - t.f) / t.e - 0.5
        dc, dr = g.a / t.a, g.e / t.e
        c0 = max(0, int(np.floor(sc0)) - 1)
        c1 = min(src.width, int(np.ceil(sc0 + dc * (w - 1))) + 2)
        r0 = max(0, int(np.floor(sr0)) - 1)
        r1 = min(src.height, int(np.ceil(sr0 + dr * (h - 1))) + 2)
        if c1 <= c0 or r1 <= r0:
            return np.full((h, w), np.nan, np.float32)
        block = self._read_direct(src, Window(c0, r0, c1 - c0, r1 - r0))
        out = resample_window(block, sr0 - r0, sc0 - c0, dr, dc, h, w, nearest)
        # outside the raster (not only outside the block) is NaN
        rr = sr0 + dr * np.arange(h)
        cc = sc0 + dc * np.arange(w)
        out[(rr < -0.5) | (rr > src.height - 0.5), :] = np.nan
        out[:, (cc < -0.5) | (cc > src.width - 0.5)] = np.nan
        return out

    def __exit__(self, *exc) -> None:
        for pair in self._open:
            if pair is not None:
                for ds in pair[::-1]:
                    if hasattr(ds, "close"):
                        ds.close()
        self._open = []

    @staticmethod
    def _read_direct(src, win) -> np.ndarray:
        a = src.read(1, window=win, out_dtype="float32")
        if src.nodata is not None:
            a[a == np.float32(src.nodata)] = np.nan
        return a

    def read(self, rows: slice, cols: slice) -> np.ndarray:
        """(n_covariates, h, w) float32 array of the window, NaN where a covariate is undefined."""
        from rasterio.features import rasterize
        from rasterio.windows import Window

        h, w = rows.stop - rows.start, cols.stop - cols.start
        out = np.empty((len(self.covariates), h, w), np.float32)
        win = Window(cols.start, rows.start, w, h)
        for i, (c, pair) in enumerate(zip(self.covariates, self._open, strict=True)):
            if pair is None:
                out[i] = rasterize(((g, 1) for g in self._shapes[c.name]), out_shape=(h, w),
                                   transform=self.grid.window_transform(rows, cols), fill=0, dtype="uint8")
            elif pair[1] is None:
                out[i] = self._read_direct(pair[0], win)
            elif isinstance(pair[1], str):
                out[i] = self._read_resampled(pair[0], pair[1] == "nearest", rows, cols)
            else:
                out[i] = pair[1].read(1, window=win)
        return out


def read_window(covariates: Sequence[Covariate], grid: Grid, rows: slice, cols: slice) -> np.ndarray:
    """One window of prepared covariates (opens and closes the files; see :class:`WindowReader`)."""
    with WindowReader(covariates, grid) as reader:
        return reader.read(rows, cols)
