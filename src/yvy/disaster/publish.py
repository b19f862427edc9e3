"""Disaster rasters (water, flood, burn severity, dNBR) as STAC items of the catalog, so the tile
server draws them and the web map lists them beside the detection products.

Items go to the collection ``yvy-detections-disasters`` (its ``yvy-detections`` prefix makes
the tile server treat each COG asset as a band layer). Imports rasterio, shapely; never
click or storage (the catalog store is passed in).
"""

from __future__ import annotations

from pathlib import Path

import shapely

from ..alerts import _geo
from ..dates import now_iso

__all__ = ["COLLECTION", "publish_rasters"]

COLLECTION = "yvy-detections-disasters"
COG = "image/tiff; application=geotiff; profile=cloud-optimized"
RANGES = {"water": (0, 1), "flood": (0, 1), "severity": (0, 5), "dnbr": (-500, 1000)}
"""Display range of each asset key (the tile server stretches values to it)."""


def _collection() -> dict:
    return {"type": "Collection", "stac_version": "1.0.0", "id": COLLECTION, "license": "proprietary",
            "description": "Disaster products of yvy: water and flood extent, burn severity and dNBR",
            "links": [], "extent": {"spatial": {"bbox": [[-180, -90, 180, 90]]},
                                    "temporal": {"interval": [[None, None]]}}}


def publish_rasters(store, item_id: str, rasters: dict[str, str | Path], *, kind: str, assets_dir: Path,
                    when: str | None = None, props: dict | None = None) -> dict:
    """Copy ``rasters`` (asset key -> COG path, all on one grid) under ``assets_dir`` (the
    workspace's ``assets/``, the only place the server reads products from) and register them as
    one catalog item."""
    import shutil

    import rasterio

    from ..io import atomic_path, safe_name

    folder = Path(assets_dir) / "products" / COLLECTION / safe_name(item_id, what="item")
    copied = {}
    for key, path in rasters.items():
        dest = folder / f"{safe_name(key, what='asset')}.tif"
        if Path(path).resolve() != dest.resolve():
            with atomic_path(dest) as tmp:
                shutil.copyfile(path, tmp)
        copied[key] = dest
    rasters = copied

    first = next(iter(rasters.values()))
    with rasterio.open(first) as ds:
        footprint = _geo.reproject(shapely.box(*ds.bounds), ds.crs, _geo.WGS84)
        epsg = ds.crs.to_epsg()
        shape, transform = [ds.height, ds.width], list(ds.transform)[:6]
    assets = {}
    for key, path in rasters.items():
        with rasterio.open(path) as ds:
            nodata = ds.nodata
            dtype = ds.dtypes[0]
        lo, hi = RANGES.get(key, (None, None))
        rb = {"data_type": dtype, "nodata": None if nodata is None or nodata != nodata else nodata,
              "statistics": {"minimum": lo, "maximum": hi}}
        assets[key] = {"href": str(Path(path).absolute()), "type": COG, "title": f"{kind}: {key}",
                       "roles": ["data"], "raster:bands": [rb]}
    now = now_iso()
    item = {"type": "Feature", "stac_version": "1.0.0", "stac_extensions": [], "id": item_id,
            "collection": COLLECTION, "geometry": shapely.geometry.mapping(footprint),
            "bbox": list(footprint.bounds), "links": [], "assets": assets,
            "properties": {"datetime": when or now, "yvy:format": f"yvy-{kind}", "proj:epsg": epsg,
                           "proj:shape": shape, "proj:transform": transform, "created": now, **(props or {})}}
    try:
        store.get_collection(COLLECTION)
    except LookupError:
        store.upsert_collection(_collection())
    store.upsert_item(item)
    return item
