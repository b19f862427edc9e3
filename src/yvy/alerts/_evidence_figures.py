"""The figures of an evidence report: image chips with one percentile stretch, the index time series
and the locator map (departments, borders, protected areas, scale bars, no axes ticks).

Every label goes through the report's :class:`~yvy.i18n.Translator`. Imports numpy, shapely,
matplotlib (Agg, lazily) and yvy helpers; never storage, cli or the rest of the evidence module.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np

from ..io import atomic_path
from . import _geo

__all__ = ["STRETCH_GAMMA", "STRETCH_PERCENTILES", "locator_map", "save_chip", "series_plot", "stretch",
           "stretch_limits"]

STRETCH_PERCENTILES = (2.0, 98.0)
"""Percentiles of the pooled chip values (before and after together) mapped to black and white."""
STRETCH_GAMMA = 0.6
"""Gamma applied after the linear stretch: lifts dark forest canopy without clipping bare soil."""
DPI = 150


def stretch_limits(chips: list[np.ndarray]) -> np.ndarray:
    """Per-channel (lo, hi) of the pooled finite values of several H x W x 3 chips (shape 3 x 2).

    One set of limits for every date keeps the chips comparable: a clearing looks brighter after,
    not because each chip was stretched on its own.
    """
    limits = np.zeros((3, 2))
    for c in range(3):
        vals = np.concatenate([ch[..., c][np.isfinite(ch[..., c])] for ch in chips]) if chips else np.zeros(0)
        if vals.size == 0:
            limits[c] = (0.0, 1.0)
            continue
        lo, hi = np.percentile(vals, STRETCH_PERCENTILES)
        limits[c] = (lo, hi if hi > lo else lo + 1e-6)
    return limits


def stretch(rgb: np.ndarray, limits: np.ndarray) -> np.ndarray:
    """An H x W x 4 RGBA image: linear stretch to ``limits``, gamma, transparent where any band is missing."""
    out = np.zeros(rgb.shape[:2] + (4,))
    for c in range(3):
        lo, hi = limits[c]
        out[..., c] = np.clip((rgb[..., c] - lo) / (hi - lo), 0, 1) ** STRETCH_GAMMA
    ok = np.isfinite(rgb).all(axis=-1)
    out[..., :3] = np.where(ok[..., None], np.nan_to_num(out[..., :3]), 1.0)
    out[..., 3] = 1.0
    return out


def _save(fig, path: Path) -> None:
    import matplotlib.pyplot as plt

    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=DPI, format="png", bbox_inches="tight", pad_inches=0.05)
    plt.close(fig)


def save_chip(rgba: np.ndarray, rings_px: list[np.ndarray], metres_per_px: float, path: Path, title: str) -> None:
    """One chip PNG: the stretched image, the alert outline (yellow) and a scale bar in metres."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.2, 4.4))
    ax.imshow(rgba, interpolation="nearest")
    for ring in rings_px:
        ax.plot(ring[:, 0] - 0.5, ring[:, 1] - 0.5, color="yellow", lw=1.4)
    h, w = rgba.shape[:2]
    _scale_bar(ax, metres_per_px, (0, w), (h, 0), colour="white")
    ax.set_title(title, fontsize=8)
    ax.set_axis_off()
    fig.tight_layout()
    _save(fig, path)


def _nice(length: float) -> float:
    """The largest 1-2-5 x 10^n not above ``length``."""
    if length <= 0:
        return 0.0
    e = 10 ** math.floor(math.log10(length))
    return max(m * e for m in (1, 2, 5) if m * e <= length)


def _scale_bar(ax, metres_per_unit: float, xlim, ylim, colour: str = "black") -> None:
    """A scale bar of a round length (about a quarter of the width) in the lower-left corner."""
    width_m = abs(xlim[1] - xlim[0]) * metres_per_unit
    bar_m = _nice(width_m / 4)
    if bar_m <= 0:
        return
    x0 = xlim[0] + 0.05 * (xlim[1] - xlim[0])
    y0 = ylim[0] + 0.06 * (ylim[1] - ylim[0])
    x1 = x0 + bar_m / metres_per_unit
    ax.plot([x0, x1], [y0, y0], color=colour, lw=3, solid_capstyle="butt")
    ax.plot([x0, x1], [y0, y0], color="black" if colour == "white" else "white", lw=1, solid_capstyle="butt")
    label = f"{bar_m / 1000:g} km" if bar_m >= 1000 else f"{bar_m:g} m"
    ax.text((x0 + x1) / 2, y0 + 0.025 * (ylim[1] - ylim[0]), label, ha="center", va="bottom", fontsize=7,
            color=colour, fontweight="bold")


