"""Benchmark yvy's patrol planner against the greedy nearest-target baseline on the Guadeloupe risk map.

The risk map comes from ``yvy risk fit`` (north half of ``$YVY_TEST_DATA/risk/forestatrisk_glp``,
the eight raster covariates) and ``yvy risk map``. Two bases on Basse-Terre (Petit-Bourg,
Vieux-Habitants), 2 drones, 30 km range, 120 m altitude, 70 degree camera (168 m footprint),
hot spots 500 m apart, a 5 km no-fly disc around Pointe-a-Pitre airport (TFFR). The planner routes
the 300 most valuable reachable hot spots (OR-Tools, 10 s); the baseline flies each drone to the
nearest target it can still come home from, (a) on the same 300 targets and (b) on every reachable
hot spot. The script also checks every flight's length against the range and every waypoint and
leg against the no-fly zone. One run (``--runs`` to repeat; the median ratio is reported).

Usage::

    .venv/bin/python benchmarks/bench_patrol.py

Results: ``benchmarks/results/bench_patrol.{json,md}``. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = Path(os.environ.get("YVY_TEST_DATA", REPO.parent / "shared" / "data")) / "risk" / "forestatrisk_glp"
RASTERS = ["dist_edge.tif", "dist_defor.tif", "dist_road.tif", "dist_town.tif", "dist_river.tif",
           "altitude.tif", "slope.tif", "pa.tif"]
BASES = [("Petit-Bourg", -61.62, 16.20), ("Vieux-Habitants", -61.73, 16.08)]
AIRPORT = (-61.5318, 16.2653)


def _yvy(*args: str) -> str:
    exe = Path(sys.executable).parent / "yvy"
    r = subprocess.run([str(exe), "-q", *args], capture_output=True, text=True, check=True)
    return r.stdout


def _inputs(tmp: Path) -> tuple[Path, Path, Path]:
    import shapely

    from yvy.patrol.targets import Frame

    model, risk = tmp / "glp.joblib", tmp / "risk.tif"
    _yvy("risk", "fit", "--fcc", str(DATA / "fcc23_north_half.tif"), "--covariates",
         *(str(DATA / n) for n in RASTERS), "--out", str(model))
    _yvy("risk", "map", "--model", str(model), "--out", str(risk))
    bases = tmp / "bases.geojson"
    bases.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": n}, "geometry": {"type": "Point", "coordinates": [x, y]}}
        for n, x, y in BASES]}))
    f = Frame(*AIRPORT)
    disc = f.to_wgs84(shapely.Point(0, 0).buffer(5000))
    nofly = tmp / "nofly.geojson"
    nofly.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "TFFR 5 km"}, "geometry": shapely.geometry.mapping(disc)}]}))
    return risk, bases, nofly


def _check(out: Path, nofly: Path, range_m: float) -> dict:
    import shapely

    zone = shapely.geometry.shape(json.loads(nofly.read_text())["features"][0]["geometry"])
    routes = json.loads((out / "routes.geojson").read_text())["features"]
    within = all(r["properties"]["length_m"] <= range_m + 1 for r in routes)
    clear = all(not shapely.LineString(r["geometry"]["coordinates"]).intersects(zone) for r in routes)
    return {"all_flights_within_range": within, "no_waypoint_or_leg_in_nofly": clear,
            "plans": sorted(p.name for p in out.glob("*.plan"))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        risk, bases, nofly = _inputs(tmp)
        runs = []
        for i in range(args.runs):
            out = tmp / f"patrol{i}"
            res = json.loads(_yvy("patrol", "plan", "--risk", str(risk), "--bases", str(bases), "--drones", "2",
                                  "--range-km", "30", "--nofly", str(nofly), "--out", str(out), "--json"))
            res["checks"] = _check(out, nofly, 30_000)
            runs.append(res)
    med = lambda k: statistics.median(r[k] for r in runs)  # noqa: E731
    result = {"runs": args.runs, "ratio_same_targets_median": med("ratio_value_per_km"),
              "ratio_all_candidates_median": med("ratio_value_per_km_vs_all_candidates"), "detail": runs}
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "bench_patrol.json").write_text(json.dumps(result, indent=1))
    r = runs[0]
    md = "\n".join([
        "# bench_patrol", "",
        f"Guadeloupe risk map, 2 bases, 2 drones, 30 km range, 5 km no-fly disc at TFFR; {args.runs} run(s).", "",
        "| | targets | km | expected loss covered (ha) | ha per flight-km |", "|---|---|---|---|---|",
        *(f"| {name} | {t['targets']} | {t['length_m'] / 1000:.1f} | {t['value']:.2f} | {t['value_per_km']:.3f} |"
          for name, t in (("OR-Tools plan (300 best reachable hot spots)", r["plan"]),
                          ("greedy nearest, same 300 targets", r["greedy_nearest"]),
                          ("greedy nearest, all reachable hot spots", r["greedy_nearest_all_candidates"]))),
        "", f"Ratio of ha per flight-km, plan / greedy: {result['ratio_same_targets_median']:.2f}x on the same "
            f"targets, {result['ratio_all_candidates_median']:.2f}x against greedy over all reachable hot spots "
            f"({r['candidate_targets']} routed; dropped: {r['dropped_targets']['nofly']} in the no-fly zone, "
            f"{r['dropped_targets']['out_of_range']} out of range).",
        f"Checks: flights within range {r['checks']['all_flights_within_range']}, no waypoint or leg in the "
        f"no-fly zone {r['checks']['no_waypoint_or_leg_in_nofly']}.", ""])
    (HERE / "results" / "bench_patrol.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
