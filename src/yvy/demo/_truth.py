"""Ground truth of the demo clearings as GeoJSON (EPSG:4326) and rasters on the scene grid.

Each clearing becomes one feature whose geometry is exactly its cleared pixels: pixel edges
are traced in UTM (rasterio ``shapes``, 4-connectivity), windbreaks and remnant trees stay
out (holes are kept), then the vertices are projected to lon/lat.

Imports numpy, rasterio, pyproj and shapely.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import shapely
from pyproj import Transformer
from rasterio.features import shapes
from rasterio.transform import Affine
from shapely.geometry import mapping, shape
from shapely.geometry.polygon import orient

from ._landscape import Landscape
from ._site import EPSG, PIXEL_M, Grid

__all__ = ["fire_feature", "to_lonlat", "truth_collection"]


def to_lonlat(xy: np.ndarray) -> np.ndarray:
    """(n, 2) UTM 20S coordinates to (n, 2) lon/lat."""
    tr = Transformer.from_crs(EPSG, 4326, always_xy=True)
    lon, lat = tr.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])


def _oriented(geom):
    if geom.geom_type == "Polygon":
        return orient(geom, 1.0)
    return shapely.MultiPolygon([orient(p, 1.0) for p in geom.geoms])


def _lonlat_polygon(mask: np.ndarray, grid: Grid):
    """The pixels of ``mask`` as one (multi)polygon in lon/lat, pixel edges traced in UTM."""
    transform = Affine(*grid.transform)
    polys = [shape(g) for g, _ in shapes(mask.astype(np.uint8), mask=mask, connectivity=4, transform=transform)]
    geom = shapely.transform(shapely.union_all(polys), lambda xy: np.round(to_lonlat(xy), 9))
    return _oriented(geom)


def fire_feature(land: Landscape, grid: Grid) -> dict | None:
    """GeoJSON Feature of the burnt paddock (date, hectares, pixels), or None without a fire."""
    if land.burned is None or not land.burned.any():
        return None
    day = date.fromordinal(date(1970, 1, 1).toordinal() + land.burn_day)
    n = int(land.burned.sum())
    return {"type": "Feature", "id": "fire-1",
            "properties": {"date": day.isoformat(), "area_ha": round(n * PIXEL_M * PIXEL_M / 10_000, 2), "pixels": n},
            "geometry": mapping(_lonlat_polygon(land.burned, grid))}


def truth_collection(land: Landscape, grid: Grid, scene_dates: list[date], seed: int) -> dict:
    """FeatureCollection dict of the clearings (one feature each, in date order)."""
    features = []
    pixel_ha = PIXEL_M * PIXEL_M / 10_000
    for c in land.clearings:
        mask = land.clear_id == c.id
        geom = _lonlat_polygon(mask, grid)
        first = next((d for d in scene_dates if d >= c.date), None)
        features.append(
            {
                "type": "Feature",
                "id": c.id,
                "properties": {
                    "id": c.id,
                    "date": c.date.isoformat(),
                    "kind": c.kind,
                    "area_ha": round(int(mask.sum()) * pixel_ha, 2),
                    "pixels": int(mask.sum()),
                    "burnt": c.burn_delay > 0,
                    "first_scene_date": first.isoformat() if first else None,
                },
                "geometry": mapping(geom),
            }
        )
    return {
        "type": "FeatureCollection",
        "name": "yvy demo clearings (ground truth)",
        "yvy:mgrs_tile": "20KQA",
        "yvy:seed": seed,
        "features": features,
    }
