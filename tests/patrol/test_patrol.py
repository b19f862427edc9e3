"""Patrol planning: routing against known optima, budgets, no-fly zones and the flight files."""

import json

import numpy as np
import pytest
import rasterio
import shapely
from click.testing import CliRunner
from rasterio.transform import from_origin

from yvy.cli.main import cli
from yvy.patrol.formats import CMD_RTL, CMD_TAKEOFF, CMD_WAYPOINT, check_plan
from yvy.patrol.plan import Base, PatrolSettings, plan_patrol
from yvy.patrol.solver import distance_matrix, greedy_nearest, solve
from yvy.patrol.targets import Frame, Target, risk_hotspots


def test_solver_takes_the_valuable_far_target_greedy_takes_the_near_ones():
    # base at 0; cheap targets near the base worth 1, one far target worth 50; range allows one choice
    pts = np.array([[0, 0], [1000, 0], [1000, 100], [1000, 200], [0, 4000]], float)
    values = [0, 1, 1, 1, 50]
    d = distance_matrix(pts, None, blocked_m=1e9)
    ours = solve(d, values, [0], [0], range_m=8500, seconds=1)
    greedy = greedy_nearest(d, values, [0], [0], range_m=8500)
    assert ours[0].stops == [4] and ours[0].value == 50 and ours[0].length_m <= 8500
    assert sorted(greedy[0].stops) == [1, 2, 3] and greedy[0].value == 3


def test_legs_through_a_nofly_zone_are_never_flown():
    pts = np.array([[0, 0], [2000, 0], [0, 2000]], float)
    wall = shapely.box(900, -100, 1100, 100)  # blocks base -> target 1 directly
    d = distance_matrix(pts, wall, blocked_m=1e6)
    assert d[0, 1] == 1e6 and d[0, 2] == 2000
    flights = solve(d, [0, 5, 1], [0], [0], range_m=10_000, seconds=1)
    path = [0, *flights[0].stops, 0]
    for a, b in zip(path[:-1], path[1:], strict=False):
        assert not shapely.LineString([pts[a], pts[b]]).intersects(wall)


def _risk_raster(path, hot):
    """A 30 m risk raster in UTM: background 0.01, a few hot squares of 0.5."""
    a = np.full((400, 400), 0.01, np.float32)
    for r, c in hot:
        a[r - 5:r + 5, c - 5:c + 5] = 0.5
    a[:, :20] = np.nan
    with rasterio.open(path, "w", driver="GTiff", width=400, height=400, count=1, dtype="float32",
                       crs="EPSG:32720", transform=from_origin(600000, 1800000, 30, 30), nodata=np.nan) as ds:
        ds.write(a, 1)
    return a


def test_hotspots_are_found_at_the_hot_squares(tmp_path):
    hot = [(100, 100), (300, 250), (50, 350)]
    _risk_raster(tmp_path / "r.tif", hot)
    t = risk_hotspots(str(tmp_path / "r.tif"), cell_m=180, spacing_m=1000, count=3)
    from pyproj import Transformer

    tr = Transformer.from_crs("EPSG:4326", "EPSG:32720", always_xy=True)
    got = sorted((round((1800000 - tr.transform(x.lon, x.lat)[1]) / 30), round((tr.transform(x.lon, x.lat)[0]
                  - 600000) / 30)) for x in t)
    for (r, c), (gr, gc) in zip(sorted(hot), got, strict=False):
        assert abs(r - gr) <= 6 and abs(c - gc) <= 6
    # expected hectares: at most a 6x6 block at 0.5 x 0.09 ha
    assert all(0.5 < x.value <= 36 * 0.5 * 0.09 + 1e-6 for x in t)


