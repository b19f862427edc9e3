"""Plan drone patrols: targets -> prize-collecting routes -> flight files, beside a greedy baseline.

:func:`plan_patrol` gathers targets (risk hot spots, alerts), drops those inside no-fly zones or
out of reach, routes the drones with :func:`yvy.patrol.solver.solve`, and scores the greedy
nearest-target baseline on the same targets and on every reachable candidate. :func:`write_plan` writes, per flight, a
QGroundControl ``.plan``, KML and GPX, plus ``routes.geojson``, ``targets.geojson`` and
``summary.json``. Imports numpy and shapely; never the CLI or storage.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError
from .formats import check_plan, gpx, kml, qgc_plan
from .solver import Flight, distance_matrix, greedy_nearest, solve
from .targets import Frame, Target, local_xy

__all__ = ["Base", "PatrolPlan", "PatrolSettings", "plan_patrol", "read_bases", "write_plan", "border_nofly"]


@dataclass(frozen=True)
class Base:
    """A drone base: name and WGS84 position."""

    name: str
    lon: float
    lat: float


@dataclass(frozen=True)
class PatrolSettings:
    """Flight parameters shared by every drone."""

    drones: int = 1
    range_m: float = 30_000.0
    speed_ms: float = 15.0
    altitude_m: float = 120.0
    hover_s: float = 0.0
    solver_seconds: float = 10.0
    max_targets: int = 300
    """Most valuable reachable targets kept for routing."""
    first_solution: str = "PATH_CHEAPEST_ARC"
    """OR-Tools first-solution strategy."""

    def __post_init__(self):
        if self.drones < 1 or self.range_m <= 0 or self.speed_ms <= 0 or self.altitude_m <= 0 or self.hover_s < 0:
            raise InputError("patrol", "drones, range, speed and altitude must be positive (hover >= 0)")


@dataclass
class PatrolPlan:
    """Result: bases, targets, flights of the solver and of the greedy baseline, in a local frame."""

    frame: Frame
    bases: list[Base]
    targets: list[Target]
    flights: list[Flight]
    baseline: list[Flight]
    settings: PatrolSettings
    nofly: object = None
    dropped: dict = field(default_factory=dict)
    baseline_all: list[Flight] = field(default_factory=list)
    """Greedy nearest-target flights over every reachable candidate (before the top-N cut)."""

    def lonlat(self, node: int) -> tuple[float, float]:
        """WGS84 position of a node (bases first, then targets)."""
        nb = len(self.bases)
        p = self.bases[node] if node < nb else self.targets[node - nb]
        return p.lon, p.lat

    def label(self, node: int) -> str:
        """Name of a node."""
        nb = len(self.bases)
        return self.bases[node].name if node < nb else self.targets[node - nb].id


def read_bases(path: str | Path) -> list[Base]:
    """Point features of a vector file as bases (name from a ``name`` property, else ``base N``)."""
    import geopandas as gpd

    try:
        df = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several kinds
        raise InputError(path, f"cannot read bases ({exc})") from None
    if df.crs is None:
        raise InputError(path, "bases have no CRS")
    df = df.to_crs("EPSG:4326")
    out = []
    for i, row in df.iterrows():
        g = row.geometry
        if g is None or g.geom_type != "Point":
            raise InputError(path, f"feature {i}: bases must be points")
        name = str(row["name"]) if "name" in df.columns and row["name"] else f"base {len(out) + 1}"
        out.append(Base(name, float(g.x), float(g.y)))
    if not out:
        raise InputError(path, "no bases")
    return out


def border_nofly(path: str | Path, buffer_m: float, frame: Frame):
    """A WGS84 strip of ``buffer_m`` either side of the boundary of the polygons in ``path``."""
    import geopandas as gpd
    import shapely

    df = gpd.read_file(path)
    if df.crs is None:
        raise InputError(path, "border layer has no CRS")
    outline = shapely.union_all(df.to_crs("EPSG:4326").geometry.values)
    return frame.to_wgs84(shapely.boundary(frame.to_local(outline)).buffer(buffer_m))


def plan_patrol(bases: Sequence[Base], targets: Sequence[Target], settings: PatrolSettings, *,
                nofly=None) -> PatrolPlan:
    """Route ``settings.drones`` drones (spread over the bases in turn) over ``targets``."""
    import shapely

    frame = Frame(float(np.mean([b.lon for b in bases])), float(np.mean([b.lat for b in bases])))
    nofly_local = frame.to_local(nofly) if nofly is not None and not nofly.is_empty else None
    bxy = np.column_stack(frame.xy([b.lon for b in bases], [b.lat for b in bases]))
    if nofly_local is not None and shapely.contains_xy(nofly_local, bxy[:, 0], bxy[:, 1]).any():
        raise InputError("bases", "a base lies inside a no-fly zone")
    txy = local_xy(frame, targets)
    dropped = {"nofly": 0, "out_of_range": 0}
    keep = np.ones(len(targets), bool)
    if nofly_local is not None and len(targets):
        inside = shapely.contains_xy(nofly_local, txy[:, 0], txy[:, 1])
        dropped["nofly"] = int(inside.sum())
        keep &= ~inside
    if len(targets):
        reach = np.hypot(txy[:, None, 0] - bxy[None, :, 0], txy[:, None, 1] - bxy[None, :, 1]).min(axis=1)
        far = 2 * reach > settings.range_m
        dropped["out_of_range"] = int((far & keep).sum())
        keep &= ~far
    reachable = np.nonzero(keep)[0]
    idx = [i for i in np.argsort([-t.value for t in targets], kind="stable") if keep[i]][: settings.max_targets]
    keep = np.zeros(len(targets), bool)
    keep[idx] = True
    base_nodes = list(range(len(bases)))
    drone_base = [i % len(bases) for i in range(settings.drones)]
    service = settings.hover_s * settings.speed_ms
    baseline_all = []
    if reachable.size > keep.sum():
        d_all = distance_matrix(np.vstack([bxy, txy[reachable]]), nofly_local, blocked_m=10 * settings.range_m)
        v_all = [0.0] * len(bases) + [targets[i].value for i in reachable]
        baseline_all = greedy_nearest(d_all, v_all, base_nodes, drone_base, range_m=settings.range_m,
                                      service_m=service)
    targets = [t for t, k in zip(targets, keep, strict=True) if k]
    points = np.vstack([bxy, txy[keep]]) if len(targets) else bxy
    dist = distance_matrix(points, nofly_local, blocked_m=10 * settings.range_m)
    values = [0.0] * len(bases) + [t.value for t in targets]
    flights = solve(dist, values, base_nodes, drone_base, range_m=settings.range_m, service_m=service,
                    seconds=settings.solver_seconds, first_solution=settings.first_solution)
    baseline = greedy_nearest(dist, values, base_nodes, drone_base, range_m=settings.range_m, service_m=service)
    return PatrolPlan(frame, list(bases), targets, flights, baseline, settings, nofly, dropped, baseline_all)


def _per_km(flights: Sequence[Flight]) -> float:
    km = sum(f.length_m for f in flights) / 1000
    return sum(f.value for f in flights) / km if km else 0.0


def summary(plan: PatrolPlan) -> dict:
    """Totals of the plan and of the greedy baseline (value per flight-km and their ratio)."""
    def tot(fl):
        return {"flights": len(fl), "targets": sum(len(f.stops) for f in fl),
                "length_m": round(sum(f.length_m for f in fl), 1), "value": round(sum(f.value for f in fl), 4),
                "value_per_km": round(_per_km(fl), 6)}
    def ratio(a, b):
        return round(a["value_per_km"] / b["value_per_km"], 3) if b["value_per_km"] else None

    ours, base = tot(plan.flights), tot(plan.baseline)
    out = {"plan": ours, "greedy_nearest": base, "ratio_value_per_km": ratio(ours, base),
           "candidate_targets": len(plan.targets), "dropped_targets": plan.dropped,
           "range_m": plan.settings.range_m, "drones": plan.settings.drones}
    if plan.baseline_all:
        out["greedy_nearest_all_candidates"] = tot(plan.baseline_all)
        out["ratio_value_per_km_vs_all_candidates"] = ratio(ours, out["greedy_nearest_all_candidates"])
    return out


def _flight_fence(plan: PatrolPlan, path_ll: list[tuple[float, float]]):
    import shapely

    local = plan.frame.to_local(shapely.LineString(path_ll) if len(path_ll) > 1 else shapely.Point(path_ll[0]))
    hull = local.buffer(500).convex_hull
    exclusions = []
    if plan.nofly is not None and not plan.nofly.is_empty:
        near = plan.frame.to_local(plan.nofly).intersection(hull.buffer(2000))
        exclusions = [plan.frame.to_wgs84(p.simplify(20)) for p in getattr(near, "geoms", [near])
                      if p.geom_type == "Polygon" and not p.is_empty]
    return plan.frame.to_wgs84(hull.simplify(20)), exclusions


def _route_feature(plan: PatrolPlan, f: Flight, n: int) -> dict:
    s = plan.settings
    path = [plan.lonlat(f.base), *(plan.lonlat(k) for k in f.stops), plan.lonlat(f.base)]
    duration = f.length_m / s.speed_ms + s.hover_s * len(f.stops)
    return {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [list(p) for p in path]},
            "properties": {"flight": n, "drone": f.drone + 1, "base": plan.bases[f.base].name,
                           "length_m": round(f.length_m, 1), "duration_s": round(duration, 1),
                           "risk_covered": round(f.value, 4), "targets": [plan.label(k) for k in f.stops],
                           "range_m": s.range_m}}


def write_plan(plan: PatrolPlan, out: str | Path) -> dict:
    """Write the flight files and GeoJSONs of ``plan`` into folder ``out``; return the summary."""
    from ..io import atomic_write_bytes

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    s = plan.settings
    feats, visited = [], {}
    for n, f in enumerate(plan.flights, 1):
        feats.append(_route_feature(plan, f, n))
        home = plan.lonlat(f.base)
        wps = [plan.lonlat(k) for k in f.stops]
        labels = [plan.label(k) for k in f.stops]
        visited.update({plan.label(k): n for k in f.stops})
        fence, excl = _flight_fence(plan, [home, *wps, home])
        doc = qgc_plan(home, wps, altitude_m=s.altitude_m, cruise_speed=s.speed_ms, hover_s=s.hover_s,
                       fence=fence, exclusions=excl)
        check_plan(doc)
        atomic_write_bytes(out / f"flight_{n}.plan", json.dumps(doc, indent=1).encode())
        atomic_write_bytes(out / f"flight_{n}.kml", kml(f"flight {n}", home, wps, s.altitude_m, labels).encode())
        atomic_write_bytes(out / f"flight_{n}.gpx", gpx(f"flight {n}", home, wps, labels).encode())
    routes = {"type": "FeatureCollection", "features": feats}
    atomic_write_bytes(out / "routes.geojson", json.dumps(routes, indent=1).encode())
    tfeats = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [t.lon, t.lat]},
               "properties": {"id": t.id, "kind": t.kind, "value": round(t.value, 4), "note": t.note,
                              "flight": visited.get(t.id)}} for t in plan.targets]
    atomic_write_bytes(out / "targets.geojson",
                       json.dumps({"type": "FeatureCollection", "features": tfeats}, indent=1).encode())
    res = summary(plan)
    atomic_write_bytes(out / "summary.json", json.dumps(res, indent=1).encode())
    return res
