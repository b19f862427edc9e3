"""Prize-collecting drone routing with OR-Tools, and the greedy nearest-target baseline.

Each flight starts and ends at its drone's base. A target may be skipped at the price of a
disjunction penalty proportional to its value (expected or observed hectares), so the solver
maximises the value covered; a distance dimension caps every flight at its range. Legs that cross
a no-fly zone cost more than any range, so no flight can use them. Distances are metres in a local
equidistant frame. Imports numpy, shapely and ortools; never the CLI.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import InputError

__all__ = ["Flight", "distance_matrix", "solve", "greedy_nearest"]

PRIZE_M_PER_UNIT = 1_000_000
"""Penalty (metres of flight) for leaving one unit of value (one hectare) unvisited: large, so the
solver only drops targets it cannot fit in the range, preferring the most valuable ones."""


@dataclass
class Flight:
    """One flight: drone and base indices, visited node indices (targets), length (m), value covered."""

    drone: int
    base: int
    stops: list[int]
    length_m: float
    value: float


def distance_matrix(points: np.ndarray, nofly=None, *, blocked_m: float) -> np.ndarray:
    """Straight-line distances (m) between ``points`` (n, 2); legs crossing ``nofly`` get ``blocked_m``."""
    import shapely

    d = np.hypot(points[:, None, 0] - points[None, :, 0], points[:, None, 1] - points[None, :, 1])
    if nofly is not None and not nofly.is_empty:
        shapely.prepare(nofly)
        i, j = np.triu_indices(len(points), 1)
        legs = shapely.linestrings(np.stack([points[i], points[j]], axis=1))
        bad = shapely.intersects(nofly, legs)
        d[i[bad], j[bad]] = blocked_m
        d[j[bad], i[bad]] = blocked_m
    return d


def solve(dist: np.ndarray, values: Sequence[float], bases: Sequence[int], drone_base: Sequence[int], *,
          range_m: float, service_m: float = 0.0, seconds: float = 10.0,
          first_solution: str = "PATH_CHEAPEST_ARC") -> list[Flight]:
    """Route drones over targets to maximise value within ``range_m`` per flight.

    Parameters
    ----------
    dist
        (n, n) metres between all nodes; nodes ``bases`` are depots, the others targets.
    values
        Value of each node (ignored for depots).
    drone_base
        Node index of each drone's base (one flight per entry).
    service_m
        Flight distance charged per target visited (time spent over it, at cruise speed).
    first_solution
        Name of an OR-Tools ``FirstSolutionStrategy`` (the local search starts from it).
    """
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    n = dist.shape[0]
    if not drone_base:
        raise InputError("drones", "at least one drone is needed")
    cost = np.rint(dist + np.where(np.isin(np.arange(n), bases), 0.0, service_m)[None, :]).astype(np.int64)
    np.fill_diagonal(cost, 0)
    manager = pywrapcp.RoutingIndexManager(n, len(drone_base), list(drone_base), list(drone_base))
    routing = pywrapcp.RoutingModel(manager)
    cost_list = cost.tolist()
    cb = routing.RegisterTransitCallback(
        lambda a, b: cost_list[manager.IndexToNode(a)][manager.IndexToNode(b)])
    routing.SetArcCostEvaluatorOfAllVehicles(cb)
    routing.AddDimension(cb, 0, int(range_m), True, "distance")
    base_set = set(bases)
    for node in range(n):
        if node not in base_set:
            penalty = max(1, int(round(values[node] * PRIZE_M_PER_UNIT)))
            routing.AddDisjunction([manager.NodeToIndex(node)], penalty)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, first_solution)
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(int(seconds * 1000))
    solution = routing.SolveWithParameters(params)
    if solution is None:
        return [Flight(v, b, [], 0.0, 0.0) for v, b in enumerate(drone_base)]
    flights = []
    for v, b in enumerate(drone_base):
        idx = routing.Start(v)
        stops = []
        while not routing.IsEnd(idx):
            node = manager.IndexToNode(idx)
            if node != b:
                stops.append(node)
            idx = solution.Value(routing.NextVar(idx))
        flights.append(_flight(v, b, stops, dist, values))
    return flights


def _flight(drone: int, base: int, stops: list[int], dist: np.ndarray, values) -> Flight:
    path = [base, *stops, base]
    length = float(sum(dist[a, b] for a, b in zip(path[:-1], path[1:], strict=True)))
    return Flight(drone, base, stops, length, float(sum(values[s] for s in stops)))


def greedy_nearest(dist: np.ndarray, values: Sequence[float], bases: Sequence[int], drone_base: Sequence[int],
                   *, range_m: float, service_m: float = 0.0) -> list[Flight]:
    """Baseline: each drone in turn flies to the nearest unvisited target it can still come home from."""
    base_set = set(bases)
    free = [i for i in range(dist.shape[0]) if i not in base_set]
    flights = []
    for v, b in enumerate(drone_base):
        here, used, stops = b, 0.0, []
        while True:
            options = [t for t in free if used + dist[here, t] + service_m + dist[t, b] <= range_m]
            if not options:
                break
            t = min(options, key=lambda k: dist[here, k])
            used += dist[here, t] + service_m
            stops.append(t)
            free.remove(t)
            here = t
        flights.append(_flight(v, b, stops, dist, values))
    return flights
