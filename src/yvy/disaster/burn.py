"""Burn scars and severity: dNBR / RdNBR from the best clear views before and after a fire.

NBR comes either from catalog items through the cube (:class:`yvy.cube.build.ItemCube`, index
``nbr``, cloud-masked; per pixel the latest clear view before and the earliest clear view after)
or from two Sentinel-2 files. Severity classes are Key & Benson's (USGS FIREMON) on dNBR x 1000
(:data:`yvy.kernels.burn.DNBR_BREAKS`). Burned pixels (low to high) form scars (8-connected,
at least ``min_ha``); each class patch becomes a polygon with its hectares, departments and
protected areas. A scar is linked to the fire events it overlaps in the fire window, and the
deforestation alerts it overlaps get a ``fire`` context entry, so a burned clearing is reported
with its fire, not dismissed as one.

Imports numpy, rasterio, shapely, scipy; never click or storage.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import shapely

from ..alerts import _geo
from ..errors import E_, InputError
from ..kernels import burn as bk
from ..kernels.indices import normalized_difference
from ._raster import S2_BANDS, band_index, open_raster_input, to_cog

__all__ = ["BurnResult", "Grid", "link_alerts", "map_burn", "nbr_from_file", "nbr_from_items"]

NIR_NAMES, SWIR_NAMES = ("B8", "NIR", "B08"), ("B12", "SWIR22")


@dataclass(frozen=True)
class Grid:
    """A raster grid: affine transform, CRS (anything rasterio takes) and (rows, cols)."""

    transform: object
    crs: object
    shape: tuple[int, int]


@dataclass
class BurnResult:
    """What :func:`map_burn` wrote and measured."""

    severity: str
    dnbr: str
    polygons: str
    hectares: dict
    by_department: dict
    by_protected_area: dict
    scars: list = field(default_factory=list)
    alerts_linked: list = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready summary."""
        return asdict(self)


def _find_band(ds, names) -> int:
    desc = [(d or "").upper() for d in ds.descriptions]
    for n in names:
        if n in desc:
            return desc.index(n) + 1
    return band_index(ds, names[0], S2_BANDS)


def nbr_from_file(path) -> tuple[np.ndarray, Grid]:
    """NBR of a Sentinel-2 stack (B8 and B12 by description, reflectance x 10000, 0 = no data)."""
    with open_raster_input(path, E_("scene")) as ds:
        nir, swir = ds.read(_find_band(ds, NIR_NAMES)), ds.read(_find_band(ds, SWIR_NAMES))
        grid = Grid(ds.transform, ds.crs, ds.shape)
    nbr = normalized_difference(nir, swir, scale_a=1e-4, scale_b=1e-4, nodata_a=0, nodata_b=0)
    return nbr, grid


def nbr_from_items(items, geobox, *, last: bool, chunk: int = 512) -> np.ndarray:
    """Best-clear NBR composite of catalog items on ``geobox``: per pixel the latest (``last``)
    or earliest cloud-free value (:func:`yvy.kernels.burn.composite`)."""
    from ..cube.build import ItemCube, chunk_windows

    if not items:
        raise InputError("scenes", f"no {'pre' if last else 'post'}-fire scene in the catalog for this area")
    cube = ItemCube(list(items), "nbr", geobox, chunk=chunk)
    out = np.full(geobox.shape, np.nan, np.float32)
    for rows, cols in chunk_windows(tuple(geobox.shape), chunk):
        out[rows, cols] = bk.composite(cube.read(rows, cols), last=last)
    return out


