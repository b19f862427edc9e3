"""Evidence package of one alert: image chips before/after, index time series, locator map,
attributes with legal context, chain of custody (scenes, checksums, ingest times) and audit trail, a
PDF report for a court (Spanish by default; figures in :mod:`._evidence_figures`, layout in
:mod:`._evidence_report`), and a SHA-256 manifest.

Scenes come from the catalog (:class:`~yvy.catalog.ports.CatalogStore`): items whose footprint
intersects the alert and that carry red and NIR bands (found by ``eo:bands`` /
``bands`` common names or Earth Search asset keys). The "best clear" scene on each side of the
break is the one with the most clear pixels over the alert (scene classification / QA masks
when the item has them, nodata otherwise), then the lowest cloud cover, then the closest date.

Imports rasterio, numpy, shapely, matplotlib (Agg), fpdf2 and yvy.i18n; never storage or cli.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from shapely.geometry import mapping

from .. import __version__
from ..catalog import assets as keys
from ..catalog.ports import ItemQuery
from ..change.product import DETECTIONS
from ..cube.mask import clear_mask, quality_band
from ..dates import now_iso
from ..errors import NotFoundError
from ..field.reports import evidence_reports
from ..io import atomic_path, sha256_file, sha256_of_multihash
from ..kernels.indices import INDICES, compute_index
from ..security.events import emit
from . import _geo
from .audit import verify_chain
from .model import Alert, to_feature

__all__ = ["build_evidence", "find_band", "index_series"]



@dataclass(frozen=True)
class Band:
    """Where one spectral band of an item lives."""

    href: str
    index: int
    scale: float = 1.0
    offset: float = 0.0
    nodata: float | None = None


def find_band(item: dict, common: str) -> Band | None:
    """The band with this common name (blue, green, red, nir, swir16, swir22) in an item."""
    assets = item.get("assets", {})
    for asset in assets.values():
        eo = asset.get("eo:bands") or []
        bands = asset.get("bands") or []
        rb = asset.get("raster:bands") or []
        names = [b.get("common_name") for b in eo] or [b.get("eo:common_name") for b in bands]
        for i, name in enumerate(names):
            if name == common or (common == keys.NIR and name == keys.NIR08 and not _has(assets, keys.NIR)):
                r = rb[i] if i < len(rb) else (bands[i] if i < len(bands) else {})
                return Band(asset["href"], i + 1, float(r.get("scale", r.get("raster:scale", 1.0)) or 1.0),
                            float(r.get("offset", r.get("raster:offset", 0.0)) or 0.0), r.get("nodata"))
    key = keys.asset_for(assets, common)
    if key is None:
        return None
    rb = (assets[key].get("raster:bands") or [{}])[0]
    return Band(assets[key]["href"], 1, float(rb.get("scale", 1.0) or 1.0),
                float(rb.get("offset", 0.0) or 0.0), rb.get("nodata"))


def _has(assets: dict, common: str) -> bool:
    return any(b.get("common_name") == common for a in assets.values() for b in a.get("eo:bands") or [])


def _read(band: Band, geom_wgs84, pad: float):
    """(values float64 with NaN, transform, crs) of a window around the geometry (``pad`` m)."""
    import rasterio
    from rasterio.windows import from_bounds

    with rasterio.open(band.href) as ds:
        g = _geo.reproject(geom_wgs84, _geo.WGS84, ds.crs)
        minx, miny, maxx, maxy = g.bounds
        pad_units = pad if ds.crs.is_projected else pad / 111_000
        win = from_bounds(minx - pad_units, miny - pad_units, maxx + pad_units, maxy + pad_units, ds.transform)
        win = win.round_offsets().round_lengths()
        arr = ds.read(band.index, window=win, boundless=True, fill_value=ds.nodata or 0).astype(np.float64)
        nod = band.nodata if band.nodata is not None else ds.nodata
        if nod is not None:
            arr[arr == nod] = np.nan
        return arr * band.scale + band.offset, ds.window_transform(win), ds.crs


def _clear_mask(item: dict, geom, pad: float, shape) -> np.ndarray | None:
    """True where the item's quality band says clear, by the cube's rule (:mod:`yvy.cube.mask`);
    None when the item has no quality band."""
    found = quality_band(item)
    if found is None:
        return None
    spec, key = found
    arr, _, _ = _read(Band(item["assets"][key]["href"], 1), geom, pad)
    return clear_mask(spec, arr) if arr.shape == shape else None


def _pixel_mask(geom_wgs84, transform, crs, shape) -> np.ndarray:
    from rasterio.features import rasterize

    g = _geo.reproject(geom_wgs84, _geo.WGS84, crs)
    return rasterize([(g, 1)], out_shape=shape, transform=transform, fill=0, all_touched=True).astype(bool)


def index_value(item: dict, geom, index: str = "ndvi", pad: float = 0.0) -> tuple[float, float]:
    """(mean index over the alert's pixels, clear fraction) for one item (NaN, 0 if unusable)."""
    found = [find_band(item, role) for role in INDICES[index].bands]
    if any(b is None for b in found):
        return float("nan"), 0.0
    layers = [_read(b, geom, pad) for b in found]
    _, tr, crs = layers[0]
    shape = layers[0][0].shape
    if any(arr.shape != shape for arr, _, _ in layers):
        return float("nan"), 0.0
    inside = _pixel_mask(geom, tr, crs, shape)
    roles = INDICES[index].bands
    idx = compute_index(index, {role: arr for role, (arr, _, _) in zip(roles, layers, strict=True)})
    ok = np.isfinite(idx)
    clear = _clear_mask(item, geom, pad, shape)
    if clear is not None:
        ok &= clear
    n = inside.sum()
    good = ok & inside
    frac = float(good.sum() / n) if n else 0.0
    return (float(np.mean(idx[good])) if good.any() else float("nan")), frac


def index_series(items: list[dict], geom, index: str = "ndvi") -> list[dict]:
    """Per item: date, id, cloud cover, mean index over the alert and clear fraction."""
    rows = []
    for it in items:
        v, frac = index_value(it, geom, index)
        props = it.get("properties", {})
        rows.append({"date": (props.get("datetime") or props.get("start_datetime") or "")[:10], "id": it["id"],
                     "collection": it.get("collection"), "cloud_cover": props.get("eo:cloud_cover"),
                     "value": v, "clear_fraction": round(frac, 4)})
    return rows


def _pick(rows: list[dict], before: bool, first: str, last_clear: str | None) -> dict | None:
    if before:
        cand = [r for r in rows if r["date"] < first and (last_clear is None or r["date"] <= last_clear)]
    else:
        cand = [r for r in rows if r["date"] >= first]
    cand = [r for r in cand if math.isfinite(r["value"]) and r["clear_fraction"] > 0]
    if not cand:
        return None
    ref = date.fromisoformat(first)

    def key(r):
        return (-round(r["clear_fraction"], 2), r["cloud_cover"] if r["cloud_cover"] is not None else 100,
                abs((date.fromisoformat(r["date"]) - ref).days))

    return min(cand, key=key)


def _chip_data(item: dict, alert: Alert, bands: tuple[str, str, str], pad: float):
    """(H x W x 3 values, alert rings in pixel coordinates, metres per pixel) or None without the bands."""
    found = [find_band(item, b) for b in bands]
    if any(b is None for b in found):
        return None
    layers = [_read(b, alert.geometry, pad) for b in found]
    if len({arr.shape for arr, _, _ in layers}) != 1:
        return None
    _, tr, crs = layers[0]
    g = _geo.reproject(alert.geometry, _geo.WGS84, crs)
    inv = ~tr
    rings = []
    for poly in getattr(g, "geoms", [g]):
        for ring in [poly.exterior, *poly.interiors]:
            xy = np.asarray(ring.coords)
            rings.append(np.column_stack([inv.a * xy[:, 0] + inv.b * xy[:, 1] + inv.c,
                                          inv.d * xy[:, 0] + inv.e * xy[:, 1] + inv.f]))
    res = abs(tr.a) if _geo.norm_crs(crs).is_projected else abs(tr.a) * 111_320 * math.cos(
        math.radians(alert.geometry.centroid.y))
    return np.dstack([arr for arr, _, _ in layers]), rings, res


def _chips(by_id, picks: dict, alert: Alert, out: Path, pad: float, tr, images: dict, warnings: list) -> None:
    """True- and false-colour chips before and after, each pair on one stretch."""
    from ._evidence_figures import save_chip, stretch, stretch_limits

    _ = tr.gettext
    for kind in ("true", "false"):
        data = {}
        for side, row in picks.items():
            if row is None:
                continue
            it = by_id[row["id"]]
            combo = (keys.RED, keys.GREEN, keys.BLUE) if kind == "true" else (
                (keys.SWIR16, keys.NIR, keys.RED) if find_band(it, keys.SWIR16) else (keys.NIR, keys.RED, keys.GREEN))
            got = _chip_data(it, alert, combo, pad)
            if got is None:
                if kind == "false":
                    warnings.append(_("scene {id} lacks the bands for a false-colour chip").format(id=row["id"]))
                continue
            data[side] = (got, combo, row)
        limits = stretch_limits([d[0][0] for d in data.values()])
        for side, ((rgb, rings, res), combo, row) in data.items():
            label = _("true colour") if kind == "true" else _("false colour ({bands})").format(bands="/".join(combo))
            title = "{side}: {date} - {label}".format(side=_("Before") if side == "before" else _("After"),
                                                      date=tr.date(date.fromisoformat(row["date"])), label=label)
            path = out / f"chip_{side}_{kind}_colour.png"
            save_chip(stretch(rgb, limits), rings, res, path, title)
            images[f"{side}_{kind}"] = str(path)


def _series_figure(rows: list[dict], alert: Alert, index: str, path: Path, monitor_start: str | None, tr) -> None:
    """The index time series with a harmonic history model fitted by least squares (as the detector's)."""
    from ._evidence_figures import series_plot

    pts = [(date.fromisoformat(r["date"]), r["value"]) for r in rows if math.isfinite(r["value"])
           and r["clear_fraction"] >= 0.5]
    brk = date.fromisoformat(alert.first_detected)
    hist_end = date.fromisoformat(monitor_start) if monitor_start else brk
    fit = None
    if pts:
        d, v = zip(*pts, strict=True)
        t = np.array([x.year + (x.timetuple().tm_yday - 1) / 365.0 for x in d])
        v = np.array(v)
        hist = np.array([x < hist_end for x in d])
        if hist.sum() >= 6:
            order = 1 if hist.sum() < 12 else (2 if hist.sum() < 24 else 3)

            def design(tt):
                cols = [np.ones_like(tt), tt - t[hist].mean()]
                for j in range(1, order + 1):
                    cols += [np.cos(2 * np.pi * j * tt), np.sin(2 * np.pi * j * tt)]
                return np.stack(cols, axis=1)

            coef, *_ = np.linalg.lstsq(design(t[hist]), v[hist], rcond=None)
            tt = np.linspace(t.min(), t.max(), 400)
            dd = [date.fromordinal(date(int(x), 1, 1).toordinal() + int((x - int(x)) * 365)) for x in tt]
            fit = (dd, design(tt) @ coef)
    last_clear = date.fromisoformat(alert.last_clear) if alert.last_clear else None
    series_plot(pts, fit, brk=brk, hist_end=hist_end, last_clear=last_clear, index=index, tr=tr, path=path)


CUSTODY_BANDS = (keys.RED, keys.NIR, keys.GREEN, keys.BLUE, keys.SWIR16)


def _custody(catalog, items: list[dict]) -> list[dict]:
    """Per scene read: id, collection, date, when it was ingested, and the SHA-256 of each band file read."""
    refs = [(it.get("collection"), it["id"]) for it in items]
    ingested = catalog.ingest_times(refs) if hasattr(catalog, "ingest_times") else {}
    out = []
    for it, ref in sorted(zip(items, refs, strict=True), key=lambda p: (p[0]["properties"].get("datetime") or "",
                                                                         p[0]["id"])):
        sums = {}
        for common in CUSTODY_BANDS:
            key = _asset_key(it, common)
            if key is not None:
                mh = it["assets"][key].get("file:checksum")
                sums[common] = sha256_of_multihash(mh) if mh else None
        props = it.get("properties", {})
        out.append({"id": it["id"], "collection": ref[0], "date": (props.get("datetime") or "")[:10],
                    "platform": props.get("platform"), "ingested": ingested.get(ref), "checksums": sums})
    return out


def _asset_key(item: dict, common: str) -> str | None:
    band = find_band(item, common)
    if band is None:
        return None
    return next((k for k, a in item.get("assets", {}).items() if a.get("href") == band.href), None)


def _method(items: list[dict], rows: list[dict], catalog, alert: Alert, index: str) -> tuple[dict, str | None]:
    """What the method section says (sensors, dates, detector parameters) and the monitoring start."""
    sensors = sorted({(it["properties"].get("constellation") or it["properties"].get("platform") or
                       it.get("collection") or "?").replace("-", " ").title() for it in items})
    dates = sorted(r["date"] for r in rows if r["date"])
    detector = None
    for pid in alert.products:
        try:
            props = catalog.get_item(DETECTIONS, pid).get("properties", {})
        except NotFoundError:  # the product may not be catalogued (e.g. external detections)
            continue
        params = props.get("yvy:params") or {}
        detector = {"product": pid, "index": props.get("yvy:index") or index,
                    "history_start": (props.get("yvy:history_start") or "")[:10] or None,
                    "monitor_start": (props.get("yvy:monitor_start") or "")[:10] or None,
                    "h": params.get("h", 0.25), "level": params.get("level", 0.05), "params": params}
    method = {"scenes": len(items), "sensors": sensors, "first": dates[0] if dates else None,
              "last": dates[-1] if dates else None, "detector": detector}
    return method, detector["monitor_start"] if detector else None


DRONE_PAD_M = 30.0
"""Margin around the alert in drone chips (metres): the orthomosaic's detail, not the landscape."""


def _drone_chips(catalog, alert: Alert, out: Path, images: dict, tr) -> list[dict]:
    """True-colour chips of the (at most two newest) drone orthomosaics over the alert."""
    from ._evidence_figures import save_chip, stretch, stretch_limits

    items = catalog.search_items(ItemQuery(collections=["drone"], intersects=mapping(alert.geometry)))
    items = sorted(items, key=lambda it: it["properties"].get("datetime") or "", reverse=True)[:2]
    done = []
    for it in items:
        when = (it["properties"].get("datetime") or "")[:10]
        got = _chip_data(it, alert, (keys.RED, keys.GREEN, keys.BLUE), DRONE_PAD_M)
        if got is None:
            continue
        rgb, rings, res = got
        path = out / f"chip_drone_{it['id']}.png"
        day = tr.date(date.fromisoformat(when)) if when else "-"
        title = tr.gettext("Drone orthomosaic of {date}").format(date=day)
        save_chip(stretch(rgb, stretch_limits([rgb])), rings, res, path, title)
        images.setdefault("drone", str(path))
        done.append({"id": it["id"], "datetime": it["properties"].get("datetime"), "chip": path.name})
    return done


def build_evidence(alert_store, catalog, alert_id: str, out_dir: str | Path, *, index: str = "ndvi",
                   max_cloud: float = 30.0, pad_m: float = 300.0, signer=None, lang: str | None = None,
                   profile: str | None = None) -> dict:
    """Write the evidence package of ``alert_id`` to ``out_dir``; return the manifest dict.

    The report is written in ``lang`` (a locale name; default Spanish). ``signer``, when given, is
    called with the path of ``manifest.json`` once it is written and writes its detached signature
    (``manifest.json.sig``, see :mod:`yvy.security.signing`).
    """
    import matplotlib

    matplotlib.use("Agg")
    from ..i18n import translator
    from ._evidence_figures import locator_map
    from ._evidence_report import coordinates, write_report
    from .model import summary

    tr = translator(lang)
    alert = alert_store.get_alert(alert_id)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    warnings: list[str] = []
    query = ItemQuery(intersects=mapping(alert.geometry.buffer(0.001)))
    items = [it for it in catalog.search_items(query)
             if find_band(it, keys.RED) is not None and find_band(it, keys.NIR) is not None]
    rows = index_series(items, alert.geometry, index)
    by_id = {it["id"]: it for it in items}
    clear_rows = [r for r in rows if r["cloud_cover"] is None or r["cloud_cover"] <= max_cloud] or rows
    picks = {"before": _pick(clear_rows, True, alert.first_detected, alert.last_clear),
             "after": _pick(clear_rows, False, alert.first_detected, None)}
    for side, row in picks.items():
        if row is None:
            warnings.append(tr.gettext("no clear scene before the break covers the alert") if side == "before"
                            else tr.gettext("no clear scene after the break covers the alert"))
    images: dict[str, str] = {}
    _chips(by_id, picks, alert, out, pad_m, tr, images, warnings)
    drone = _drone_chips(catalog, alert, out, images, tr)
    method, monitor_start = _method(items, rows, catalog, alert, index)
    images["series"] = str(out / "timeseries.png")
    _series_figure(rows, alert, index, Path(images["series"]), monitor_start, tr)
    images["locator"] = str(out / "locator.png")
    features = alert_store.context_features(kinds=["admin", "protected_area", "border_zone"])
    locator_map(alert.geometry, features, tr, tr.area_ha(alert.area_ha, 2), Path(images["locator"]))
    chain = verify_chain(alert_store.iter_audit())
    attrs = {
        "generated": now_iso(), "language": tr.lang, "profile": profile,
        "feature": to_feature(alert), "summary": summary(alert), "context": alert.context, "legal": alert.legal,
        "coordinates": coordinates(alert.geometry, tr), "method": method,
        "reviews": alert_store.reviews(alert_id), "merges": alert_store.merges(alert_id),
        "audit": {"ok": chain.ok, "head": chain.head, "entries": [
            {"seq": e.seq, "at": e.at, "actor": e.actor, "action": e.action, "payload": e.payload, "hash": e.hash}
            for e in alert_store.iter_audit(alert_id)]},
        "scenes": {**picks, "series": rows}, "drone": drone, "custody": _custody(catalog, items),
    }
    attrs["field_reports"] = evidence_reports(alert_store, alert_id, out, images)
    _write_json(out / "attributes.json", attrs)
    _write_json(out / "alert.geojson", to_feature(alert))
    _write_custody_csv(out / "custody.csv", attrs["custody"])
    write_report(out / "report.pdf", alert, attrs, images, warnings, tr)
    written = {out / "attributes.json", out / "alert.geojson", out / "custody.csv", out / "report.pdf",
               *(Path(i) for i in images.values()), *(out / d["chip"] for d in drone)}
    files = sorted(written)
    manifest = {
        "alert_id": alert_id, "generated": attrs["generated"], "yvy_version": __version__,
        "audit_head": chain.head, "algorithm": "sha256",
        "files": [{"path": p.name, "bytes": p.stat().st_size, "sha256": sha256_file(p)} for p in files],
        "warnings": warnings,
    }
    (out / "manifest.json.sig").unlink(missing_ok=True)  # a signature of an older manifest would mislead
    _write_json(out / "manifest.json", manifest)
    if signer is not None:
        signer(out / "manifest.json")
    emit("evidence", target=alert_id, reason=f"{len(files)} files, {'signed' if signer else 'unsigned'}",
         folder=str(out))
    return manifest


def _write_custody_csv(path: Path, custody: list[dict]) -> None:
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["scene_id", "collection", "date", "platform", "ingested", "band", "sha256"])
    for s in custody:
        for band, digest in (s["checksums"] or {"": None}).items():
            w.writerow([s["id"], s["collection"], s["date"], s["platform"] or "", s["ingested"] or "", band,
                        digest or ""])
    with atomic_path(path) as tmp:
        tmp.write_text(buf.getvalue(), encoding="utf-8")


def _write_json(path: Path, doc) -> None:
    def default(o):
        if isinstance(o, float) and not math.isfinite(o):
            return None
        if hasattr(o, "__geo_interface__"):
            return mapping(o)
        return str(o)

    text = json.dumps(_finite(doc), ensure_ascii=False, indent=1, default=default)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def _finite(o):
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, dict):
        return {k: _finite(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_finite(v) for v in o]
    return o

