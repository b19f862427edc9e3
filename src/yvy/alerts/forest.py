"""A user's forest mask on the grid of a detection: alerts then come only from forest pixels.

:func:`read_forest_mask` takes a raster (non-zero = forest; its nodata and everything outside it
is not forest; any CRS, resampled to the detection grid with nearest neighbour) or a polygon
layer (a pixel whose centre is inside a polygon is forest; any CRS GeoPandas reads).

Imports rasterio, geopandas and shapely; never storage, cli or click.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InputError, ProjectionError

__all__ = ["check_forest_mask", "read_forest_mask"]

_VECTOR = (".geojson", ".json", ".gpkg", ".shp", ".parquet", ".kml", ".fgb")


def read_forest_mask(path: str | Path, crs, transform, shape: tuple[int, int]) -> np.ndarray:
    """Forest mask (uint8: 1 forest, 0 not) of ``path`` on the grid ``crs``/``transform``/``shape``.

    Raises :class:`~yvy.errors.InputError` for a missing or unreadable file and
    :class:`~yvy.errors.ProjectionError` for one without a CRS.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(path, "forest mask not found")
    if path.suffix.lower() in _VECTOR:
        return _from_vector(path, crs, transform, shape)
    return _from_raster(path, crs, transform, shape)


def check_forest_mask(path: str | Path) -> None:
    """Raise :class:`~yvy.errors.InputError` / :class:`~yvy.errors.ProjectionError` unless ``path``
    is a readable raster or polygon layer with a CRS (checked before any detection work)."""
    from rasterio.errors import RasterioIOError

    path = Path(path)
    if not path.exists():
        raise InputError(path, "forest mask not found")
    if path.suffix.lower() not in _VECTOR:
        import rasterio

        try:
            with rasterio.open(path) as ds:
                if ds.crs is None:
                    raise ProjectionError(path, "forest mask has no CRS")
                return
        except RasterioIOError:
            pass  # perhaps a vector format without a known suffix
    import pyogrio

    try:
        info = pyogrio.read_info(path)
    except Exception as exc:  # noqa: BLE001 - pyogrio raises DataSourceError and GDAL errors
        raise InputError(path, "forest mask is neither a readable raster nor a vector layer") from exc
    if not info.get("crs"):
        raise ProjectionError(path, "forest mask has no CRS")
    if not info.get("features"):
        raise InputError(path, "forest mask layer has no features")


def _from_raster(path: Path, crs, transform, shape) -> np.ndarray:
    import rasterio
    from rasterio.errors import RasterioIOError
    from rasterio.warp import Resampling, reproject

    try:
        ds = rasterio.open(path)
    except RasterioIOError:
        return _from_vector(path, crs, transform, shape)  # a vector format without a known suffix
    with ds:
        if ds.crs is None:
            raise ProjectionError(path, "forest mask has no CRS")
        src = ds.read(1, masked=True)
        forest = (np.ma.filled(src, 0) != 0).astype(np.uint8)
        out = np.zeros(shape, np.uint8)
        reproject(forest, out, src_transform=ds.transform, src_crs=ds.crs, dst_transform=transform,
                  dst_crs=crs, src_nodata=None, dst_nodata=0, resampling=Resampling.nearest)
    return out


def _from_vector(path: Path, crs, transform, shape) -> np.ndarray:
    import geopandas as gpd
    from rasterio.features import rasterize

    try:
        gdf = gpd.read_parquet(path) if path.suffix.lower() == ".parquet" else gpd.read_file(path)
    except Exception as exc:
        raise InputError(path, f"not a readable raster or vector forest mask "
                               f"({str(exc).splitlines()[0][:120]})") from exc
    if gdf.crs is None:
        raise ProjectionError(path, "forest mask has no CRS")
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    polys = gdf[gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    if len(gdf) and not len(polys):
        raise InputError(path, "forest mask has no polygons")
    geoms = list(polys.to_crs(crs).geometry) if len(polys) else []
    if not geoms:
        return np.zeros(shape, np.uint8)
    return rasterize(((g, 1) for g in geoms), out_shape=shape, transform=transform, fill=0, dtype="uint8")
