"""Geometry helpers of the alert domain: reprojection, equal-area hectares, metric distances.

Areas use EPSG:6933 (WGS 84 / NSIDC EASE-Grid 2.0 Global, cylindrical equal-area): exact in
area anywhere, which is what hectares need. Distances use an azimuthal equidistant projection
centred on the measured geometry (exact for distances from the centre, well under 0.1 % off
within a few hundred kilometres). Imports numpy, shapely and pyproj only.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely
from pyproj import CRS, Transformer

__all__ = ["EQUAL_AREA", "WGS84", "area_ha", "distance_km", "norm_crs", "reproject", "utm_crs"]

EQUAL_AREA = "EPSG:6933"
WGS84 = "EPSG:4326"


def norm_crs(crs) -> CRS:
    """A pyproj CRS from any CRS-like (rasterio CRS, WKT, EPSG string, pyproj CRS)."""
    if isinstance(crs, CRS):
        return crs
    if hasattr(crs, "to_wkt"):
        return CRS.from_wkt(crs.to_wkt())
    return CRS.from_user_input(crs)


@lru_cache(maxsize=64)
def _transformer(src: str, dst: str) -> Transformer:
    return Transformer.from_crs(CRS.from_user_input(src), CRS.from_user_input(dst), always_xy=True)


def _key(crs) -> str:
    if isinstance(crs, str):
        return _key_of_text(crs)
    if not isinstance(crs, CRS) and hasattr(crs, "to_wkt"):  # rasterio CRS: norm_crs goes through WKT
        return _key_of_text(crs.to_wkt())
    return _epsg_or_wkt(norm_crs(crs))


@lru_cache(maxsize=64)
def _key_of_text(text: str) -> str:
    """:func:`_key` of a CRS given as text (an EPSG code or WKT), computed once."""
    return _epsg_or_wkt(CRS.from_user_input(text))


def _epsg_or_wkt(c: CRS) -> str:
    epsg = c.to_epsg(min_confidence=90)
    return f"EPSG:{epsg}" if epsg else c.to_wkt()


def reproject(geom, src, dst):
    """``geom`` (shapely, any type) from CRS ``src`` to CRS ``dst`` (vertex-wise)."""
    s, d = _key(src), _key(dst)
    if s == d:
        return geom
    tr = _transformer(s, d)

    def func(coords: np.ndarray) -> np.ndarray:
        x, y = tr.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, func)


def utm_crs(lon: float, lat: float) -> tuple[str, str]:
    """(``EPSG:326zz``/``EPSG:327zz``, zone label such as ``20K``) of the WGS 84 / UTM zone holding a point."""
    zone = min(60, int((lon + 180) // 6) + 1)
    bands = "CDEFGHJKLMNPQRSTUVWX"
    band = bands[min(len(bands) - 1, max(0, int((lat + 80) // 8)))]
    return f"EPSG:{32600 + zone if lat >= 0 else 32700 + zone}", f"{zone}{band}"


def area_ha(geom, crs=WGS84) -> float:
    """Area of ``geom`` (in ``crs``) in hectares, measured in EPSG:6933."""
    if geom is None or geom.is_empty:
        return 0.0
    return float(reproject(geom, crs, EQUAL_AREA).area) / 1e4


def areas_ha(geoms, crs=WGS84) -> np.ndarray:
    """Vectorised :func:`area_ha` for an array of geometries."""
    geoms = np.asarray(geoms, dtype=object)
    if geoms.size == 0:
        return np.zeros(0)
    return shapely.area(reproject(geoms, crs, EQUAL_AREA)) / 1e4


def distance_km(geom, other) -> float:
    """Shortest distance in km between two WGS84 geometries (0 when they intersect)."""
    if geom.is_empty or other.is_empty:
        return float("nan")
    c = geom.centroid
    aeqd = f"+proj=aeqd +lat_0={c.y:.6f} +lon_0={c.x:.6f} +datum=WGS84 +units=m +no_defs"
    tr = Transformer.from_crs(WGS84, aeqd, always_xy=True)

    def func(coords: np.ndarray) -> np.ndarray:
        x, y = tr.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    a = shapely.transform(geom, func)
    b = shapely.transform(other, func)
    return float(a.distance(b)) / 1000.0
