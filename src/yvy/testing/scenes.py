"""Tiny synthetic Sentinel-2 L2A scenes (one COG per band) and their STAC item dicts.

Values are known by construction, so tests can check masks, indices and grids by hand.
Used by the cube and change-detection tests; imports numpy, rasterio and pyproj only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path

import numpy as np

__all__ = ["S2_BANDS", "s2_collection", "s2_series", "write_s2_scene", "write_stack"]

S2_BANDS: dict[str, str] = {
    "blue": "B02", "green": "B03", "red": "B04", "nir": "B08",
    "nir08": "B8A", "swir16": "B11", "swir22": "B12",
}
"""Reflectance asset keys (Earth Search v1) and their S2 band ids."""

COG_TYPE = "image/tiff; application=geotiff; profile=cloud-optimized"


def _write_cog(path: Path, data: np.ndarray, crs: str, transform, nodata) -> None:
    import rasterio

    profile = {
        "driver": "COG", "width": data.shape[1], "height": data.shape[0], "count": 1,
        "dtype": data.dtype.name, "crs": crs, "transform": transform, "nodata": nodata,
        "compress": "deflate", "blocksize": 256,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(data, 1)


def write_s2_scene(
    folder: str | Path,
    when: str | date | datetime,
    reflectance: Mapping[str, np.ndarray | float],
    *,
    scl: np.ndarray | int = 4,
    shape: tuple[int, int] = (20, 20),
    origin: tuple[float, float] = (500000.0, 7300000.0),
    resolution: float = 10.0,
    epsg: int = 32721,
    baseline: str = "05.00",
    item_id: str | None = None,
    collection: str = "sentinel-2-l2a",
) -> dict:
    """Write one S2 L2A-like scene and return its STAC item dict.

    Parameters
    ----------
    reflectance
        Asset key -> surface reflectance (float, 2-D array or scalar) for each band to write;
        missing bands of :data:`S2_BANDS` are not written. Reflectance ``r`` is stored as
        ``uint16(round((r + 0.1) / 1e-4))`` for baseline >= 04.00 (offset -0.1), else
        ``round(r / 1e-4)``; a NaN reflectance is stored as nodata 0.
    scl
        Scene classification (2-D or scalar; 4 = vegetation, i.e. clear).
    origin
        Upper-left corner (x, y) in ``epsg``.
    """
    import pyproj
    from rasterio.transform import from_origin

    folder = Path(folder)
    when = str(when)
    dt = when if "T" in when else f"{when}T14:00:00Z"
    day = dt[:10]
    item_id = item_id or f"S2X_TEST_{day.replace('-', '')}"
    transform = from_origin(origin[0], origin[1], resolution, resolution)
    crs = f"EPSG:{epsg}"
    offset = -0.1 if baseline >= "04.00" else 0.0
    assets = {}
    for key, value in reflectance.items():
        r = np.broadcast_to(np.asarray(value, dtype=np.float64), shape)
        dn = np.where(np.isnan(r), 0, np.clip(np.round((r - offset) / 1e-4), 1, 65535)).astype(np.uint16)
        path = folder / item_id / f"{key}.tif"
        _write_cog(path, dn, crs, transform, 0)
        assets[key] = {
            "href": str(path.absolute()), "type": COG_TYPE, "roles": ["data", "reflectance"],
            "eo:bands": [{"name": S2_BANDS.get(key, key), "common_name": key}],
            "raster:bands": [{"nodata": 0, "data_type": "uint16", "scale": 1e-4, "offset": offset,
                              "spatial_resolution": resolution}],
            "proj:shape": list(shape), "proj:transform": list(transform)[:6],
        }
    scl_arr = np.broadcast_to(np.asarray(scl, dtype=np.uint8), shape).copy()
    path = folder / item_id / "scl.tif"
    _write_cog(path, scl_arr, crs, transform, 0)
    assets["scl"] = {
        "href": str(path.absolute()), "type": COG_TYPE, "roles": ["data"],
        "raster:bands": [{"nodata": 0, "data_type": "uint8", "spatial_resolution": resolution}],
        "proj:shape": list(shape), "proj:transform": list(transform)[:6],
    }
    x0, y0 = origin
    x1, y1 = x0 + shape[1] * resolution, y0 - shape[0] * resolution
    to_wgs = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    xs, ys = to_wgs.transform([x0, x1, x1, x0, x0], [y0, y0, y1, y1, y0])
    ring = [[float(a), float(b)] for a, b in zip(xs, ys, strict=True)]
    return {
        "type": "Feature", "stac_version": "1.0.0", "id": item_id, "collection": collection,
        "stac_extensions": [],
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "bbox": [min(xs), min(ys), max(xs), max(ys)],
        "properties": {
            "datetime": dt, "platform": "sentinel-2a", "constellation": "sentinel-2",
            "eo:cloud_cover": 0.0, "proj:epsg": epsg, "s2:processing_baseline": baseline,
            "yvy:format": "sentinel-2-l2a",
        },
        "assets": assets, "links": [],
    }


def s2_collection(collection: str = "sentinel-2-l2a") -> dict:
    """A minimal STAC Collection dict for the synthetic scenes."""
    return {
        "type": "Collection", "stac_version": "1.0.0", "id": collection,
        "description": "synthetic Sentinel-2 L2A test scenes", "license": "proprietary",
        "extent": {"spatial": {"bbox": [[-180, -90, 180, 90]]},
                   "temporal": {"interval": [[None, None]]}},
        "links": [],
    }


def write_stack(
    path: str | Path,
    dates: Sequence[str],
    values: np.ndarray | Callable[[int], np.ndarray],
    *,
    origin: tuple[float, float] = (500000.0, 7300000.0),
    resolution: float = 30.0,
    epsg: int = 32721,
    nodata: float | None = None,
) -> Path:
    """Write a time-stack GeoTIFF: one band per date, band description = the ISO date."""
    import rasterio
    from rasterio.transform import from_origin

    arr = values if isinstance(values, np.ndarray) else np.stack([values(i) for i in range(len(dates))])
    path = Path(path)
    profile = {
        "driver": "GTiff", "width": arr.shape[2], "height": arr.shape[1], "count": arr.shape[0],
        "dtype": arr.dtype.name, "crs": f"EPSG:{epsg}", "nodata": nodata,
        "transform": from_origin(origin[0], origin[1], resolution, resolution),
        "tiled": True, "blockxsize": 16, "blockysize": 16, "compress": "deflate",
    }
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(arr)
        for i, d in enumerate(dates, start=1):
            ds.set_band_description(i, str(d))
    return path


def s2_series(
    folder: str | Path,
    n: int = 30,
    *,
    shape: tuple[int, int] = (16, 16),
    start: str = "2018-01-03",
    step_days: int = 30,
    drop_from: str | None = "2020-03-01",
    drop: float = 0.4,
    noise: float = 0.02,
    cloud_every: int = 7,
    seed: int = 0,
) -> list[dict]:
    """``n`` S2 scenes of a seasonal NDVI (0.6 + 0.15 sin 2 pi t + noise), red fixed at 0.05.

    From ``drop_from`` the NDVI of the upper-left quarter falls by ``drop``. Every
    ``cloud_every``-th scene has a cloud (SCL 9) on rows 2..4, cols 10..12.
    """
    from datetime import timedelta

    rng = np.random.default_rng(seed)
    d0 = date.fromisoformat(start)
    items = []
    h, w = shape
    for k in range(n):
        d = d0 + timedelta(days=step_days * k)
        t = d.year + (d.timetuple().tm_yday - 1) / 365
        ndvi = 0.6 + 0.15 * np.sin(2 * np.pi * t) + rng.normal(0, noise, shape)
        if drop_from and d >= date.fromisoformat(drop_from):
            ndvi[: h // 2, : w // 2] -= drop
        red = np.full(shape, 0.05)
        nir = red * (1 + ndvi) / (1 - ndvi)
        scl = np.full(shape, 4, dtype=np.uint8)
        if cloud_every and k % cloud_every == cloud_every // 2:
            scl[2:5, 10:13] = 9
        items.append(write_s2_scene(folder, d.isoformat(), {"red": red, "nir": nir}, scl=scl, shape=shape))
    return items
