"""Making an exercise from past alerts whose outcome analysts decided: confirmed alerts are real
clearings; dismissed ones are traps of the kind their dismissal reason names (seasonality and
agriculture: seasonal; cloud_shadow; fire), or permit cases when the alert lies inside an
approved permit. Alerts dismissed for another reason (silviculture, water, other) and alerts
not yet decided are left out.

The analyst's decision is the truth: the polygon a confirmed alert had is the polygon scored by
the IoU. Imagery is read per case, a window around the alert over the scenes from a year before
its first detection to four months after (so alerts far apart cost no more than alerts close
together). Imports numpy, shapely; must not import click, fastapi, yvy.storage.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from ..alerts import _geo
from .build import Candidate, make_cases
from .imagery import read_stack
from .model import Case

__all__ = ["KIND_OF_REASON", "alert_candidates", "alert_cases", "choose"]

KIND_OF_REASON = {"seasonality": "seasonal", "agriculture": "seasonal", "cloud_shadow": "cloud_shadow",
                  "fire": "fire"}
"""Dismissal reason of an alert -> the kind of trap it makes."""
PAD_M = 200.0


def _kind(alert) -> str | None:
    status = getattr(alert.status, "value", alert.status)
    if status == "confirmed":
        return "clearing"
    if status != "dismissed":
        return None
    if alert.context.get("inside_permit"):
        return "permit"
    return KIND_OF_REASON.get((alert.review or {}).get("reason"))


def alert_candidates(alerts: Sequence) -> tuple[list[Candidate], int]:
    """(candidates, number of decided alerts left out) from alerts."""
    out, skipped = [], 0
    for a in alerts:
        kind = _kind(a)
        if kind is None:
            skipped += getattr(a.status, "value", a.status) in ("confirmed", "dismissed")
            continue
        note = {"alert": a.id}
        if kind == "permit":
            note["permit"] = "; ".join(p.get("name", "?") for p in a.context.get("permits", [])) or "?"
        truth = a.geometry if kind in ("clearing", "permit") else None
        out.append(Candidate(kind, a.geometry, truth, a.first_detected[:10], f"alert {a.id}", note))
    return out, skipped


def _window(geom) -> tuple[float, float, float, float]:
    """WGS84 bounds of the geometry padded by :data:`PAD_M` metres."""
    g = _geo.reproject(geom, _geo.WGS84, "EPSG:6933").buffer(PAD_M)
    return _geo.reproject(g, "EPSG:6933", _geo.WGS84).bounds


def alert_cases(cands: list[Candidate], items_for: Callable[[object, str, str], list[dict]], out_dir: Path, *,
                context: Sequence = (), progress: Callable | None = None) -> list[Case]:
    """Cases from candidates, each with its own imagery window; ``items_for(geometry, start, end)``
    returns the catalog items over a geometry between two ISO dates."""
    cases = []
    for k, c in enumerate(cands):
        day = date.fromisoformat(c.truth_date)
        items = items_for(c.geometry, (day - timedelta(days=365)).isoformat(), (day + timedelta(days=120)).isoformat())
        stack = read_stack(items, _window(c.geometry))
        cases += make_cases([c], stack, out_dir, context=context, first=k + 1)
        if progress is not None:
            progress(k + 1, len(cands), c.source)
    return cases


def choose(cands: list[Candidate], n_cases: int, seed: int) -> list[Candidate]:
    """At most ``n_cases`` candidates in a seeded random order."""
    rng = np.random.default_rng(seed)
    return [cands[i] for i in rng.permutation(len(cands))[:n_cases]]
