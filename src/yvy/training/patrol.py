"""A patrol exercise: plan one drone flight over the hot spots of a risk map within the battery's
range, scored against the patrol planner (:func:`yvy.patrol.plan.plan_patrol`, OR-Tools).

The exercise is a JSON document (base, range, no-fly zones, the targets with their expected
hectares of loss, and the planner's flight); a trainee's answer is an ordered list of target ids.
The flight is base -> targets -> base, measured in the planner's own frame with its rule for
no-fly zones (a leg crossing one is longer than any range). A flight longer than the range
scores nothing; otherwise its value is the hectares it covers, compared with the planner's.
Imports numpy, shapely; must not import click, fastapi, yvy.storage.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import InputError
from ..patrol.plan import Base, PatrolSettings, plan_patrol
from ..patrol.solver import distance_matrix
from ..patrol.targets import Frame, risk_hotspots

__all__ = ["make_patrol_exercise", "patrol_feedback", "score_patrol"]


def make_patrol_exercise(risk_path: str, base: Base, *, range_km: float, targets: int = 20, cell_m: float = 300.0,
                         spacing_m: float = 600.0, nofly=None, solver_seconds: float = 5.0) -> dict:
    """The exercise: the ``targets`` best hot spots of the risk map reachable from ``base`` and the
    planner's flight over them."""
    spots = risk_hotspots(risk_path, cell_m=cell_m, spacing_m=spacing_m, exclude=nofly)
    if not spots:
        raise InputError(risk_path, "the risk map has no hot spot")
    settings = PatrolSettings(drones=1, range_m=range_km * 1000, solver_seconds=solver_seconds, max_targets=targets)
    plan = plan_patrol([base], spots, settings, nofly=nofly)
    if not plan.targets:
        raise InputError("range_km", "no hot spot is within reach of the base")
    flight = plan.flights[0] if plan.flights else None
    stops = [plan.targets[n - 1].id for n in flight.stops] if flight else []
    from shapely.geometry import mapping

    return {"base": {"name": base.name, "lon": base.lon, "lat": base.lat}, "range_m": settings.range_m,
            "nofly": mapping(nofly) if nofly is not None else None,
            "targets": [{"id": t.id, "lon": t.lon, "lat": t.lat, "value": round(t.value, 4)} for t in plan.targets],
            "planner": {"route": stops, "value": round(flight.value, 4) if flight else 0.0,
                        "length_m": round(flight.length_m, 1) if flight else 0.0}}


def _route_length(ex: dict, route: Sequence[str]) -> float:
    from shapely.geometry import shape

    base = ex["base"]
    frame = Frame(base["lon"], base["lat"])
    by_id = {t["id"]: t for t in ex["targets"]}
    lon = [base["lon"], *(by_id[i]["lon"] for i in route)]
    lat = [base["lat"], *(by_id[i]["lat"] for i in route)]
    points = np.column_stack(frame.xy(lon, lat))
    nofly = frame.to_local(shape(ex["nofly"])) if ex.get("nofly") else None
    d = distance_matrix(points, nofly, blocked_m=10 * ex["range_m"])
    order = [0, *range(1, len(route) + 1), 0]
    return float(sum(d[a, b] for a, b in zip(order[:-1], order[1:], strict=True)))


def score_patrol(ex: dict, route: Sequence[str]) -> dict:
    """Score a trainee's flight (ordered target ids) against the planner's."""
    by_id = {t["id"]: t for t in ex["targets"]}
    unknown = [i for i in route if i not in by_id]
    if unknown:
        raise InputError("route", f"unknown target(s) {', '.join(unknown[:5])}")
    if len(set(route)) != len(route):
        raise InputError("route", "a target is listed twice")
    length = _route_length(ex, route)
    within = length <= ex["range_m"] + 1e-6
    value = sum(by_id[i]["value"] for i in route) if within else 0.0
    best = ex["planner"]["value"]
    return {"route": list(route), "length_m": round(length, 1), "range_m": ex["range_m"], "within_range": within,
            "value": round(value, 4),
            "planner_value": best, "planner_length_m": ex["planner"]["length_m"],
            "ratio": round(value / best, 4) if best else None}


def patrol_feedback(result: dict, tr) -> str:
    """One or two sentences on a scored flight, in the translator's language."""
    km = lambda m: tr.number(m / 1000, 1)  # noqa: E731
    if not result["within_range"]:
        return tr.gettext("Beyond the battery's range: {length} km for a range of {range} km; the drone would not "
                          "come back, so the flight scores nothing.").format(
            length=km(result["length_m"]), range=km(result["range_m"]))
    return tr.gettext("Your flight: {length} km of {range} km, covering {value} ha of expected loss, {share} of the "
                      "planner's {best} ha in {best_length} km.").format(
        length=km(result["length_m"]), range=km(result["range_m"]), value=tr.number(result["value"], 1),
        share=f"{tr.number(100 * (result['ratio'] or 0), 0)} %", best=tr.number(result["planner_value"], 1),
        best_length=km(result["planner_length_m"]))