def map_burn(pre: np.ndarray, post: np.ndarray, grid: Grid, out_dir, *, context=(), fires=None, alerts=None,
             window: tuple[str | None, str | None] = (None, None), min_ha: float = 0.5) -> BurnResult:
    """Write ``severity.tif``, ``dnbr.tif``, ``burn_scars.geojson`` and ``burn.json`` to ``out_dir``.

    Parameters
    ----------
    pre, post
        NBR before and after the fire on ``grid`` (NaN = no clear view).
    context
        :class:`~yvy.alerts.context.ContextFeature` s (departments, protected areas...).
    fires
        A fire store (``find_events``) to link scars to fire events seen within ``window``.
    alerts
        An :class:`~yvy.alerts.ports.AlertStore`; overlapping alerts get a ``fire`` context.
    """
    if pre.shape != post.shape or tuple(pre.shape) != tuple(grid.shape):
        raise InputError("scenes", f"before {pre.shape} and after {post.shape} are not on one grid")
    dnbr, rdnbr, klass = bk.severity(pre, post)
    if not np.isfinite(dnbr).any():
        raise InputError("scenes", "no pixel is clear both before and after the fire; nothing written")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _write(out / "severity.tif", klass, grid, 255)
    _write(out / "dnbr.tif", np.stack([dnbr, rdnbr]), grid, float("nan"), ("dNBR", "RdNBR"))
    feats = _polygons(klass, dnbr, grid, min_ha)
    geoms = [shapely.geometry.shape(f["geometry"]) for f in feats]
    if context and feats:
        from ._context import overlay

        for f, ctx in zip(feats, overlay(geoms, list(context)), strict=True):
            f["properties"].update(departments=[a["name"] for a in ctx["admin"]],
                                   protected_areas=[a["name"] for a in ctx["protected_areas"]], context=ctx)
    scars = _scars(feats, geoms, fires, window)
    linked = link_alerts(alerts, scars) if alerts is not None else []
    return _summarise(out, feats, scars, linked)


def _write(path: Path, data: np.ndarray, grid: Grid, nodata, names=None) -> None:
    import rasterio

    from ..io import atomic_path

    arr = data if data.ndim == 3 else data[None]
    prof = {"driver": "GTiff", "width": grid.shape[1], "height": grid.shape[0], "count": arr.shape[0],
            "dtype": arr.dtype.name, "crs": grid.crs, "transform": grid.transform, "nodata": nodata,
            "tiled": True, "blockxsize": 256, "blockysize": 256}
    with atomic_path(path) as tmp:
        with rasterio.open(tmp, "w", **prof) as ds:
            ds.write(arr)
            if names:
                ds.descriptions = names
        to_cog(tmp, "mode" if arr.dtype == np.uint8 else "average")


def _pixel_ha(grid: Grid) -> float:
    a = grid.transform
    crs = _geo.norm_crs(grid.crs)
    if crs.is_geographic:
        cx, cy = a * (grid.shape[1] / 2, grid.shape[0] / 2)
        return _geo.area_ha(shapely.box(cx, cy, cx + abs(a.a), cy + abs(a.e)))
    return abs(a.a * a.e) / 1e4


def _polygons(klass: np.ndarray, dnbr: np.ndarray, grid: Grid, min_ha: float) -> list[dict]:
    """One feature per connected patch of one burned class, in scars of at least ``min_ha``."""
    from rasterio import features
    from scipy import ndimage

    burned = (klass >= 1) & (klass <= 4)
    scar, n = ndimage.label(burned, structure=np.ones((3, 3)))
    px_ha = _pixel_ha(grid)
    sizes = np.bincount(scar.ravel(), minlength=n + 1) * px_ha
    keep = burned & (sizes[scar] >= min_ha)
    code = np.where(keep, scar.astype(np.int64) * 8 + klass, 0).astype(np.int32)
    feats = []
    for geom, value in features.shapes(code, mask=keep, transform=grid.transform, connectivity=8):
        scar_id, k = divmod(int(value), 8)
        g = _geo.reproject(shapely.geometry.shape(geom), grid.crs, _geo.WGS84)
        feats.append({"type": "Feature", "geometry": shapely.geometry.mapping(g), "properties": {
            "scar": f"BURN-{scar_id}", "class": bk.CLASS_NAMES[k], "class_code": k,
            "ha": round(_geo.area_ha(g), 4)}})
    means = ndimage.mean(np.nan_to_num(dnbr), labels=scar, index=np.arange(1, n + 1)) if n else []
    for f in feats:
        f["properties"]["scar_mean_dnbr"] = round(float(means[int(f["properties"]["scar"][5:]) - 1]), 1)
    return feats


def _scars(feats, geoms, fires, window) -> list[dict]:
    by_scar: dict[str, dict] = {}
    for f, g in zip(feats, geoms, strict=True):
        p = f["properties"]
        s = by_scar.setdefault(p["scar"], {"id": p["scar"], "ha": 0.0, "ha_by_class": {}, "parts": []})
        s["ha"] = round(s["ha"] + p["ha"], 4)
        s["ha_by_class"][p["class"]] = round(s["ha_by_class"].get(p["class"], 0.0) + p["ha"], 4)
        s["parts"].append(g)
    for s in by_scar.values():
        geom = shapely.union_all(s.pop("parts"))
        s["geometry"] = geom
        s["severity"] = max(s["ha_by_class"], key=lambda k: s["ha_by_class"][k])
        s["fire_events"] = _overlapping_fires(geom, fires, window) if fires is not None else []
    return list(by_scar.values())


