"""Register a risk map as a COG product in the catalog (collection ``yvy-risk``).

The map is copied under the workspace's ``assets/risk/<id>/v<n>/`` and described by a STAC item
(footprint, ``proj:`` grid, covariates, training period, model metrics, expected hectares of loss).
Imports numpy, rasterio and shapely; the store is passed in (a ``CatalogStore``); never the CLI.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ..errors import NotFoundError
from .grid import Grid
from .model import RiskModel

__all__ = ["RISK", "register_risk_map"]

RISK = "yvy-risk"
COG = "image/tiff; application=geotiff; profile=cloud-optimized"


def _collection() -> dict:
    return {"type": "Collection", "stac_version": "1.0.0", "id": RISK, "license": "proprietary", "links": [],
            "description": "Deforestation risk maps: calibrated probability that a forest pixel is cleared "
                           "in the next period",
            "extent": {"spatial": {"bbox": [[-180, -90, 180, 90]]}, "temporal": {"interval": [[None, None]]}}}


def _footprint(grid: Grid) -> dict:
    import numpy as np
    import shapely
    from pyproj import Transformer

    minx, miny, maxx, maxy = grid.bounds
    t = Transformer.from_crs(grid.crs, "EPSG:4326", always_xy=True)
    poly = shapely.transform(shapely.box(minx, miny, maxx, maxy).segmentize((maxx - minx) / 16),
                             lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))
    return shapely.geometry.mapping(poly), list(poly.bounds)


def _statistics(path: Path) -> dict:
    """Minimum 0 and the 99th percentile as maximum (the web map's colour stretch), from an overview."""
    import numpy as np
    import rasterio

    with rasterio.open(path) as ds:
        ovr = ds.overviews(1)
        f = ovr[-1] if ovr else 1
        a = ds.read(1, out_shape=(max(1, ds.height // f), max(1, ds.width // f)))
    a = a[np.isfinite(a)]
    return {"minimum": 0.0, "maximum": float(np.percentile(a, 99)) if a.size else 1.0}


def register_risk_map(store, assets: str | Path, product_id: str, path: str | Path, model: RiskModel,
                      summary: dict, *, now: str) -> dict:
    """Copy the COG at ``path`` into the workspace assets and upsert its STAC item; return the item."""
    from pyproj import CRS

    try:
        old = store.get_item(RISK, product_id)
        version = int(old["properties"].get("yvy:version", 1)) + 1
    except NotFoundError:
        version = 1
    dest = Path(assets) / "risk" / product_id / f"v{version}" / "risk.tif"
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, dest)
    geometry, bbox = _footprint(model.grid)
    stats = _statistics(dest)
    epsg = CRS.from_wkt(model.grid.crs).to_epsg()
    start, end = model.period
    props = {
        "datetime": None if start and end else now, "start_datetime": start, "end_datetime": end,
        "yvy:format": "yvy-risk", "yvy:version": version, "yvy:covariates": [c.name for c in model.covariates],
        "yvy:training_fcc": model.fcc, "yvy:metrics": model.metrics, "yvy:summary": summary,
        "proj:code": f"EPSG:{epsg}" if epsg else None, "proj:shape": [model.grid.height, model.grid.width],
        "proj:transform": list(model.grid.transform[:6]), "created": now, "updated": now,
    }
    if not (start and end):
        props.pop("start_datetime")
        props.pop("end_datetime")
    item = {"type": "Feature", "stac_version": "1.0.0", "stac_extensions": [], "id": product_id,
            "collection": RISK, "geometry": geometry, "bbox": bbox, "links": [], "properties": props,
            "assets": {"risk": {"href": str(dest.absolute()), "type": COG, "roles": ["data"],
                                "title": "probability of forest loss in one period",
                                "raster:bands": [{"data_type": "float32", "nodata": "nan", "unit": "probability",
                                                  "statistics": stats}]}}}
    try:
        store.get_collection(RISK)
    except NotFoundError:
        store.upsert_collection(_collection())
    with store.transaction():
        store.upsert_item(item)
    return item
