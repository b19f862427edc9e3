"""Catalog scenes as the inputs of ``yvy detect --method bayts|sar``: optical and Sentinel-1 items of an AOI.

Optical scenes (Sentinel-2 or Landsat, one sensor) become the index cube of BFAST's catalog path
(:class:`yvy.cube.build.ItemCube`, cloud-masked) on the grid :func:`yvy.cube.build.plan_geobox`
plans for the AOI; radar items (OPERA RTC-S1, HyP3 RTC, ``sentinel-1-rtc`` STAC items, Equi7
tiles: anything with ``sar:polarizations``) become one polarisation in dB
(:class:`yvy.cube.radar_cube.RadarCube`), loaded by odc-stac **onto the optical grid** (nearest
neighbour; passes of one day and orbit mosaicked, OPERA layover/shadow masked). ``sar`` without
optical scenes plans the grid from the radar items (``--resolution``, default 20 m). The two
cubes then feed the same plan as stacks (:func:`yvy.change.fusion.plan_fusion`).

Must not import: click, rich, sqlite3, yvy.cli.
"""

from __future__ import annotations

from datetime import date

from ..catalog.ports import ItemQuery
from ..errors import EmptyAOIError, InputError

__all__ = ["CATALOG_FIELDS", "catalog_cubes", "is_radar"]

CATALOG_FIELDS = ("aoi", "bbox", "scene", "geometry", "index", "collection", "sar_collection", "polarization",
                  "crs", "resolution")
"""Request fields used only with catalog scenes (left out of a stack run's product id)."""

SAR_RESOLUTION = 20.0
"""Grid of a ``sar`` run on catalog scenes without ``--resolution`` (Sentinel-1 RTC's 20-30 m)."""


def is_radar(item: dict) -> bool:
    """A radar item: it states its polarisations (STAC ``sar`` extension)."""
    return bool(item.get("properties", {}).get("sar:polarizations"))


def _radar_items(store, req, aoi, start: date | None, end: date | None) -> list[dict]:
    from .detect import PRODUCT_COLLECTIONS

    q = ItemQuery(collections=[req.sar_collection] if req.sar_collection else None, intersects=aoi.json,
                  start=f"{start.isoformat()}T00:00:00Z" if start else None,
                  end=f"{end.isoformat()}T23:59:59Z" if end else None)
    pol = req.polarization.upper()
    found = [it for it in store.iter_items(q) if it.get("collection") not in PRODUCT_COLLECTIONS and is_radar(it)]
    with_pol = [it for it in found if pol in [p.upper() for p in it["properties"]["sar:polarizations"]]]
    if not with_pol:
        where = f" of collection {req.sar_collection}" if req.sar_collection else ""
        have = sorted({p for it in found for p in it["properties"]["sar:polarizations"]})
        raise EmptyAOIError("AOI", f"no Sentinel-1 scenes{where} with {pol} intersect the area of interest"
                                   + (f" (found {', '.join(have)}; choose a polarization)" if have else ""))
    return with_pol


def catalog_cubes(store, req, start: date | None, end: date | None) -> tuple[object | None, object, object]:
    """``(optical cube or None, radar cube, aoi)`` of a catalog-scene fusion request, on one grid.

    InputError / EmptyAOIError (one line) when the AOI is missing or has no usable scenes.
    """
    from ..cube.build import plan_geobox
    from ..cube.radar_cube import RadarCube
    from .detect import _aoi, _catalog_cube

    if store is None:
        raise InputError("aoi", "catalog scenes need a workspace catalog")
    aoi = _aoi(store, req)
    if aoi is None:
        raise InputError("aoi", f"method {req.method} needs time stacks (optical and radar) or an area of "
                                "interest with catalog scenes")
    optical = None
    if req.method == "bayts":
        optical = _catalog_cube(store, req, aoi, start or date(1900, 1, 1), end)
    radar_items = _radar_items(store, req, aoi, start, end)
    geobox = optical.geobox if optical is not None else plan_geobox(
        aoi, radar_items, crs=req.crs, resolution=req.resolution or SAR_RESOLUTION)
    radar = RadarCube(radar_items, req.polarization.upper(), geobox, aoi=aoi, chunk=req.chunk, units="dB",
                      forced_units=req.sar_units)
    return optical, radar, aoi
