"""Catalog scenes as the inputs of ``yvy detect --method bayts|sar``: optical and Sentinel-1 items of an AOI.

Optical scenes (Sentinel-2 or Landsat, one sensor) become the index cube of BFAST's catalog path
(:class:`yvy.cube.build.ItemCube`, cloud-masked) on the grid :func:`yvy.cube.build.plan_geobox`
plans for the AOI; radar items (OPERA RTC-S1, HyP3 RTC, ``sentinel-1-rtc`` STAC items, Equi7
tiles: anything with ``sar:polarizations``) become one polarisation in dB
(:class:`yvy.cube.radar_cube.RadarCube`), loaded by odc-stac **onto the optical grid** (nearest
neighbour, or linear power averaged over each optical pixel when the radar pixels are finer; passes
of one day and orbit mosaicked, OPERA layover/shadow masked). ``sar`` without
optical scenes plans the grid from the radar items (``--resolution``, default 20 m). The two
cubes then feed the same plan as stacks (:func:`yvy.change.fusion.plan_fusion`).
:func:`new_scenes_cube` gives ``yvy monitor update`` the scenes such a product does not hold yet.

Must not import: click, rich, sqlite3, yvy.cli.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date

from ..catalog.ports import ItemQuery
from ..dates import parse_instant
from ..errors import EmptyAOIError, InputError

__all__ = ["CATALOG_FIELDS", "catalog_cubes", "is_radar", "new_scenes_cube"]

CATALOG_FIELDS = ("aoi", "bbox", "scene", "geometry", "index", "collection", "sar_collection", "polarization",
                  "crs", "resolution")
"""Request fields used only with catalog scenes (left out of a stack run's product id)."""

SAR_RESOLUTION = 20.0
"""Grid of a ``sar`` run on catalog scenes without ``--resolution`` (Sentinel-1 RTC's 20-30 m)."""


def is_radar(item: dict) -> bool:
    """A radar item: it states its polarisations (STAC ``sar`` extension)."""
    return bool(item.get("properties", {}).get("sar:polarizations"))


def _query(store, collection: str | None, aoi, start: date | None, end: date | None) -> list[dict]:
    """Scene items (not yvy products) of ``collection`` (None: any) intersecting ``aoi`` in the period."""
    from .detect import PRODUCT_COLLECTIONS

    q = ItemQuery(collections=[collection] if collection else None, intersects=aoi.json,
                  start=f"{start.isoformat()}T00:00:00Z" if start else None,
                  end=f"{end.isoformat()}T23:59:59Z" if end else None)
    return [it for it in store.iter_items(q) if it.get("collection") not in PRODUCT_COLLECTIONS]


def _with_pol(items: list[dict], pol: str) -> list[dict]:
    return [it for it in items if pol in [p.upper() for p in it["properties"]["sar:polarizations"]]]


def _radar_items(store, req, aoi, start: date | None, end: date | None) -> list[dict]:
    pol = req.polarization.upper()
    found = [it for it in _query(store, req.sar_collection, aoi, start, end) if is_radar(it)]
    with_pol = _with_pol(found, pol)
    if not with_pol:
        have = sorted({p for it in found for p in it["properties"]["sar:polarizations"]})
        raise EmptyAOIError("AOI", (f"no Sentinel-1 scenes of collection {req.sar_collection}" if req.sar_collection
                                    else "no Sentinel-1 scenes")
                            + f" with {pol} intersect the area of interest"
                            + (f" (found {', '.join(have)}; choose a polarization)" if have else ""))
    return with_pol


def catalog_cubes(store, req, start: date | None, end: date | None) -> tuple[object | None, object, object]:
    """``(optical cube or None, radar cube, aoi)`` of a catalog-scene fusion request, on one grid.

    InputError / EmptyAOIError (one line) when the AOI is missing or has no usable scenes.
    """
    from ..cube.build import plan_geobox
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
    return optical, _radar_cube(radar_items, req, geobox, aoi), aoi


def _radar_cube(items: list[dict], req, geobox, aoi, factor: int | None = None):
    from ..cube.radar_cube import RadarCube

    return RadarCube(items, req.polarization.upper(), geobox, aoi=aoi, chunk=req.chunk, units="dB",
                     forced_units=req.sar_units, factor=factor)


def _day(item: dict) -> date:
    props = item["properties"]
    return parse_instant(props.get("datetime") or props.get("start_datetime")).date()


def new_scenes_cube(store, props: dict, name: str, geobox, aoi, last: date) -> tuple[object | None, int]:
    """``(cube, late)`` for ``yvy monitor update`` of a catalog-scene product, sensor ``name``.

    ``cube``: the catalog's ``name`` scenes (``optical``: of the product's sensor; ``radar``: with
    its polarisation) that the product does not hold, dated after ``last`` (the newest date it
    processed), on the product's grid, chosen as :func:`catalog_cubes` chose them (same
    collections, AOI, period; radar resampled with the first run's footprint factor); None when
    there are none. ``late``: the days of the scenes it does not hold dated on or before ``last``
    (delivered late: one run over all scenes would use them, an update cannot insert them into the
    past).
    """
    from ..cube.build import ItemCube
    from ..cube.mask import sensor_of
    from .fusion import FusionRequest

    known = {f.name for f in fields(FusionRequest)}
    req = FusionRequest(**{k: v for k, v in props.get("yvy:request", {}).items() if k in known})
    start, end = (date.fromisoformat(v[:10]) if v else None for v in (req.history_start, req.end))
    recorded = props.get("yvy:inputs", {}).get(name, {})
    held = recorded.get("items", [])
    if name == "radar":
        found = _with_pol([it for it in _query(store, req.sar_collection, aoi, start, end) if is_radar(it)],
                          req.polarization.upper())
    else:
        sensor = sensor_of(store.find_item(held[0])) if held else None
        found = [it for it in _query(store, req.collection, aoi, start, end)
                 if sensor is not None and sensor_of(it) == sensor]
    held = set(held)
    fresh = [it for it in found if it["id"] not in held]
    new = [it for it in fresh if _day(it) > last]
    late = len({_day(it) for it in fresh if _day(it) <= last})
    if not new:
        return None, late
    if name == "radar":  # resampled as the first run resampled (its footprint factor)
        return _radar_cube(new, req, geobox, aoi, int(recorded.get("footprint_factor", 1))), late
    return ItemCube(new, req.index, geobox, aoi=aoi, chunk=req.chunk), late
