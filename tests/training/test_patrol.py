"""The patrol exercise: a risk raster with hot spots placed by construction; the planner's flight
scores a ratio of 1, a shorter flight its share of the hectares, a flight beyond the battery 0."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from pyproj import Geod
from rasterio.transform import from_origin

from yvy.errors import InputError
from yvy.patrol.plan import Base
from yvy.training.patrol import make_patrol_exercise, score_patrol

ORIGIN = (760000.0, 7570000.0)  # UTM 20S, Chaco
RES = 30.0


@pytest.fixture
def risk(tmp_path):
    """A 12 x 12 km risk map, zero but for 9 hot squares of 300 m with known probabilities."""
    arr = np.zeros((400, 400), np.float32)
    for k, (r, c) in enumerate([(40, 40), (40, 200), (40, 360), (200, 40), (200, 360), (360, 40), (360, 200),
                                (360, 360), (120, 280)]):
        arr[r:r + 10, c:c + 10] = 0.1 + 0.08 * k
    path = tmp_path / "risk.tif"
    with rasterio.open(path, "w", driver="GTiff", width=400, height=400, count=1, dtype="float32",
                       crs="EPSG:32720", transform=from_origin(*ORIGIN, RES, RES)) as ds:
        ds.write(arr, 1)
    return path


def _base():
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(32720, 4326, always_xy=True).transform(ORIGIN[0] + 6000, ORIGIN[1] - 6000)
    return Base("camp", lon, lat)


def test_planner_route_scores_one_and_others_their_share(risk):
    ex = make_patrol_exercise(str(risk), _base(), range_km=20, targets=9, cell_m=300, spacing_m=600,
                              solver_seconds=2)
    values = {t["id"]: t["value"] for t in ex["targets"]}
    assert len(values) == 9
    # expected hectares of one hot square: 100 pixels of 0.09 ha times its probability
    assert sorted(values.values()) == pytest.approx(sorted(9.0 * (0.1 + 0.08 * k) for k in range(9)), rel=1e-4)
    best = score_patrol(ex, ex["planner"]["route"])
    assert best["within_range"] and best["ratio"] == pytest.approx(1.0)
    assert best["length_m"] == pytest.approx(ex["planner"]["length_m"], rel=1e-6)
    assert best["length_m"] <= 20_000

    one = max(values, key=values.get)
    r = score_patrol(ex, [one])
    t = next(x for x in ex["targets"] if x["id"] == one)
    there = Geod(ellps="WGS84").inv(ex["base"]["lon"], ex["base"]["lat"], t["lon"], t["lat"])[2]
    assert r["length_m"] == pytest.approx(2 * there, rel=2e-3)  # out and back, checked with pyproj's geodesic
    assert r["ratio"] == pytest.approx(values[one] / ex["planner"]["value"], abs=1e-4)

    all_ids = sorted(values)  # every hot spot in id order: far longer than the battery allows
    assert sum(values.values()) > ex["planner"]["value"]
    r = score_patrol(ex, all_ids)
    assert not r["within_range"] and r["value"] == 0 and r["ratio"] == 0


def test_bad_routes_are_refused(risk):
    ex = make_patrol_exercise(str(risk), _base(), range_km=10, targets=5, cell_m=300, spacing_m=600,
                              solver_seconds=1)
    first = ex["targets"][0]["id"]
    with pytest.raises(InputError, match="^route: unknown target"):
        score_patrol(ex, ["R999"])
    with pytest.raises(InputError, match="^route: a target is listed twice"):
        score_patrol(ex, [first, first])


def test_patrol_cli(risk, tmp_path):
    import json

    from click.testing import CliRunner

    from yvy.cli.main import cli

    b = _base()
    out = tmp_path / "patrol.json"
    r = CliRunner().invoke(cli, ["training", "patrol", "--risk", str(risk), "--base", f"{b.lon},{b.lat}",
                                 "--range-km", "20", "--targets", "9", "-o", str(out)])
    assert r.exit_code == 0, r.output
    ex = json.loads(out.read_text())
    r = CliRunner().invoke(cli, ["training", "patrol-score", str(out), "--route", ",".join(ex["planner"]["route"]),
                                 "--json"])
    assert r.exit_code == 0 and json.loads(r.output)["ratio"] == pytest.approx(1.0)
    r = CliRunner().invoke(cli, ["--lang", "en", "training", "patrol-score", str(out), "--route", "R999"])
    assert r.exit_code == 1 and "route: unknown target" in r.output
