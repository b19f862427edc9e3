"""Context overlay for many small geometries at once (fire events, burn and flood polygons).

:func:`yvy.alerts.context.annotate` handles one alert at a time and builds a projection per
call; thousands of fire events need the vectorised form here: an STRtree query per context
kind, hectares of the intersecting pairs in one equal-area reprojection, and the distance to
the border from a haversine BallTree over the densified border line.

Imports numpy, shapely, scikit-learn; never click or storage.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely

from ..alerts import _geo
from ..alerts.context import border_geometry

__all__ = ["area_tables", "overlay", "raster_polygons"]

EARTH_KM = 6371.0088
KINDS = {"admin": "admin", "protected_area": "protected_areas", "indigenous_land": "indigenous_lands"}
BORDER_STEP_DEG = 0.002
"""Border vertices are densified to about 200 m; distances are exact to that step."""


def overlay(geoms: Sequence, features: Sequence, *, region_field: str = "region") -> list[dict]:
    """For each WGS84 geometry: ``admin`` / ``protected_areas`` / ``indigenous_lands``
    ``[{layer, name, ha}]`` (largest first) and ``border_km`` (None without border or admin)."""
    geoms = np.asarray(list(geoms), dtype=object)
    out = [{key: [] for key in KINDS.values()} for _ in range(len(geoms))]
    for kind, key in KINDS.items():
        feats = [f for f in features if f.kind == kind]
        if not feats or not len(geoms):
            continue
        tree = shapely.STRtree([f.geometry for f in feats])
        gi, fi = tree.query(geoms, predicate="intersects")
        inter = shapely.intersection(geoms[gi], np.asarray([feats[j].geometry for j in fi], dtype=object))
        ha = _geo.areas_ha(inter) if len(inter) else np.zeros(0)
        for g, f, a in zip(gi, fi, ha, strict=True):
            row = {"layer": feats[f].layer, "name": feats[f].name, "ha": round(float(a), 4)}
            if kind == "admin":
                row["region"] = feats[f].props.get(region_field)
            out[g][key].append(row)
    for row in out:
        for key in KINDS.values():
            row[key].sort(key=lambda d: (-d["ha"], d["name"]))
    km = border_km(geoms, border_geometry(features)) if len(features) else [None] * len(geoms)
    for row, d in zip(out, km, strict=True):
        row["border_km"] = None if d is None or not np.isfinite(d) else round(float(d), 3)
    return out


def border_km(geoms: np.ndarray, border) -> np.ndarray:
    """Distance (km, great circle) from each geometry's vertices to the border line; 0 if crossing."""
    if border is None or border.is_empty or not len(geoms):
        return np.full(len(geoms), np.nan)
    from sklearn.neighbors import BallTree

    line = shapely.segmentize(border, BORDER_STEP_DEG)
    shapely.prepare(border)
    tree = BallTree(np.radians(shapely.get_coordinates(line)[:, ::-1]), metric="haversine")
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    dist, _ = tree.query(np.radians(coords[:, ::-1]), k=1)
    best = np.full(len(geoms), np.inf)
    np.minimum.at(best, index, dist[:, 0] * EARTH_KM)
    best[shapely.intersects(geoms, border)] = 0.0
    return best


def raster_polygons(path) -> tuple[list, list[dict]]:
    """WGS84 polygons of the pixels equal to 1 of a uint8 product raster, with their hectares."""
    import rasterio
    from rasterio import features

    with rasterio.open(path) as ds:
        arr = ds.read(1)
        shapes = [shapely.geometry.shape(g) for g, _ in
                  features.shapes(arr, mask=arr == 1, transform=ds.transform, connectivity=8)]
        crs = ds.crs
    if not shapes:
        return [], []
    geoms = list(_geo.reproject(np.asarray(shapes, dtype=object), crs, _geo.WGS84))
    return geoms, [{"ha": round(float(a), 4)} for a in _geo.areas_ha(geoms)]


def area_tables(geoms, context, label: str) -> tuple[dict, dict]:
    """Hectares of ``geoms`` per department and per protected area: ``{name: {label: ha}}``."""
    if not context or not geoms:
        return {}, {}
    dept: dict = {}
    pas: dict = {}
    for ctx in overlay(geoms, list(context)):
        for key, table in (("admin", dept), ("protected_areas", pas)):
            for a in ctx[key]:
                row = table.setdefault(a["name"], {})
                row[label] = round(row.get(label, 0.0) + a["ha"], 4)
    return dept, pas
