"""Forest-loss statistics from alerts: hectares and counts by month of first detection, by admin
unit and by protected area (from each alert's stored context overlay, so the hectares inside
each unit are the intersected areas, not whole alerts), as rows, CSV, JSON and a bar chart.

Pure apart from writing the outputs; matplotlib is imported only to draw.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from ..i18n import N_
from ..io import atomic_path
from .model import Alert

__all__ = ["loss_stats", "plot_stats", "write_stats_csv", "write_stats_json"]

GROUPS = ("month", "admin", "protected_area")


def loss_stats(alerts: Sequence[Alert]) -> dict[str, list[dict]]:
    """``{"month": [...], "admin": [...], "protected_area": [...]}``, rows ``{key, alerts, area_ha}``."""
    acc: dict[str, dict[str, list]] = {g: defaultdict(lambda: [0, 0.0]) for g in GROUPS}
    for a in alerts:
        m = acc["month"][a.first_detected[:7]]
        m[0] += 1
        m[1] += a.area_ha
        ctx = a.context or {}
        admin = ctx.get("admin") or []
        for x in admin:
            acc["admin"][x["name"]][0] += 1
            acc["admin"][x["name"]][1] += x["ha"]
        outside = a.area_ha - sum(x["ha"] for x in admin)
        if outside > 1e-3:  # hectares; context areas are rounded to 1e-4 ha
            acc["admin"]["(outside admin units)"][0] += 1
            acc["admin"]["(outside admin units)"][1] += outside
        for x in ctx.get("protected_areas") or []:
            acc["protected_area"][x["name"]][0] += 1
            acc["protected_area"][x["name"]][1] += x["ha"]
    out = {}
    for g in GROUPS:
        rows = [{"key": k, "alerts": v[0], "area_ha": round(v[1], 4)} for k, v in acc[g].items()]
        rows.sort(key=(lambda r: r["key"]) if g == "month" else (lambda r: (-r["area_ha"], r["key"])))
        out[g] = rows
    return out


def write_stats_csv(stats: dict, path: str | Path) -> Path:
    """One CSV: ``group, key, alerts, area_ha``."""
    with atomic_path(path) as tmp, tmp.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["group", "key", "alerts", "area_ha"])
        for g in GROUPS:
            for r in stats.get(g, []):
                w.writerow([g, r["key"], r["alerts"], r["area_ha"]])
    return Path(path)


def write_stats_json(stats: dict, path: str | Path) -> Path:
    """The stats dict as JSON."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(stats, ensure_ascii=False, indent=1), encoding="utf-8")
    return Path(path)


GROUP_TITLES = {"month": N_("by month of first detection"), "admin": N_("by admin unit"),
                "protected_area": N_("by protected area")}


def plot_stats(stats: dict, path: str | Path, *, title: str | None = None, top: int = 15,
               lang: str | None = None) -> Path:
    """Bar charts (hectares) by month, admin unit and protected area, as one PNG, labelled in ``lang``
    (a locale name; default Spanish)."""
    import matplotlib

    from ..i18n import translator

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = [g for g in GROUPS if stats.get(g)] or ["month"]
    fig, axes = plt.subplots(len(groups), 1, figsize=(10, 3.2 * len(groups)), squeeze=False)
    tr = translator(lang)
    for ax, g in zip(axes[:, 0], groups, strict=True):
        rows = stats.get(g, [])
        if g != "month":
            rows = rows[:top]
        keys = [r["key"] for r in rows]
        ax.bar(range(len(rows)), [r["area_ha"] for r in rows], color="#b5451b")
        ax.set_xticks(range(len(rows)), keys, rotation=45 if len(rows) > 6 else 0,
                      ha="right" if len(rows) > 6 else "center",
                      fontsize=8)
        ax.set_ylabel("ha")
        ax.set_title(tr.gettext(GROUP_TITLES[g]), fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(title or tr.gettext("Forest loss from alerts"))
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    return Path(path)