def series_plot(points: list[tuple[date, float]], fit: tuple[list[date], np.ndarray] | None, *, brk: date,
                hist_end: date, last_clear: date | None, index: str, tr, path: Path) -> None:
    """The index time series with the history model, the monitoring period and the detection date."""
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    _ = tr.gettext
    fig, ax = plt.subplots(figsize=(8, 3.4))
    if points:
        d, v = zip(*points, strict=True)
        ax.plot(d, v, "o", ms=3, color="#1b6e3a",
                label=_("{index} (mean over the alert, clear scenes)").format(index=index.upper()))
    if fit is not None:
        ax.plot(fit[0], fit[1], "-", color="#555555", lw=1, label=_("history model (trend + season)"))
    end = max([brk, *(p[0] for p in points)])
    ax.axvspan(hist_end, end, color="#f2d0a4", alpha=0.35, label=_("monitoring period"))
    ax.axvline(brk, color="#b5451b", lw=1.5, label=_("first detection {date}").format(date=tr.date(brk)))
    if last_clear is not None:
        ax.axvline(last_clear, color="#b5451b", lw=1, ls=":",
                   label=_("last clear view {date}").format(date=tr.date(last_clear)))
    ax.xaxis.set_major_locator(mdates.AutoDateLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%m/%Y"))
    ax.ticklabel_format(axis="y", style="plain", useOffset=False)
    ax.set_ylabel(index.upper())
    ax.legend(fontsize=7, loc="lower left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    _save(fig, path)


def _polys(geom):
    return [g for g in getattr(geom, "geoms", [geom]) if g.geom_type == "Polygon"]


def _lines(geom):
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        geom = geom.boundary
    return [g for g in getattr(geom, "geoms", [geom]) if g.geom_type == "LineString"]


def _national(ax, alert_geom, features, tr) -> None:
    """Left panel: departments (the alert's shaded), borders, protected areas, the alert's place."""
    c = alert_geom.representative_point()
    admin = [f for f in features if f.kind == "admin"]
    for f in admin:
        home = f.geometry.intersects(alert_geom)
        for poly in _polys(f.geometry):
            ax.fill(*poly.exterior.xy, color="#f3e3c3" if home else "#f4f4f0", lw=0)
            ax.plot(*poly.exterior.xy, color="#8a8a8a", lw=0.5)
        p = f.geometry.representative_point()
        ax.text(p.x, p.y, f.name, fontsize=5, ha="center", va="center", color="#444444")
    for f in features:
        if f.kind == "protected_area":
            for poly in _polys(f.geometry):
                ax.fill(*poly.exterior.xy, color="#4c9a2a", alpha=0.45, lw=0)
        elif f.kind == "border_zone":
            for line in _lines(f.geometry):
                ax.plot(*line.xy, color="#222222", lw=1.2, ls="--")
    ax.plot(c.x, c.y, marker="o", mfc="none", mec="#c00000", ms=14, mew=1.5)
    ax.plot(c.x, c.y, marker="o", color="#c00000", ms=3)
    if admin:
        minx, miny, maxx, maxy = _bounds([f.geometry for f in admin] + [alert_geom])
    else:
        minx, miny, maxx, maxy = c.x - 1, c.y - 1, c.x + 1, c.y + 1
    pad = 0.03 * max(maxx - minx, maxy - miny)
    ax.set_xlim(minx - pad, maxx + pad)
    ax.set_ylim(miny - pad, maxy + pad)
    ax.set_aspect(1 / math.cos(math.radians(c.y)))
    _scale_bar(ax, 111_320 * math.cos(math.radians(c.y)), ax.get_xlim(), ax.get_ylim())
    _north(ax)
    ax.set_title(tr.gettext("Location in the country"), fontsize=9)


def _bounds(geoms):
    b = np.array([g.bounds for g in geoms])
    return b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()


def _north(ax) -> None:
    ax.annotate("N", xy=(0.94, 0.95), xytext=(0.94, 0.84), xycoords="axes fraction", ha="center", fontsize=8,
                fontweight="bold", arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.2})


def _zoom(ax, alert_geom, features, tr, area: str) -> None:
    """Right panel: the alert polygon in UTM metres with nearby boundaries and a scale bar."""
    c = alert_geom.representative_point()
    crs, zone = _geo.utm_crs(c.x, c.y)
    g = _geo.reproject(alert_geom, _geo.WGS84, crs)
    minx, miny, maxx, maxy = g.buffer(max(200.0, 0.6 * math.sqrt(g.area))).bounds
    side = max(maxx - minx, maxy - miny)
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    view = _geo.reproject(_box(cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2), crs, _geo.WGS84)
    for f in features:
        if not f.geometry.intersects(view):
            continue
        part = _geo.reproject(f.geometry.intersection(view), _geo.WGS84, crs)
        if f.kind == "protected_area":
            for poly in _polys(part):
                ax.fill(*poly.exterior.xy, color="#4c9a2a", alpha=0.35, lw=0)
        else:
            for line in _lines(part):
                ax.plot(*line.xy, color="#222222" if f.kind == "border_zone" else "#8a8a8a", lw=1, ls="--")
    for poly in _polys(g):
        ax.fill(*poly.exterior.xy, color="#b5451b", alpha=0.5, lw=0)
        ax.plot(*poly.exterior.xy, color="#b5451b", lw=1.2)
        for ring in poly.interiors:
            ax.fill(*ring.xy, color="white")
    ax.set_xlim(cx - side / 2, cx + side / 2)
    ax.set_ylim(cy - side / 2, cy + side / 2)
    ax.set_aspect("equal")
    _scale_bar(ax, 1.0, ax.get_xlim(), ax.get_ylim())
    _north(ax)
    ax.set_title(tr.gettext("The alert ({area}), UTM zone {zone}").format(area=area, zone=zone), fontsize=9)


def _box(minx, miny, maxx, maxy):
    from shapely.geometry import box

    return box(minx, miny, maxx, maxy)


def _frame(ax) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    for s in ax.spines.values():
        s.set_color("#999999")


def locator_map(alert_geom, features, tr, area: str, path: Path) -> None:
    """The locator figure: the country with departments and borders (when context layers exist) and a
    zoom on the alert, each with a scale bar and a north arrow, no coordinate ticks."""
    import matplotlib.pyplot as plt

    if features:
        fig, (ax, zoom) = plt.subplots(1, 2, figsize=(8, 4.2), gridspec_kw={"width_ratios": [1, 1]})
        _national(ax, alert_geom, features, tr)
        _frame(ax)
    else:
        fig, zoom = plt.subplots(figsize=(4.2, 4.2))
    _zoom(zoom, alert_geom, features, tr, area)
    _frame(zoom)
    fig.tight_layout()
    _save(fig, path)