def _overlapping_fires(geom, fires, window) -> list[str]:
    since, until = window
    events = fires.find_events(bbox=geom.bounds, since=since, until=until)
    return [e["id"] for e in events if geom.intersects(shapely.geometry.shape(e["geometry"]))]


def link_alerts(alerts, scars) -> list[str]:
    """Give every alert a scar overlaps a ``fire`` context entry (scar, severity, fire events)."""
    from ..alerts.ports import AlertQuery

    linked = []
    with alerts.transaction():
        for s in scars:
            for a in alerts.find_alerts(AlertQuery(intersects=s["geometry"], include_merged=False)):
                fire = {"burn_scar": s["id"], "severity": s["severity"], "burned_ha": s["ha"],
                        "fire_events": s["fire_events"]}
                if (a.context or {}).get("fire") != fire:
                    alerts.update_alert(replace(a, context={**(a.context or {}), "fire": fire}))
                    linked.append(a.id)
    return linked


def _summarise(out: Path, feats, scars, linked) -> BurnResult:
    from ..io import atomic_write_bytes

    ha: dict = {}
    dept: dict = {}
    pas: dict = {}
    for f in feats:
        p = f["properties"]
        ha[p["class"]] = round(ha.get(p["class"], 0.0) + p["ha"], 4)
        ctx = p.get("context") or {}
        for key, table in (("admin", dept), ("protected_areas", pas)):
            for a in ctx.get(key, []):
                row = table.setdefault(a["name"], {})
                row[p["class"]] = round(row.get(p["class"], 0.0) + a["ha"], 4)
    for f in feats:
        f["properties"].pop("context", None)
    atomic_write_bytes(out / "burn_scars.geojson", json.dumps(
        {"type": "FeatureCollection", "features": feats}).encode())
    scar_rows = [{**{k: v for k, v in s.items() if k != "geometry"}, "bbox": list(s["geometry"].bounds)}
                 for s in scars]
    res = BurnResult(str(out / "severity.tif"), str(out / "dnbr.tif"), str(out / "burn_scars.geojson"),
                     ha, dept, pas, scar_rows, linked)
    atomic_write_bytes(out / "burn.json", json.dumps(res.to_dict(), indent=1).encode())
    return res


def nbr_pair_from_catalog(catalog, bbox, fire_start: str, fire_end: str, *, pre_days: int = 60,
                          post_days: int = 45, resolution: float | None = None, max_cloud: float | None = 80.0):
    """Best-clear NBR before ``fire_start`` and after ``fire_end`` over ``bbox`` from catalog items.

    Returns ``(pre, post, grid, window)``; ``window`` is the fire period (for linking events).
    """
    from datetime import date, timedelta

    from ..catalog.ports import ItemQuery
    from ..cube.build import bbox_geometry, plan_geobox
    from ..cube.mask import SENSORS, sensor_of

    try:
        start, end = date.fromisoformat(fire_start[:10]), date.fromisoformat(fire_end[:10])
    except ValueError:
        raise InputError("fire dates", f"{fire_start!r} / {fire_end!r} are not ISO dates") from None
    if end < start:
        raise InputError("fire dates", "the fire ends before it starts")
    q = dict(bbox=tuple(bbox), max_cloud=max_cloud)
    pre_items = catalog.search_items(ItemQuery(**q, start=f"{start - timedelta(days=pre_days)}T00:00:00Z",
                                               end=f"{start}T00:00:00Z"))
    post_items = catalog.search_items(ItemQuery(**q, start=f"{end}T00:00:00Z",
                                                end=f"{end + timedelta(days=post_days)}T23:59:59Z"))
    optical = [it for it in pre_items + post_items if sensor_of(it) in SENSORS]
    aoi = bbox_geometry(bbox)
    spec = SENSORS.get(sensor_of(optical[0])) if optical else None
    geobox = plan_geobox(aoi, optical, resolution=resolution, sensor=spec)
    pre = nbr_from_items([i for i in pre_items if i in optical], geobox, last=True)
    post = nbr_from_items([i for i in post_items if i in optical], geobox, last=False)
    grid = Grid(geobox.affine, str(geobox.crs), tuple(geobox.shape))
    return pre, post, grid, (f"{start}T00:00:00Z", f"{end}T23:59:59Z")
