"""Evidence package of one alert: image chips before/after, index time series, locator map,
attributes with legal context and audit trail, a PDF report, and a SHA-256 manifest.

Scenes come from the catalog (:class:`~yvy.catalog.ports.CatalogStore`): items whose footprint
intersects the alert and that carry red and NIR bands (found by ``eo:bands`` /
``bands`` common names or Earth Search asset keys). The "best clear" scene on each side of the
break is the one with the most clear pixels over the alert (scene classification / QA masks
when the item has them, nodata otherwise), then the lowest cloud cover, then the closest date.

Imports rasterio, numpy, shapely, matplotlib (Agg) and fpdf2; never storage or cli.
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
from ..io import atomic_path, sha256_file
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


def _stretch(rgb: np.ndarray) -> np.ndarray:
    out = np.zeros_like(rgb)
    for i in range(3):
        ch = rgb[..., i]
        ok = np.isfinite(ch)
        if not ok.any():
            continue
        lo, hi = np.percentile(ch[ok], [2, 98])
        out[..., i] = np.clip((ch - lo) / (hi - lo if hi > lo else 1.0), 0, 1)
    out[~np.isfinite(rgb).all(axis=-1)] = 0
    return out


def _chip(item: dict, alert: Alert, bands: tuple[str, str, str], path: Path, title: str, pad: float) -> bool:
    import matplotlib.pyplot as plt

    found = [find_band(item, b) for b in bands]
    if any(b is None for b in found):
        return False
    layers = [_read(b, alert.geometry, pad) for b in found]
    shapes = {arr.shape for arr, _, _ in layers}
    if len(shapes) != 1:
        return False
    _, tr, crs = layers[0]
    rgb = _stretch(np.dstack([arr for arr, _, _ in layers]))
    fig, ax = plt.subplots(figsize=(4.2, 4.2))
    ax.imshow(rgb, interpolation="nearest")
    g = _geo.reproject(alert.geometry, _geo.WGS84, crs)
    inv = ~tr
    for poly in getattr(g, "geoms", [g]):
        for ring in [poly.exterior, *poly.interiors]:
            xs = [inv.a * x + inv.b * y + inv.c for x, y in ring.coords]
            ys = [inv.d * x + inv.e * y + inv.f for x, y in ring.coords]
            ax.plot(np.array(xs) - 0.5, np.array(ys) - 0.5, color="yellow", lw=1.2)
    ax.set_title(title, fontsize=8)
    ax.set_axis_off()
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)
    return True


def _plot_series(rows: list[dict], alert: Alert, index: str, path: Path, monitor_start: str | None) -> None:
    import matplotlib.pyplot as plt

    pts = [(date.fromisoformat(r["date"]), r["value"]) for r in rows if math.isfinite(r["value"])
           and r["clear_fraction"] >= 0.5]
    fig, ax = plt.subplots(figsize=(8, 3.4))
    brk = date.fromisoformat(alert.first_detected)
    hist_end = date.fromisoformat(monitor_start) if monitor_start else brk
    if pts:
        d, v = zip(*pts, strict=True)
        t = np.array([x.year + (x.timetuple().tm_yday - 1) / 365.0 for x in d])
        v = np.array(v)
        ax.plot(d, v, "o", ms=3, color="#1b6e3a", label=f"{index.upper()} (mean over alert, clear scenes)")
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
            ax.plot(dd, design(tt) @ coef, "-", color="#555555", lw=1, label="history model (trend + season)")
    ax.axvspan(hist_end, max([brk, *(p[0] for p in pts)]) if pts else brk, color="#f2d0a4", alpha=0.35,
               label="monitoring period")
    ax.axvline(brk, color="#b5451b", lw=1.5, label=f"first detection {alert.first_detected}")
    if alert.last_clear:
        ax.axvline(date.fromisoformat(alert.last_clear), color="#b5451b", lw=1, ls=":",
                   label=f"last clear {alert.last_clear}")
    import matplotlib.dates as mdates

    loc = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))
    ax.set_ylabel(index.upper())
    ax.set_title(f"{alert.id}: {index.upper()} time series", fontsize=10)
    ax.legend(fontsize=7, loc="lower left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)


def _locator(alert: Alert, features, path: Path) -> None:
    import matplotlib.pyplot as plt

    fig, (ax, zoom) = plt.subplots(1, 2, figsize=(8, 4))
    c = alert.geometry.representative_point()
    admin = [f for f in features if f.kind == "admin"]
    for f in admin:
        for poly in getattr(f.geometry, "geoms", [f.geometry]):
            if poly.geom_type == "Polygon":
                ax.plot(*poly.exterior.xy, color="#777777", lw=0.5)
    for f in features:
        if f.kind == "protected_area":
            for poly in getattr(f.geometry, "geoms", [f.geometry]):
                if poly.geom_type == "Polygon":
                    ax.fill(*poly.exterior.xy, color="#4c9a2a", alpha=0.3, lw=0)
    ax.plot(c.x, c.y, marker="*", color="red", ms=12)
    if not admin:
        ax.set_xlim(c.x - 1, c.x + 1)
        ax.set_ylim(c.y - 1, c.y + 1)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_title("location", fontsize=9)
    for poly in getattr(alert.geometry, "geoms", [alert.geometry]):
        zoom.fill(*poly.exterior.xy, color="#b5451b", alpha=0.5)
        zoom.plot(*poly.exterior.xy, color="#b5451b", lw=1)
        for ring in poly.interiors:
            zoom.fill(*ring.xy, color="white")
    minx, miny, maxx, maxy = alert.geometry.buffer(0.002).bounds
    zoom.set_xlim(minx, maxx)
    zoom.set_ylim(miny, maxy)
    zoom.set_aspect(1 / math.cos(math.radians(c.y)))
    zoom.set_title(f"{alert.id} ({alert.area_ha:.2f} ha)", fontsize=9)
    zoom.tick_params(labelsize=6)
    ax.tick_params(labelsize=6)
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)


def _pdf(out: Path, alert: Alert, attrs: dict, images: list[tuple[str, str]], warnings: list[str]) -> None:
    from .._pdf import latin1 as txt
    from .._pdf import start_pdf

    pdf = start_pdf(f"Deforestation alert {alert.id}", f"Evidence package generated {attrs['generated']}")
    pdf.ln(2)
    rows = [(k, v) for k, v in attrs["summary"].items() if v not in (None, "")]
    legal = alert.legal or {}
    rows += [("legal law", legal.get("law")), ("legal text", legal.get("text")),
             ("audit log head", attrs["audit"]["head"]), ("audit log verified", attrs["audit"]["ok"])]
    pdf.set_font("Helvetica", "", 8)
    for k, v in rows:
        if v in (None, ""):
            continue
        pdf.set_font("Helvetica", "B", 8)
        pdf.cell(45, 5, txt(k))
        pdf.set_font("Helvetica", "", 8)
        pdf.multi_cell(0, 5, txt(v), new_x="LMARGIN", new_y="NEXT")
    if attrs["reviews"]:
        pdf.ln(2)
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(0, 6, "Review history", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 8)
        for r in attrs["reviews"]:
            extra = f" - {r['authority']} case {r['case']}" if r.get("authority") else ""
            pdf.multi_cell(0, 5, txt(f"{r['at']}  {r['by']}: {r['from']} -> {r['to']}  {r.get('reason') or ''} "
                                     f"{r.get('note') or ''}{extra}"), new_x="LMARGIN", new_y="NEXT")
    for w in warnings:
        pdf.set_font("Helvetica", "I", 8)
        pdf.multi_cell(0, 5, txt(f"Note: {w}"), new_x="LMARGIN", new_y="NEXT")
    for title, img in images:
        pdf.add_page() if pdf.get_y() > 170 else pdf.ln(3)
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(0, 6, txt(title), new_x="LMARGIN", new_y="NEXT")
        pdf.image(img, w=120 if "chip" in Path(img).name else 180)
    with atomic_path(out, suffix=".pdf") as tmp:
        pdf.output(str(tmp))


DRONE_PAD_M = 30.0
"""Margin around the alert in drone chips (metres): the orthomosaic's detail, not the landscape."""


