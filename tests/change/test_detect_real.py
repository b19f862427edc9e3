"""Detection on real stacks: Slovenia S2 NDVI with its cloud mask (against R bfast 1.7.2) and
the Bolivia Landsat NDVI stack through ``yvy detect --stack``."""

from __future__ import annotations

import json

import numpy as np
import rasterio
from click.testing import CliRunner

from yvy.change.detect import DetectRequest, run_detection
from yvy.change.product import BREAKS_BANDS, OUTPUTS
from yvy.cli.main import cli

SLOVENIA = "rasters/eolearn_s2_l1c_ndvi_slovenia_2015_2017.tif"
SLOVENIA_CLM = "rasters/eolearn_s2_cloudmask_slovenia_2015_2017.tif"
SLOVENIA_R = "reference/r_bfastmonitor/slovenia_s2_r_bfastmonitor_start2017-01-01_historyall.tif"
BOLIVIA = "rasters/bayts_landsat_ndvi_bolivia_2005_2016.tif"


def test_slovenia_matches_r(ws_store, data_file):
    ws, store = ws_store
    req = DetectRequest(history_start="2015-01-01", monitor_start="2017-01-01",
                        stack=str(data_file(SLOVENIA)), stack_mask=str(data_file(SLOVENIA_CLM)), chunk=64)
    item = run_detection(store, ws, req)
    with rasterio.open(data_file(SLOVENIA_R)) as ds:
        r_break, r_mag, r_hist, r_status = ds.read()
    a = {k: rasterio.open(v["href"]).read(1) for k, v in item["assets"].items()}
    assert (a["status"] == 1).sum() == (r_status == 1).sum() == 8248
    np.testing.assert_array_equal(a["status"], r_status.astype(np.int8))
    np.testing.assert_allclose(a["break_decimal_year"], r_break, atol=1e-9)
    np.testing.assert_allclose(a["magnitude"], r_mag, atol=1e-6)
    np.testing.assert_allclose(a["history_start"], r_hist, atol=1e-9)
    brk = a["status"] == 1
    assert np.isfinite(a["break_days"][brk]).all() and np.isnan(a["break_days"][~brk]).all()
    assert (a["prev_obs_days"][brk] < a["break_days"][brk]).all()
    assert (a["confirm_count"][~brk] == 0).all()  # values: tests/change/test_alert_inputs.py
    # the product item: in the catalog, every output an asset, parameters recorded
    stored = store.get_item("yvy-detections", item["id"])
    assert list(stored["assets"]) == [o.name for o in OUTPUTS]
    p = stored["properties"]
    assert p["yvy:params"] == {"order": 3, "trend": True, "h": 0.25, "level": 0.05, "history": "all",
                              "direction": "both"}
    assert p["yvy:monitor_start"] == "2017-01-01" and p["yvy:last_processed"][:10] == "2017-12-22"
    assert p["yvy:inputs"]["stack"].endswith("slovenia_2015_2017.tif")
    assert p["yvy:inputs"]["stack_mask"].endswith("cloudmask_slovenia_2015_2017.tif")
    with rasterio.open(stored["assets"]["magnitude"]["href"]) as ds:
        assert ds.profile["tiled"] and ds.crs.to_epsg() == 32633


def test_bolivia_cli_stack_with_out(tmp_path, data_file):
    home, out = str(tmp_path / "ws"), tmp_path / "result"
    run = CliRunner().invoke
    assert run(cli, ["--home", home, "init"]).exit_code == 0
    r = run(cli, ["--home", home, "detect", "--stack", str(data_file(BOLIVIA)), "--history-start",
                  "2005-01-01", "--monitor-start", "2016-01-01", "--history", "roc", "--chunk", "50",
                  "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "quiebres detectados" in r.output and "producto bfm-ndvi-2016-01-01-" in r.output
    with rasterio.open(out / "breaks.tif") as ds:
        assert ds.descriptions == BREAKS_BANDS
        assert ds.count == 6 and set(ds.dtypes) == {"float64"} and np.isnan(ds.nodata)
        assert ds.crs.to_epsg() == 32720 and ds.shape == (100, 100)
        b = ds.read()
    with rasterio.open(data_file(BOLIVIA)) as ds:
        empty = (ds.read() < -1e30).all(axis=0)
    assert np.isnan(b[0][empty]).all() and (b[5][empty] == 0).all()
    n_breaks = int(np.isfinite(b[0]).sum())
    assert n_breaks > 100  # the 2016 clearing
    assert ((b[0][np.isfinite(b[0])] >= 2016.0) & (b[0][np.isfinite(b[0])] < 2016.5)).all()
    days = b[1][np.isfinite(b[1])]
    assert (days >= 16801).all()  # 2016-01-01
    r = run(cli, ["--home", home, "monitor", "list", "--json"])
    assert json.loads(r.output)[0]["breaks"] == n_breaks
