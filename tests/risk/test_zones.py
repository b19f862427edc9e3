"""Expected loss per zone: known by construction on a constant risk raster, and on Guadeloupe."""

import json

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner
from rasterio.transform import from_origin

from yvy.cli.main import cli


def _square_case(tmp_path):
    a = np.full((300, 300), 0.1, np.float32)
    a[:, 150:] = np.nan  # right half not forest
    with rasterio.open(tmp_path / "r.tif", "w", driver="GTiff", width=300, height=300, count=1, dtype="float32",
                       crs="EPSG:32721", transform=from_origin(500000, 7000000, 30, 30), nodata=np.nan) as ds:
        ds.write(a, 1)
    # a 3 km x 3 km square over rows and columns 50..150, all forest (NaN starts at column 150): 900 ha
    sq = [[500000 + 1500, 7000000 - 1500], [500000 + 4500, 7000000 - 1500], [500000 + 4500, 7000000 - 4500],
          [500000 + 1500, 7000000 - 4500]]
    fc = {"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32721"}},
          "features": [{"type": "Feature", "properties": {"NAME": "park"},
                        "geometry": {"type": "Polygon", "coordinates": [sq + [sq[0]]]}}]}
    (tmp_path / "z.geojson").write_text(json.dumps(fc))


def test_constant_risk_over_a_known_square(tmp_path):
    _square_case(tmp_path)
    r = CliRunner().invoke(cli, ["risk", "stats", "--risk", str(tmp_path / "r.tif"), "--zones",
                                 str(tmp_path / "z.geojson"), "--name-field", "NAME", "--json"])
    assert r.exit_code == 0, r.output
    (row,) = json.loads(r.output)
    assert row["zone"] == "park"
    assert row["forest_ha"] == pytest.approx(900, rel=0.03)
    assert row["expected_loss_ha"] == pytest.approx(90, rel=0.03)


def test_yvy_stats_adds_expected_loss_per_context_zone(tmp_path):
    """``yvy stats --risk`` reads the zones from the workspace's context layers."""
    _square_case(tmp_path)
    home = str(tmp_path / "ws")
    run = lambda *a: CliRunner().invoke(cli, ["--home", home, *a], catch_exceptions=False)  # noqa: E731
    assert run("init").exit_code == 0
    r = run("context", "add", str(tmp_path / "z.geojson"), "--kind", "protected_area", "--name-field", "NAME")
    assert r.exit_code == 0, r.output
    r = run("stats", "--risk", str(tmp_path / "r.tif"), "--json")
    assert r.exit_code == 0, r.output
    (row,) = json.loads(r.output)["expected_loss"]
    assert row["zone"] == "park" and row["expected_loss_ha"] == pytest.approx(90, rel=0.03)
    r = run("stats", "--risk", "no-such-product")
    assert r.exit_code != 0 and "no-such-product" in r.output


def test_guadeloupe_protected_areas(data_file, tmp_path):
    """Expected loss in and out of Guadeloupe's protected areas from a model fitted on the north half."""
    glp = "risk/forestatrisk_glp"
    fcc = data_file(f"{glp}/fcc23_north_half.tif")
    run = lambda *a: CliRunner().invoke(cli, ["-q", *a], catch_exceptions=False)  # noqa: E731
    covs = [str(data_file(f"{glp}/{n}")) for n in ("dist_edge.tif", "dist_defor.tif", "pa.tif")]
    assert run("risk", "fit", "--fcc", str(fcc), "--covariates", *covs, "--sample", "30000",
               "--out", str(tmp_path / "m.joblib")).exit_code == 0
    assert run("risk", "map", "--model", str(tmp_path / "m.joblib"), "--out", str(tmp_path / "r.tif")).exit_code == 0
    r = run("risk", "stats", "--risk", str(tmp_path / "r.tif"), "--zones", str(data_file(f"{glp}/pa_PROJ.shp")),
            "--json")
    rows = json.loads(r.output)
    assert rows and all(0 <= x["expected_loss_ha"] <= x["forest_ha"] for x in rows)
    # the whole-island total is the map's own sum: zones cannot exceed it
    with rasterio.open(tmp_path / "r.tif") as ds:
        total = float(np.nansum(ds.read(1))) * 0.09
    assert sum(x["expected_loss_ha"] for x in rows) <= total + 1e-6
