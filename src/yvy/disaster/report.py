"""Event reports: one PDF (map, areas by department and protected area, timeline) and one
GeoPackage (the event's layers) for a fire event, a flood map or a burn-severity map.

An :class:`EventReport` is built from stored or written products (:func:`fire_report`,
:func:`flood_report`, :func:`burn_report`) with English labels (the catalogs' message ids) and
rendered by :func:`write_report` in a language (``es`` by default, es_PY numbers).

Imports matplotlib (Agg), fpdf2, geopandas, shapely, rasterio; never click or storage.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import shapely

from ..errors import InputError
from ..i18n import N_, translator
from ._context import area_tables, raster_polygons

__all__ = ["EventReport", "burn_report", "fire_report", "flood_report", "write_report"]

WORDS = {"fire_event": N_("fire event"), "hotspots": N_("hotspots"), "water": N_("water"), "flood": N_("flood"),
         "burn_scars": N_("burn scars"), "burning area": N_("burning area"), "unburned": N_("unburned"),
         "low": N_("low"), "moderate-low": N_("moderate-low"), "moderate-high": N_("moderate-high"),
         "high": N_("high"), "regrowth": N_("regrowth")}
"""Words of layer names, area-table columns and burn severity classes, in the catalogs."""


@dataclass
class EventReport:
    """What a report shows: title, facts, area tables, layers and a timeline (English labels, translated
    when written; a fact's value is text, or a number shown with one decimal in the report's language)."""

    kind: str
    title: str
    """English title with a ``{subject}`` placeholder."""
    subject: str
    facts: list[tuple[str, str | float]]
    layers: dict = field(default_factory=dict)
    """GeoPackage layer name -> (list of shapely geometries, list of property dicts)."""
    by_department: dict = field(default_factory=dict)
    by_protected_area: dict = field(default_factory=dict)
    timeline: list[tuple[str, float]] = field(default_factory=list)
    """(ISO time, value) points: hotspots per pass, FRP..."""
    timeline_label: str = ""


def fire_report(event: dict, hotspots) -> EventReport:
    """Report of one stored fire event (:meth:`yvy.storage.fires.SQLFireStore.get_event`) and its
    hotspots (a DataFrame)."""
    ctx = event.get("context") or {}
    geom = shapely.geometry.shape(event["geometry"])
    pts = [shapely.Point(x, y) for x, y in zip(hotspots["longitude"], hotspots["latitude"], strict=True)]
    props = hotspots[["sensor", "satellite", "acquired", "confidence", "frp"]].to_dict("records")
    passes = hotspots.groupby("acquired")["frp"].agg(["count", "sum"]).reset_index()
    facts = [(N_("event"), event["id"]), (N_("start"), event["start"]), (N_("last seen"), event["last_seen"]),
             (N_("hotspots"), str(event["hotspots"])), (N_("FRP sum (MW)"), float(event["frp_sum"])),
             (N_("sensors"), ", ".join(event["sensors"])),
             (N_("distance to border (km)"), "-" if ctx.get("border_km") is None else float(ctx["border_km"]))]
    return EventReport(
        "fire", N_("Fire event {subject}"), event["id"], facts,
        layers={"fire_event": ([geom], [{k: v for k, v in event.items() if k not in ("geometry", "context", "bbox")}
                                         | {"sensors": ",".join(event["sensors"])}]),
                "hotspots": (pts, props)},
        by_department={a["name"]: {"burning area": a["ha"]} for a in ctx.get("admin", [])},
        by_protected_area={a["name"]: {"burning area": a["ha"]} for a in ctx.get("protected_areas", [])},
        timeline=[(str(r.acquired), float(r.count)) for r in passes.itertuples()],
        timeline_label=N_("hotspots per pass"))


def flood_report(out_dir, context=()) -> EventReport:
    """Report of a ``yvy flood map`` output folder (flood.tif if present, else water.tif)."""
    d = Path(out_dir)
    summary = _load_json(d / "water.json")
    raster = d / "flood.tif" if (d / "flood.tif").exists() else d / "water.tif"
    geoms, props = raster_polygons(raster)
    what = "flood" if raster.name == "flood.tif" else "water"
    t = summary["thresholds"]["vh_db"]
    facts = [(N_("product"), str(raster)),
             (f"{WORDS[what]} (ha)", float(summary["hectares"].get(what, 0))),
             (N_("VH threshold (dB)"), f"{t['value']} ({t['method']}, {t['tiles_selected']}/{t['tiles_total']})"),
             (N_("optical clear fraction"), str(summary.get("optical_clear_fraction")))]
    dept, pas = area_tables(geoms, context, what)
    return EventReport("flood", N_("Flood extent: {subject}"), d.name, facts, layers={what: (geoms, props)},
                       by_department=dept, by_protected_area=pas)


def burn_report(out_dir) -> EventReport:
    """Report of a ``yvy burn map`` output folder."""
    d = Path(out_dir)
    summary = _load_json(d / "burn.json")
    gj = _load_json(d / "burn_scars.geojson")
    geoms = [shapely.geometry.shape(f["geometry"]) for f in gj["features"]]
    props = [{k: (", ".join(v) if isinstance(v, list) else v) for k, v in f["properties"].items()}
             for f in gj["features"]]
    facts = [(N_("burn scars"), str(len(summary["scars"])))] + [
        (f"{WORDS.get(k, k)} (ha)", float(v)) for k, v in summary["hectares"].items()]
    facts.append((N_("alerts given fire context"), ", ".join(summary["alerts_linked"]) or "-"))
    return EventReport("burn", N_("Burn severity: {subject}"), d.name, facts, layers={"burn_scars": (geoms, props)},
                       by_department=summary["by_department"], by_protected_area=summary["by_protected_area"])


def _load_json(path: Path) -> dict:
    if not path.exists():
        raise InputError(path.parent, f"no {path.name} here; is this the output folder of yvy flood/burn map?")
    return json.loads(path.read_text())


def write_report(report: EventReport, out_dir, *, context=(), lang: str = "es") -> dict:
    """Write ``<kind>_report.pdf`` (in ``lang``: es, en or gn) and ``<kind>_report.gpkg`` to ``out_dir``;
    return their paths."""
    import matplotlib

    matplotlib.use("Agg")
    tr = translator(lang)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pdf, gpkg = out / f"{report.kind}_report.pdf", out / f"{report.kind}_report.gpkg"
    images = [(tr.gettext("Map"), _map(report, context, out / f"{report.kind}_map.png", tr))]
    if report.timeline:
        images.append((tr.gettext("Timeline: {what}").format(what=tr.gettext(report.timeline_label)),
                       _timeline(report, out / f"{report.kind}_timeline.png", tr)))
    _write_gpkg(report, gpkg)
    _write_pdf(report, images, pdf, tr)
    return {"pdf": str(pdf), "gpkg": str(gpkg)}


def _title(report: EventReport, tr) -> str:
    return tr.gettext(report.title).format(subject=report.subject)


def _map(report: EventReport, context, path: Path, tr) -> str:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 6), dpi=110)
    allg = [g for geoms, _ in report.layers.values() for g in geoms]
    box = shapely.box(*shapely.union_all(allg).bounds).buffer(0.02, join_style="mitre") if allg else None
    for f in context:
        if box is not None and f.geometry.intersects(box) and f.kind in ("admin", "protected_area"):
            _draw(ax, f.geometry.boundary.intersection(box), edge="#666" if f.kind == "admin" else "#1a7f37",
                  face="none")
    colors = {"fire_event": "#d62728", "water": "#1f77b4", "flood": "#1f77b4", "burn_scars": "#8c2d04"}
    for name, (geoms, _) in report.layers.items():
        if name == "hotspots":
            ax.scatter([g.x for g in geoms], [g.y for g in geoms], s=8, c="#ff7f0e", label=tr.gettext(WORDS[name]),
                       zorder=3)
        else:
            for g in geoms:
                _draw(ax, g, edge=colors.get(name, "k"), face=colors.get(name, "k"), alpha=0.45)
            ax.plot([], [], color=colors.get(name, "k"), lw=6, alpha=0.45,
                    label=tr.gettext(WORDS.get(name, name.replace("_", " "))))
    if box is not None:
        minx, miny, maxx, maxy = box.bounds
        ax.set_xlim(minx, maxx)
        ax.set_ylim(miny, maxy)
    ax.set_aspect(1 / max(np.cos(np.radians(ax.get_ylim()[0])), 0.1))
    ax.set_xlabel(tr.gettext("longitude"))
    ax.set_ylabel(tr.gettext("latitude"))
    ax.legend(loc="upper right", fontsize=8)
    ax.set_title(_title(report, tr), fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return str(path)


def _draw(ax, geom, *, edge, face, alpha=1.0) -> None:
    for part in getattr(geom, "geoms", [geom]):
        if part.geom_type == "Polygon":
            x, y = part.exterior.xy
            ax.fill(x, y, facecolor=face, edgecolor=edge, alpha=alpha if face != "none" else 1.0, lw=0.8)
        elif part.geom_type in ("LineString", "LinearRing"):
            ax.plot(*part.xy, color=edge, lw=0.8)
        elif hasattr(part, "geoms"):
            _draw(ax, part, edge=edge, face=face, alpha=alpha)


def _timeline(report: EventReport, path: Path, tr) -> str:
    import matplotlib.pyplot as plt

    t = [datetime.fromisoformat(a.replace("Z", "+00:00")) for a, _ in report.timeline]
    fig, ax = plt.subplots(figsize=(7, 2.6), dpi=110)
    ax.bar(t, [v for _, v in report.timeline], width=0.02, color="#d62728")
    ax.set_ylabel(tr.gettext(report.timeline_label))
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return str(path)


def _write_gpkg(report: EventReport, path: Path) -> None:
    import geopandas as gpd

    from ..io import atomic_path

    with atomic_path(path, suffix=".gpkg") as tmp:
        tmp.unlink()
        for name, (geoms, props) in report.layers.items():
            gdf = gpd.GeoDataFrame(props or [{}] * len(geoms), geometry=list(geoms), crs="EPSG:4326")
            gdf.to_file(tmp, layer=name, driver="GPKG")


def _label(text: str, tr) -> str:
    """A fact's label in ``tr``'s language (``<word of WORDS> (ha)`` translates the word)."""
    if text.endswith(" (ha)") and text[:-5] in WORDS.values():
        return f"{tr.gettext(text[:-5])} (ha)"
    return tr.gettext(text)


def _write_pdf(report: EventReport, images, path: Path, tr) -> None:
    from .._pdf import latin1 as txt
    from .._pdf import start_pdf
    from ..io import atomic_path

    _ = tr.gettext
    pdf = start_pdf(_title(report, tr), _("Generated on {when}").format(when=tr.datetime(datetime.now(UTC))), _("by"))
    for k, v in report.facts:
        pdf.set_font("Helvetica", "B", 8)
        pdf.cell(55, 5, txt(_label(k, tr)))
        pdf.set_font("Helvetica", "", 8)
        pdf.multi_cell(0, 5, txt(tr.number(v, 1) if isinstance(v, float) else v), new_x="LMARGIN", new_y="NEXT")
    for title, table in ((N_("Areas by department (ha)"), report.by_department),
                         (N_("Areas by protected area (ha)"), report.by_protected_area)):
        pdf.ln(2)
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(0, 6, txt(_(title)), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 8)
        if not table:
            pdf.cell(0, 5, txt(_("none (no such context layer, or no overlap)")), new_x="LMARGIN", new_y="NEXT")
        for name, row in sorted(table.items()):
            cells = ", ".join(f"{_(WORDS.get(k, k))} {tr.number(v, 1)}" for k, v in row.items())
            pdf.multi_cell(0, 5, txt(f"{name}: {cells}"), new_x="LMARGIN", new_y="NEXT")
    for title, img in images:
        pdf.add_page() if pdf.get_y() > 150 else pdf.ln(3)
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(0, 6, txt(title), new_x="LMARGIN", new_y="NEXT")
        pdf.image(img, w=180)
    with atomic_path(path, suffix=".pdf") as tmp:
        pdf.output(str(tmp))
