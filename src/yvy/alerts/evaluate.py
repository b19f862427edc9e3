"""Accuracy of alerts against reference data: polygons with dates, labelled points, or a raster.

Reports user's accuracy (precision: share of alerted area/objects that is real change),
producer's accuracy (recall: share of reference change that was alerted) and F1, both
count-based and area-weighted (equal-area hectares), and the detection delay (median and
90th percentile of first detection minus reference date, in days).

* polygons: area = hectares of overlap; count = reference polygons hit by an alert (PA) and
  alerts touching a reference polygon (UA). Only the ``extent`` (default: the reference layer's
  bounding box) is scored.
* points: each point is change or stable by its label; count = points (no area).
* raster: alerts are rasterised onto the reference grid (pixel centres); count = pixels,
  area = pixel hectares; objects = 8-connected reference patches. Values in ``change_values`` are
  change, in ``stable_values`` stable, anything else is left out (e.g. earlier loss years).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import numpy as np
import shapely

from ..errors import InputError, ProjectionError
from ..i18n import N_
from ..io import open_raster
from . import _geo
from .model import Alert

__all__ = ["evaluate_alerts", "evaluate_points", "evaluate_polygons", "evaluate_raster", "scores"]


def scores(tp: float, fp: float, fn: float) -> dict:
    """User's accuracy, producer's accuracy and F1 from true/false positives and false negatives."""
    ua = tp / (tp + fp) if tp + fp > 0 else None
    pa = tp / (tp + fn) if tp + fn > 0 else None
    f1 = 2 * ua * pa / (ua + pa) if ua and pa else (0.0 if ua is not None and pa is not None else None)
    def r(v):
        return None if v is None else round(float(v), 4)
    return {"tp": r(tp), "fp": r(fp), "fn": r(fn), "ua": r(ua), "pa": r(pa), "f1": r(f1)}


def _delay(pairs: list[tuple[str, str]]) -> dict | None:
    """Delay stats from (reference date, first detection) ISO pairs."""
    if not pairs:
        return None
    d = np.array([(date.fromisoformat(f[:10]) - date.fromisoformat(r[:10])).days for r, f in pairs], float)
    return {"n": int(d.size), "median_days": float(np.median(d)), "p90_days": float(np.percentile(d, 90)),
            "early": int((d < 0).sum())}


def _parse_values(values) -> set | None:
    if values is None:
        return None
    if isinstance(values, str):
        values = [v for v in values.split(",") if v.strip()]
    out = set()
    for v in values:
        try:
            f = float(v)
            out.add(int(f) if f.is_integer() else f)
        except (TypeError, ValueError):
            out.add(str(v).strip())
    return out


def evaluate_alerts(alerts: Sequence[Alert], reference: str | Path, *, date_field: str | None = None,
                    label_field: str | None = None, change_values=None, stable_values=None,
                    extent=None, ref_start: str | None = None, ref_end: str | None = None,
                    band: int = 1) -> dict:
    """Evaluate ``alerts`` against a reference file (raster or vector, detected from the file)."""
    p = Path(reference)
    if not p.exists():
        raise InputError(p, "reference file not found")
    if _is_raster(p):
        res = evaluate_raster(alerts, p, change_values=change_values, stable_values=stable_values, extent=extent,
                              band=band)
    else:
        gdf = _read_vector(p)
        types = set(gdf.geometry.geom_type)
        if types <= {"Point", "MultiPoint"}:
            res = evaluate_points(alerts, gdf, label_field=label_field, change_values=change_values,
                                  stable_values=stable_values, date_field=date_field, extent=extent)
        else:
            res = evaluate_polygons(alerts, gdf, date_field=date_field, label_field=label_field,
                                    change_values=change_values, extent=extent, ref_start=ref_start,
                                    ref_end=ref_end)
    res["reference"] = str(p)
    res["alerts"] = len(alerts)
    return res


def _is_raster(p: Path) -> bool:
    if p.suffix.lower() in (".tif", ".tiff", ".vrt", ".img", ".jp2"):
        return True
    if p.suffix.lower() in (".geojson", ".json", ".gpkg", ".shp", ".parquet", ".kml", ".fgb", ".csv"):
        return False
    import rasterio
    from rasterio.errors import RasterioIOError

    try:
        with rasterio.open(p):
            return True
    except RasterioIOError:  # not a raster: try as vector
        return False


def _read_vector(p: Path):
    import geopandas as gpd

    try:
        gdf = gpd.read_parquet(p) if p.suffix.lower() == ".parquet" else gpd.read_file(p)
    except Exception as exc:
        raise InputError(p, f"not a readable reference layer ({str(exc).splitlines()[0][:120]})") from exc
    if gdf.crs is None:
        raise ProjectionError(p, "reference layer has no CRS")
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty].to_crs(_geo.WGS84)
    if len(gdf) == 0:
        raise InputError(p, "reference layer has no features")
    return gdf


def _clip_alerts(alerts, extent):
    geoms = [a.geometry for a in alerts]
    if extent is None:
        return list(alerts), geoms
    keep = [(a, g.intersection(extent)) for a, g in zip(alerts, geoms, strict=True) if g.intersects(extent)]
    keep = [(a, g) for a, g in keep if not g.is_empty and g.area > 0]
    return [a for a, _ in keep], [g for _, g in keep]


def _field(gdf, name, p):
    if name not in gdf.columns:
        raise InputError(name, f"no such field in the reference; fields are "
                               f"{', '.join(c for c in gdf.columns if c != gdf.geometry.name)}")
    return gdf[name]


def evaluate_polygons(alerts, gdf, *, date_field=None, label_field=None, change_values=None, extent=None,
                      ref_start=None, ref_end=None) -> dict:
    """Evaluate against reference polygons (WGS84 GeoDataFrame)."""
    if label_field and change_values is not None:
        vals = _parse_values(change_values)
        gdf = gdf[_field(gdf, label_field, None).map(lambda v: v in vals or str(v) in vals)]
    dates = None
    if date_field:
        dates = _field(gdf, date_field, None).astype(str).str[:10]
        keep = np.ones(len(gdf), bool)
        if ref_start:
            keep &= (dates >= ref_start[:10]).to_numpy()
        if ref_end:
            keep &= (dates <= ref_end[:10]).to_numpy()
        gdf, dates = gdf[keep], dates[keep]
    if extent is None:
        extent = shapely.box(*gdf.total_bounds)
    refs = [g.intersection(extent) for g in shapely.make_valid(np.asarray(gdf.geometry.values, dtype=object))]
    ref_dates = list(dates) if dates is not None else [None] * len(refs)
    alerts, ageoms = _clip_alerts(alerts, extent)
    ref_union = shapely.union_all(refs) if refs else shapely.Polygon()
    alert_union = shapely.union_all(ageoms) if ageoms else shapely.Polygon()
    tp = _geo.area_ha(alert_union.intersection(ref_union))
    area = scores(tp, _geo.area_ha(alert_union) - tp, _geo.area_ha(ref_union) - tp)
    tree = shapely.STRtree(ageoms) if ageoms else None
    hit_refs, pairs = 0, []
    hit_alerts = set()
    for g, d in zip(refs, ref_dates, strict=True):
        if g.is_empty or tree is None:
            continue
        idx = [i for i in tree.query(g, predicate="intersects") if ageoms[i].intersection(g).area > 0]
        if idx:
            hit_refs += 1
            hit_alerts.update(idx)
            if d:
                pairs.append((d, min(alerts[i].first_detected for i in idx)))
    n_refs = sum(1 for g in refs if not g.is_empty)
    count = scores(len(hit_alerts), len(ageoms) - len(hit_alerts), n_refs - hit_refs)
    count["unit"] = N_("objects (UA: alerts touching a reference polygon; PA: reference polygons hit)")
    return {"kind": N_("polygons"), "references": n_refs, "count": count, "area": area, "delay": _delay(pairs)}


def evaluate_points(alerts, gdf, *, label_field=None, change_values=None, stable_values=None, date_field=None,
                    extent=None) -> dict:
    """Evaluate against labelled points (WGS84 GeoDataFrame)."""
    if not label_field:
        raise InputError("label_field", "labelled points need the field holding each point's label")
    labels = _field(gdf, label_field, None)
    change = _parse_values(change_values) if change_values is not None else None
    stable = _parse_values(stable_values) if stable_values is not None else None
    if change is None:
        raise InputError("change_values", "say which labels mean change (e.g. deforestation)")
    is_change = labels.map(lambda v: v in change or str(v) in change).to_numpy()
    is_stable = (labels.map(lambda v: v in stable or str(v) in stable).to_numpy() if stable is not None
                 else ~is_change)
    pts = np.asarray(gdf.geometry.values, dtype=object)
    if extent is not None:
        inside = shapely.intersects(pts, extent)
        is_change, is_stable = is_change & inside, is_stable & inside
    ageoms = [a.geometry for a in alerts]
    hit = np.zeros(len(pts), bool)
    first = [None] * len(pts)
    if ageoms:
        tree = shapely.STRtree(ageoms)
        for i, pt in enumerate(pts):
            idx = tree.query(pt, predicate="intersects")
            if len(idx):
                hit[i] = True
                first[i] = min(alerts[j].first_detected for j in idx)
    tp = int((hit & is_change).sum())
    fp = int((hit & is_stable).sum())
    fn = int((~hit & is_change).sum())
    tn = int((~hit & is_stable).sum())
    count = scores(tp, fp, fn)
    count.update(tn=tn, unit="points")
    pairs = []
    if date_field:
        dates = _field(gdf, date_field, None).astype(str).str[:10].to_numpy()
        pairs = [(dates[i], first[i]) for i in range(len(pts))
                 if hit[i] and is_change[i] and dates[i] not in ("", "None", "nan")]
    return {"kind": N_("points"), "references": int(is_change.sum() + is_stable.sum()), "count": count,
            "area": None, "delay": _delay(pairs)}


def evaluate_raster(alerts, path: Path, *, change_values=None, stable_values=None, extent=None,
                    band: int = 1) -> dict:
    """Evaluate against a reference raster (alerts rasterised on its grid, pixel centres)."""
    from rasterio.features import rasterize
    from scipy import ndimage

    with open_raster(path, require_crs=False) as ds:
        if ds.crs is None:
            raise ProjectionError(path, "reference raster has no CRS")
        if not 1 <= band <= ds.count:
            raise InputError(path, f"has {ds.count} band(s); band {band} does not exist")
        ref = ds.read(band, masked=True)
        crs, transform, shape = ds.crs, ds.transform, (ds.height, ds.width)
    data = np.asarray(ref.filled(0) if np.ma.is_masked(ref) else ref)
    valid = ~np.ma.getmaskarray(ref)
    change = _parse_values(change_values)
    stable = _parse_values(stable_values)
    is_change = np.isin(data, list(change)) if change is not None else (data != 0)
    is_stable = np.isin(data, list(stable)) if stable is not None else (data == 0)
    scored = valid & (is_change | is_stable)
    if extent is not None:
        ext = rasterize([(_geo.reproject(extent, _geo.WGS84, crs), 1)], out_shape=shape, transform=transform,
                        fill=0, dtype="uint8").astype(bool)
        scored &= ext
    geoms = [(_geo.reproject(a.geometry, _geo.WGS84, crs), 1) for a in alerts]
    alerted = (rasterize(geoms, out_shape=shape, transform=transform, fill=0, dtype="uint8").astype(bool)
               if geoms else np.zeros(shape, bool))
    # per-row pixel area (equal-area hectares): exact for geographic grids, where it varies by row
    rows_ha = np.array([_geo.area_ha(shapely.box(*_pixel_bounds(transform, r)), crs) for r in range(shape[0])])
    pix_ha = np.broadcast_to(rows_ha[:, None], shape)
    ch, st = is_change & scored, is_stable & scored
    tp_m, fp_m, fn_m = alerted & ch, alerted & st, ~alerted & ch
    count = scores(int(tp_m.sum()), int(fp_m.sum()), int(fn_m.sum()))
    count.update(tn=int((~alerted & st).sum()), unit="pixels")
    area = scores(float(pix_ha[tp_m].sum()), float(pix_ha[fp_m].sum()), float(pix_ha[fn_m].sum()))
    lab, n = ndimage.label(ch, structure=np.ones((3, 3)))
    hit_obj = len(np.unique(lab[alerted & ch]))
    objects = {"reference_patches": int(n), "patches_hit": int(hit_obj),
               "pa": round(hit_obj / n, 4) if n else None}
    return {"kind": N_("raster"), "references": int(ch.sum()), "count": count, "area": area, "objects": objects,
            "delay": None, "scored_pixels": int(scored.sum())}


def _pixel_bounds(t, row: int) -> tuple[float, float, float, float]:
    x0, y0 = t.b * row + t.c, t.e * row + t.f
    x1, y1 = t.a + t.b * (row + 1) + t.c, t.d + t.e * (row + 1) + t.f
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)
