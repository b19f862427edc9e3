"""Context layers (admin units, protected areas, permits, indigenous lands, border zones) and the
overlay of an alert with them.

:func:`read_layer` reads any vector file GDAL or GeoParquet can hold, refuses one without a
CRS, and returns features reprojected to WGS84. :func:`annotate` computes, for one alert
geometry, the admin units it falls in (with the region used by the legal rules), the protected
areas, indigenous lands and permits it touches with hectares inside each, whether it lies inside
an approved permit, and its distance to the national border.

Imports geopandas/pyogrio lazily, shapely, pyproj; never storage or cli.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely

from ..errors import InputError, ProjectionError
from . import _geo

__all__ = ["BUILTIN", "KINDS", "ContextFeature", "ContextLayer", "annotate", "border_geometry", "builtin_layers",
           "load_builtin", "read_layer"]

KINDS = ("admin", "protected_area", "permit", "indigenous_land", "border_zone", "custom")

BUILTIN = {
    "paraguay": (
        # (layer name, kind, file under yvy/alerts/builtin/<name>/, name field)
        ("departamentos", "admin", "departments.geojson", "name"),
        ("fronteras", "border_zone", "borders.geojson", "neighbour"),
    ),
}
"""Context layers shipped with yvy (public-domain Natural Earth data; see ``builtin/<name>/SOURCES.md``)."""

PERMIT_INSIDE_FRACTION = 0.99
"""An alert is inside a permit when at least this fraction of its area is covered by permits."""


@dataclass(frozen=True)
class ContextFeature:
    """One feature of a context layer (WGS84 geometry)."""

    layer: str
    kind: str
    name: str
    geometry: object
    props: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ContextLayer:
    """A named context layer, ready to store."""

    name: str
    kind: str
    source: str
    source_crs: str
    name_field: str | None
    features: tuple[ContextFeature, ...]


def read_layer(path: str | Path, *, kind: str, name: str | None = None, name_field: str | None = None,
               layer: str | None = None) -> ContextLayer:
    """Read a context layer file (GeoJSON, GeoPackage, Shapefile, GeoParquet, ...).

    Raises
    ------
    InputError
        Unknown kind, unreadable file, missing ``name_field``, no features.
    ProjectionError
        The layer has no CRS.
    """
    import geopandas as gpd

    if kind not in KINDS:
        raise InputError("kind", f"{kind!r} is not a context kind; use one of {', '.join(KINDS)}")
    p = Path(path)
    if not p.exists():
        raise InputError(p, "file not found")
    try:
        if p.suffix.lower() in (".parquet", ".geoparquet"):
            gdf = gpd.read_parquet(p)
        else:
            gdf = gpd.read_file(p, layer=layer) if layer else gpd.read_file(p)
    except Exception as exc:  # pyogrio/pyarrow raise many types; report one line
        msg = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise InputError(p, f"not a readable vector layer ({msg})") from exc
    if gdf.crs is None:
        raise ProjectionError(p, "layer has no CRS; assign one (e.g. ogr2ogr -a_srs EPSG:4326) and retry")
    if len(gdf) == 0:
        raise InputError(p, "layer has no features")
    if name_field is not None and name_field not in gdf.columns:
        cols = ", ".join(c for c in gdf.columns if c != gdf.geometry.name)
        raise InputError(p, f"no field {name_field!r}; fields are {cols}")
    source_crs = gdf.crs.to_string()
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    gdf = gdf.to_crs(_geo.WGS84)
    geoms = shapely.make_valid(np.asarray(gdf.geometry.values, dtype=object))
    layer_name = name or p.stem
    feats = []
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    for i, (geom, row) in enumerate(zip(geoms, gdf[cols].itertuples(index=False), strict=True)):
        props = {c: _jsonable(v) for c, v in zip(cols, row, strict=True)}
        label = props.get(name_field) if name_field else None
        feats.append(ContextFeature(layer_name, kind, str(label) if label is not None else f"{layer_name} {i + 1}",
                                    geom, props))
    return ContextLayer(layer_name, kind, str(p), source_crs, name_field, tuple(feats))


def builtin_layers(name: str) -> list[ContextLayer]:
    """The context layers of a built-in set (``paraguay``: departments with region, international borders).

    Raises
    ------
    InputError
        ``name`` is not a built-in set.
    """
    from importlib import resources

    if name not in BUILTIN:
        raise InputError("builtin", f"{name!r} is not a built-in context; use one of {', '.join(BUILTIN)}")
    folder = resources.files("yvy.alerts") / "builtin" / name
    out = []
    for layer_name, kind, file, name_field in BUILTIN[name]:
        with resources.as_file(folder / file) as path:
            lyr = read_layer(path, kind=kind, name=layer_name, name_field=name_field)
        out.append(ContextLayer(lyr.name, kind, f"yvy:builtin/{name}/{file}", lyr.source_crs, name_field,
                                lyr.features))
    return out


def load_builtin(store, name: str, *, profile="paraguay", replace: bool = False) -> dict:
    """Add the built-in context layers ``name`` to an alert store and re-evaluate its alerts.

    One transaction: either every layer is added and every alert re-annotated, or nothing changes.
    Returns ``{"layers": [names], "features": n, "alerts": n, "changed": m}``.
    """
    from .build import refresh_context

    layers = builtin_layers(name)
    with store.transaction():
        for lyr in layers:
            store.add_context_layer(lyr, replace=replace)
        res = refresh_context(store, profile)
    return {"layers": [lyr.name for lyr in layers], "features": sum(len(lyr.features) for lyr in layers), **res}


def _jsonable(v):
    if v is None:
        return None
    if isinstance(v, float) and np.isnan(v):
        return None
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return None if np.isnan(v) else float(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if isinstance(v, (str, int, float, bool)):
        return v
    try:
        json.dumps(v)
        return v
    except TypeError:
        return str(v)


def border_geometry(features: Sequence[ContextFeature]):
    """The national border as lines: border_zone features (polygons as their boundary), else the
    outer boundary of the union of the admin units; None when neither exists."""
    zones = [f.geometry for f in features if f.kind == "border_zone"]
    if zones:
        lines = [g.boundary if g.geom_type in ("Polygon", "MultiPolygon") else g for g in zones]
        return shapely.union_all(lines)
    admin = [f.geometry for f in features if f.kind == "admin"]
    if admin:
        outline = shapely.union_all(admin).buffer(0)
        return outline.boundary
    return None


def _overlaps(geom, feats: Sequence[ContextFeature]) -> list[dict]:
    out = []
    for f in feats:
        if not geom.intersects(f.geometry):
            continue
        inter = geom.intersection(f.geometry)
        ha = _geo.area_ha(inter)
        if ha <= 0 and not f.geometry.geom_type.endswith("Polygon"):
            out.append({"layer": f.layer, "name": f.name, "ha": 0.0})
            continue
        if ha > 0:
            out.append({"layer": f.layer, "name": f.name, "ha": round(ha, 4)})
    out.sort(key=lambda d: (-d["ha"], d["name"]))
    return out


def annotate(geom, features: Sequence[ContextFeature], *, border=None, region_field: str = "region") -> dict:
    """Overlay one WGS84 alert geometry with context features.

    Returns
    -------
    dict
        ``admin`` [{layer, name, ha, region}], ``region`` (of the admin unit holding most of
        the alert, None if none), ``protected_areas`` / ``indigenous_lands`` / ``permits`` /
        ``custom`` [{layer, name, ha}], ``permit_fraction`` (0..1), ``inside_permit`` (bool),
        ``border_km`` (None without a border or admin layer).
    """
    by_kind: dict[str, list[ContextFeature]] = {k: [] for k in KINDS}
    box = shapely.box(*geom.bounds)
    for f in features:
        if f.geometry.intersects(box) or f.kind == "border_zone":
            by_kind[f.kind].append(f)
    total = _geo.area_ha(geom)
    admin = []
    for f in by_kind["admin"]:
        if geom.intersects(f.geometry):
            ha = _geo.area_ha(geom.intersection(f.geometry))
            if ha > 0:
                admin.append({"layer": f.layer, "name": f.name, "ha": round(ha, 4),
                              "region": f.props.get(region_field)})
    admin.sort(key=lambda d: (-d["ha"], d["name"]))
    permits = _overlaps(geom, by_kind["permit"])
    if permits:
        covered = shapely.union_all([f.geometry for f in by_kind["permit"] if geom.intersects(f.geometry)])
        frac = _geo.area_ha(geom.intersection(covered)) / total if total > 0 else 0.0
    else:
        frac = 0.0
    if border is None:
        border = border_geometry(features)
    border_km = None
    if border is not None and not border.is_empty:
        border_km = round(_geo.distance_km(geom, border), 3)
    return {
        "admin": admin,
        "region": admin[0]["region"] if admin else None,
        "protected_areas": _overlaps(geom, by_kind["protected_area"]),
        "indigenous_lands": _overlaps(geom, by_kind["indigenous_land"]),
        "permits": permits,
        "permit_fraction": round(min(frac, 1.0), 4),
        "inside_permit": bool(frac >= PERMIT_INSIDE_FRACTION),
        "custom": _overlaps(geom, by_kind["custom"]),
        "border_km": border_km,
    }