def test_plan_respects_range_and_nofly_and_writes_valid_files(tmp_path):
    frame = Frame(-61.6, 16.2)
    rng = np.random.default_rng(0)
    xy = rng.uniform(-8000, 8000, size=(80, 2))
    lon, lat = frame.lonlat(xy[:, 0], xy[:, 1])
    targets = [Target(f"T{i}", float(a), float(b), float(v), "risk") for i, (a, b, v) in
               enumerate(zip(lon, lat, rng.gamma(1.0, 1.0, 80), strict=False))]
    zone = frame.to_wgs84(shapely.box(-3000, -9000, -1000, 9000))  # a strip west of the base
    bases = [Base("A", *map(float, frame.lonlat(2000, 0))), Base("B", *map(float, frame.lonlat(-5000, 0)))]
    s = PatrolSettings(drones=3, range_m=15_000, solver_seconds=2)
    plan = plan_patrol(bases, targets, s, nofly=zone)
    assert plan.dropped["nofly"] > 0
    for f in plan.flights:
        assert f.length_m <= s.range_m + 1
        pts = [frame.xy(*plan.lonlat(k)) for k in [f.base, *f.stops, f.base]]
        line = shapely.LineString([(float(x), float(y)) for x, y in pts]) if len(pts) > 2 else None
        local_zone = frame.to_local(zone)
        if line is not None:
            assert not line.intersects(local_zone)
    from yvy.patrol.plan import write_plan

    res = write_plan(plan, tmp_path / "out")
    routes = json.loads((tmp_path / "out" / "routes.geojson").read_text())
    assert len(routes["features"]) == 3
    for feat, f in zip(routes["features"], plan.flights, strict=False):
        p = feat["properties"]
        assert {"flight", "length_m", "risk_covered", "duration_s"} <= set(p)
        assert p["length_m"] == pytest.approx(f.length_m, abs=0.1)
    doc = json.loads((tmp_path / "out" / "flight_1.plan").read_text())
    check_plan(doc)
    cmds = [it["command"] for it in doc["mission"]["items"]]
    assert cmds[0] == CMD_TAKEOFF and cmds[-1] == CMD_RTL and set(cmds[1:-1]) <= {CMD_WAYPOINT}
    assert any(not p["inclusion"] for p in doc["geoFence"]["polygons"])
    assert res["plan"]["value"] >= res["greedy_nearest"]["value"] - 1e-9


def test_cli_acceptance_command(tmp_path):
    _risk_raster(tmp_path / "risk.tif", [(100, 100), (300, 250), (50, 350), (200, 200)])
    with rasterio.open(tmp_path / "risk.tif") as ds:
        from pyproj import Transformer

        lon, lat = Transformer.from_crs(ds.crs, "EPSG:4326", always_xy=True).transform(600000 + 6000, 1800000 - 6000)
    (tmp_path / "bases.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "HQ"}, "geometry": {"type": "Point", "coordinates": [lon, lat]}}]}))
    r = CliRunner().invoke(cli, ["patrol", "plan", "--risk", str(tmp_path / "risk.tif"), "--bases",
                                 str(tmp_path / "bases.geojson"), "--drones", "2", "--range-km", "30", "--seconds", "2",
                                 "--out", str(tmp_path / "out"), "--json"])
    assert r.exit_code == 0, r.output
    out = tmp_path / "out"
    routes = json.loads((out / "routes.geojson").read_text())["features"]
    assert len(routes) == 2 and all(f["geometry"]["type"] == "LineString" for f in routes)
    assert (out / "flight_1.plan").exists() and (out / "flight_2.plan").exists()
    assert (out / "flight_1.kml").exists() and (out / "flight_1.gpx").exists()
    assert (out / "briefing.pdf").read_bytes()[:5] == b"%PDF-"
    from pypdf import PdfReader

    text = "\n".join(p.extract_text() for p in PdfReader(out / "briefing.pdf").pages)  # Spanish by default
    assert "Instrucciones de patrullaje con dron" in text and "Vuelo 1: dron 1 desde HQ" in text
    assert "pérdida esperada" in text and "expected" not in text
    visited = {t for f in routes for t in f["properties"]["targets"]}
    assert len(visited) >= 4  # the four hot squares are within 30 km
