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

__all__ = ["to_lonlat", "truth_collection"]


def to_lonlat(xy: np.ndarray) -> np.ndarray:
    """(n, 2) UTM 20S coordinates to (n, 2) lon/lat."""
    tr = Transformer.from_crs(EPSG, 4326, always_xy=True)
    lon, lat = tr.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])


def _oriented(geom):
    if geom.geom_type == "Polygon":
        return orient(geom, 1.0)
    return shapely.MultiPolygon([orient(p, 1.0) for p in geom.geoms])


def truth_collection(land: Landscape, grid: Grid, scene_dates: list[date], seed: int) -> dict:
    """FeatureCollection dict of the clearings (one feature each, in date order)."""
    transform = Affine(*grid.transform)
    features = []
    pixel_ha = PIXEL_M * PIXEL_M / 10_000
    for c in land.clearings:
        mask = land.clear_id == c.id
        polys = [
            shape(g)
            for g, _ in shapes(
                mask.astype(np.uint8), mask=mask, connectivity=4, transform=transform
            )
        ]
        geom = shapely.union_all(polys)
        geom = shapely.transform(geom, lambda xy: np.round(to_lonlat(xy), 9))
        geom = _oriented(geom)
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