def _drone_chips(catalog, alert: Alert, out: Path, images: list) -> list[dict]:
    """True-colour chips of the (at most two newest) drone orthomosaics over the alert."""
    items = catalog.search_items(ItemQuery(collections=["drone"], intersects=mapping(alert.geometry)))
    items = sorted(items, key=lambda it: it["properties"].get("datetime") or "", reverse=True)[:2]
    done = []
    for it in items:
        date = (it["properties"].get("datetime") or "")[:10]
        path = out / f"chip_drone_{it['id']}.png"
        if _chip(it, alert, ("red", "green", "blue"), path, f"drone: {date} {it['id']}", DRONE_PAD_M):
            images.append((f"Drone orthomosaic {date} {it['id']}", str(path)))
            done.append({"id": it["id"], "datetime": it["properties"].get("datetime"), "chip": path.name})
    return done


def build_evidence(alert_store, catalog, alert_id: str, out_dir: str | Path, *, index: str = "ndvi",
                   max_cloud: float = 30.0, pad_m: float = 300.0, signer=None) -> dict:
    """Write the evidence package of ``alert_id`` to ``out_dir``; return the manifest dict.

    ``signer``, when given, is called with the path of ``manifest.json`` once it is written and
    writes its detached signature (``manifest.json.sig``, see :mod:`yvy.security.signing`).
    """
    import matplotlib

    matplotlib.use("Agg")
    from .model import summary

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
    before = _pick(clear_rows, True, alert.first_detected, alert.last_clear)
    after = _pick(clear_rows, False, alert.first_detected, None)
    images: list[tuple[str, str]] = []
    for side, row in (("before", before), ("after", after)):
        if row is None:
            warnings.append(f"no clear scene {side} the break covers the alert")
            continue
        it = by_id[row["id"]]
        tc = out / f"chip_{side}_true_colour.png"
        title = f"{side}: {row['date']} {row['id']} (true colour)"
        if _chip(it, alert, (keys.RED, keys.GREEN, keys.BLUE), tc, title, pad_m):
            images.append((f"{side.capitalize()} {row['date']} - true colour", str(tc)))
        fc = out / f"chip_{side}_false_colour.png"
        combo = (keys.SWIR16, keys.NIR, keys.RED) if find_band(it, keys.SWIR16) else (keys.NIR, keys.RED, keys.GREEN)
        if _chip(it, alert, combo, fc, f"{side}: {row['date']} ({'/'.join(combo)})", pad_m):
            images.append((f"{side.capitalize()} {row['date']} - false colour ({'/'.join(combo)})", str(fc)))
        else:
            warnings.append(f"scene {row['id']} lacks the bands for a false-colour chip")
    drone = _drone_chips(catalog, alert, out, images)
    monitor_start = None
    for pid in alert.products:
        try:
            det = catalog.get_item(DETECTIONS, pid)
            monitor_start = (det.get("properties", {}).get("yvy:monitor_start") or "")[:10] or None
        except NotFoundError:  # the product may not be catalogued (e.g. external detections)
            pass
    ts = out / "timeseries.png"
    _plot_series(rows, alert, index, ts, monitor_start)
    images.append((f"{index.upper()} time series at the alert", str(ts)))
    loc = out / "locator.png"
    features = alert_store.context_features(kinds=["admin", "protected_area"])
    _locator(alert, features, loc)
    images.insert(0, ("Location", str(loc)))
    chain = verify_chain(alert_store.iter_audit())
    attrs = {
        "generated": now_iso(),
        "feature": to_feature(alert), "summary": summary(alert), "context": alert.context, "legal": alert.legal,
        "reviews": alert_store.reviews(alert_id), "merges": alert_store.merges(alert_id),
        "audit": {"ok": chain.ok, "head": chain.head, "entries": [
            {"seq": e.seq, "at": e.at, "actor": e.actor, "action": e.action, "payload": e.payload, "hash": e.hash}
            for e in alert_store.iter_audit(alert_id)]},
        "scenes": {"before": before, "after": after, "series": rows}, "drone": drone,
    }
    attrs["field_reports"] = evidence_reports(alert_store, alert_id, out, images)
    _write_json(out / "attributes.json", attrs)
    _write_json(out / "alert.geojson", to_feature(alert))
    _pdf(out / "report.pdf", alert, attrs, images, warnings)
    written = {out / "attributes.json", out / "alert.geojson", out / "report.pdf", *(Path(i) for _, i in images)}
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

