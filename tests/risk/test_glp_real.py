"""Acceptance on the forestatrisk Guadeloupe data: fit on the north half, map the whole island."""

import json

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner

from yvy.cli.main import cli

GLP = "risk/forestatrisk_glp"
RASTERS = ["dist_edge.tif", "dist_defor.tif", "dist_road.tif", "dist_town.tif", "dist_river.tif",
           "altitude.tif", "slope.tif"]


@pytest.fixture
def glp(data_file):
    return {n: data_file(f"{GLP}/{n}") for n in [*RASTERS, "fcc23_north_half.tif", "roads_PROJ.shp", "pa_PROJ.shp"]}


def _run(args):
    r = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r


def test_fit_and_map_whole_island_with_rasters_and_vectors(glp, tmp_path):
    model = tmp_path / "glp.joblib"
    covs = [str(glp[n]) for n in RASTERS] + [str(glp["roads_PROJ.shp"]), str(glp["pa_PROJ.shp"])]
    r = _run(["-q", "risk", "fit", "--fcc", str(glp["fcc23_north_half.tif"]), "--covariates", *covs,
              "--sample", "60000", "--out", str(model), "--json"])
    info = json.loads(r.output)
    assert "dist_roads" in info["covariates"] and "inside_pa" in info["covariates"]
    assert info["cv_auc_blocked"] > 0.84  # edge benchmark on the north half: 0.82
    out = tmp_path / "risk.tif"
    summary = json.loads(_run(["-q", "risk", "map", "--model", str(model), "--out", str(out), "--json"]).output)
    with rasterio.open(out) as ds:
        assert ds.dtypes[0] == "float32" and np.isnan(ds.nodata) and ds.overviews(1)
        risk = ds.read(1)
    with rasterio.open(glp["dist_edge.tif"]) as e, rasterio.open(glp["fcc23_north_half.tif"]) as f:
        forest, fcc = e.read(1) > 0, f.read(1)
    ok = np.isfinite(risk)
    assert ok.sum() == summary["pixels"]
    assert not ok[~forest].any()  # NaN outside the 2010 forest, where dist_edge is undefined
    assert ok[forest].mean() > 0.99  # the rest lack a terrain or road value at the coast
    south = forest.copy()
    south[:1479] = False
    assert ok[south].sum() > 400_000  # the held-back south is mapped too
    assert (risk[ok] >= 0).all() and (risk[ok] <= 1).all()
    # calibrated: the mean predicted risk on the north's forest is close to the observed loss rate
    north = (fcc != 255) & ok
    assert abs(risk[north].mean() - (fcc[north] == 0).mean()) < 0.01


def test_map_registers_a_cog_product_in_a_workspace(glp, tmp_path):
    home = tmp_path / "ws"
    _run(["--home", str(home), "init"])
    model = tmp_path / "m.joblib"
    _run(["--home", str(home), "-q", "risk", "fit", "--fcc", str(glp["fcc23_north_half.tif"]), "--covariates",
          str(glp["dist_edge.tif"]), str(glp["dist_defor.tif"]), "--sample", "30000", "--out", str(model)])
    r = _run(["--home", str(home), "-q", "risk", "map", "--model", str(model), "--out", str(tmp_path / "glp.tif"),
              "--json"])
    assert json.loads(r.output)["product"] == "yvy-risk/glp"
    from yvy.config import Workspace
    from yvy.storage import open_store

    item = open_store(Workspace.open(home).database_url).get_item("yvy-risk", "glp")
    href = item["assets"]["risk"]["href"]
    assert href.startswith(str(home)) and item["properties"]["yvy:covariates"] == ["dist_edge", "dist_defor"]
    with rasterio.open(href) as ds:
        assert ds.dtypes[0] == "float32"
    # the web map draws it like a detection band: one 'risk' layer, tiles over the island
    import morecantile

    from yvy.api._render import layers_for_item, render_tile

    assert list(layers_for_item(item)) == ["risk"]
    lon, lat = -61.68, 16.25  # forest of northern Basse-Terre
    t = morecantile.tms.get("WebMercatorQuad").tile(lon, lat, 11)
    png = render_tile(item, "risk", t.x, t.y, 11)
    assert png is not None and png[:4] == b"\x89PNG"


def test_bad_model_file_is_one_line_error(tmp_path):
    p = tmp_path / "x.joblib"
    p.write_bytes(b"not a model")
    r = CliRunner().invoke(cli, ["--lang", "en", "risk", "map", "--model", str(p), "--out", str(tmp_path / "r.tif")])
    assert r.exit_code == 1 and "not a yvy risk model" in r.output and not (tmp_path / "r.tif").exists()


def test_workspace_alerts_and_context_layers_as_covariates(glp, tmp_path, store_url):
    import shapely

    from yvy.alerts.model import Alert, AlertStatus
    from yvy.storage import open_store
    from yvy.storage.alerts import SQLAlertStore

    home = tmp_path / "ws"
    _run(["--home", str(home), "init"])
    _run(["--home", str(home), "context", "add", str(glp["pa_PROJ.shp"]), "--kind", "protected_area",
          "--name", "pa"])
    s = open_store(store_url(home / "yvy.db"))
    a = SQLAlertStore(s)
    with a.transaction():
        a.insert_alert(Alert("GP-2021-000001", shapely.box(-61.60, 16.30, -61.59, 16.31), 120.0, "2021-03-01",
                             status=AlertStatus.CONFIRMED))
    s.close()
    r = _run(["--home", str(home), "-q", "risk", "fit", "--fcc", str(glp["fcc23_north_half.tif"]), "--covariates",
              str(glp["dist_edge.tif"]), "alerts", "context:pa", "--sample", "20000",
              "--out", str(tmp_path / "m.joblib"), "--json"])
    names = json.loads(r.output)["covariates"]
    assert names == ["dist_edge", "dist_alerts", "inside_alerts", "dist_pa", "inside_pa"]
    r = CliRunner().invoke(cli, ["--lang", "en", "--home", str(tmp_path / "nows"), "risk", "fit", "--fcc",
                                 str(glp["fcc23_north_half.tif"]), "--covariates", "alerts", "--out",
                                 str(tmp_path / "x.joblib")])
    assert r.exit_code == 1 and "needs a workspace" in r.output
