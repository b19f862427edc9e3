"""A printable patrol briefing (PDF): a map of the routes over the risk map and the target lists,
in a language of the catalogs (Spanish by default, es_PY numbers).

Imports numpy, rasterio, matplotlib (Agg) and fpdf2; never the CLI or storage.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from .._pdf import latin1
from ..errors import MissingDependencyError
from ..i18n import translator
from .plan import PatrolPlan, summary

__all__ = ["write_briefing"]


def _risk_background(ax, risk_path: str | None, plan: PatrolPlan) -> None:
    """Draw the risk raster (decimated, in WGS84) behind the routes."""
    if not risk_path:
        return
    import rasterio
    from rasterio.enums import Resampling
    from rasterio.vrt import WarpedVRT

    with rasterio.open(risk_path) as src, WarpedVRT(src, crs="EPSG:4326", resampling=Resampling.average) as vrt:
        scale = max(1, max(vrt.width, vrt.height) // 900)
        a = vrt.read(1, out_shape=(vrt.height // scale, vrt.width // scale), resampling=Resampling.average,
                     masked=True).filled(np.nan)
        b = vrt.bounds
    ax.imshow(a, extent=(b.left, b.right, b.bottom, b.top), cmap="YlOrRd", vmin=0,
              vmax=float(np.nanpercentile(a, 99)) if np.isfinite(a).any() else 1, interpolation="nearest")


def _map_png(plan: PatrolPlan, risk_path: str | None, dest: Path, tr) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 7), dpi=130)
    _risk_background(ax, risk_path, plan)
    if plan.nofly is not None and not plan.nofly.is_empty:
        for p in getattr(plan.nofly, "geoms", [plan.nofly]):
            x, y = p.exterior.xy
            ax.fill(x, y, color="grey", alpha=0.4, lw=0)
    _ = tr.gettext
    ax.scatter([t.lon for t in plan.targets], [t.lat for t in plan.targets], s=6, c="k", label=_("targets"))
    for n, f in enumerate(plan.flights, 1):
        pts = np.array([plan.lonlat(f.base), *(plan.lonlat(k) for k in f.stops), plan.lonlat(f.base)])
        ax.plot(pts[:, 0], pts[:, 1], lw=1.5,
                label=_("flight {n} ({km} km)").format(n=n, km=tr.number(f.length_m / 1000, 1)))
    ax.scatter([b.lon for b in plan.bases], [b.lat for b in plan.bases], marker="^", s=80, c="blue",
               label=_("bases"), zorder=5)
    ax.set_xlabel(_("longitude"))
    ax.set_ylabel(_("latitude"))
    ax.set_aspect(1 / np.cos(np.radians(plan.frame.lat0)))
    ax.legend(fontsize=7, loc="best")
    ax.set_title(_("Patrol routes over the deforestation risk map"))
    fig.tight_layout()
    fig.savefig(dest)
    plt.close(fig)
    return dest


def _target_note(t, tr) -> str:
    if t.kind == "risk":
        return tr.gettext("expected loss {ha}").format(ha=tr.area_ha(t.value, 2))
    return tr.gettext("deforestation alert")


def write_briefing(plan: PatrolPlan, dest: str | Path, *, risk_path: str | None = None, lang: str = "es") -> Path:
    """Write the PDF briefing of ``plan`` to ``dest`` (atomically), in ``lang`` (es, en or gn)."""
    try:
        from fpdf import FPDF
    except ImportError as exc:  # pragma: no cover - fpdf2 is a core dependency
        raise MissingDependencyError("fpdf2", "the briefing needs fpdf2; pip install fpdf2") from exc
    from ..io import atomic_path

    s = plan.settings
    tot = summary(plan)
    tr = translator(lang)
    _ = tr.gettext

    def km(metres: float) -> str:
        return tr.number(metres / 1000, 1)

    with tempfile.TemporaryDirectory() as tmp:
        png = _map_png(plan, risk_path, Path(tmp) / "map.png", tr)
        pdf = FPDF(format="A4")
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 15)
        pdf.cell(0, 9, latin1(_("Drone patrol briefing")), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 9)
        pdf.multi_cell(0, 5, latin1(_(
            "{flights} flight(s), range {range} km each, cruise {speed} m/s at {altitude} m above ground. Expected "
            "loss covered {ha} over {km} km (greedy nearest-target: {greedy_ha} over {greedy_km} km).").format(
            flights=len(plan.flights), range=km(s.range_m), speed=tr.number(s.speed_ms, 1),
            altitude=tr.number(s.altitude_m, 0), ha=tr.area_ha(tot["plan"]["value"], 2),
            km=km(tot["plan"]["length_m"]), greedy_ha=tr.area_ha(tot["greedy_nearest"]["value"], 2),
            greedy_km=km(tot["greedy_nearest"]["length_m"]))))
        pdf.image(str(png), w=180)
        for n, f in enumerate(plan.flights, 1):
            if pdf.get_y() > 230:
                pdf.add_page()
            pdf.set_font("Helvetica", "B", 11)
            minutes = (f.length_m / s.speed_ms + s.hover_s * len(f.stops)) / 60
            pdf.cell(0, 7, latin1(_("Flight {n}: drone {drone} from {base}, {km} km, {minutes} min, {ha} expected")
                                  .format(n=n, drone=f.drone + 1, base=plan.bases[f.base].name, km=km(f.length_m),
                                          minutes=tr.number(minutes, 0), ha=tr.area_ha(f.value, 2))),
                     new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", "", 8)
            for i, k in enumerate(f.stops, 1):
                lon, lat = plan.lonlat(k)
                t = plan.targets[k - len(plan.bases)]
                pdf.cell(0, 4.5, latin1(f"{i:3d}. {t.id}  {tr.number(lat, 5)}; {tr.number(lon, 5)}  "
                                        f"{_target_note(t, tr)}"), new_x="LMARGIN", new_y="NEXT")
        with atomic_path(dest, suffix=".pdf") as out:
            pdf.output(str(out))
    return Path(dest)
