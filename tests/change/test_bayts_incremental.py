"""``yvy monitor update`` on a bayts product equals one ``yvy detect --method bayts`` over all dates."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner

from yvy.cli.main import cli
from yvy.config import Workspace
from yvy.storage import open_store

NDVI = "rasters/bayts_landsat_ndvi_bolivia_2005_2016.tif"
S1VV = "rasters/bayts_s1_vv_bolivia_2014_2016.tif"
COMPARED = ("break_decimal_year", "change_flagged_decimal_year", "flag_decimal_year", "pflag", "pchange",
            "break_days", "status", "confirm_count_optical", "confirm_count_radar")


def _head(src, dest, until: str):
    """Copy the bands of ``src`` dated before ``until`` (a stack as it was on that day)."""
    with rasterio.open(src) as ds:
        idx = [i + 1 for i, d in enumerate(ds.descriptions) if d < until]
        prof = ds.profile | {"count": len(idx)}
        with rasterio.open(dest, "w", **prof) as out:
            out.write(ds.read(idx))
            for j, i in enumerate(idx, start=1):
                out.set_band_description(j, ds.descriptions[i - 1])
    return dest


def _ws(path):
    ws = Workspace.create(path)
    open_store(ws.database_url, create=True)
    return ws


def _detect(ws, opt, sar, out, *extra):
    r = CliRunner().invoke(cli, ["--home", str(ws.home), "detect", "--method", "bayts", "--stack", str(opt),
                                 "--sar-stack", str(sar), "--monitor-start", "2016-01-01", "--chunk", "48",
                                 "--out", str(out), "--no-alerts", *extra])
    assert r.exit_code == 0, r.output
    return r


def _product_rasters(ws, names=COMPARED):
    """The workspace's detection product and its ``names`` rasters (band 1 each)."""
    item = next(it for it in open_store(ws.database_url).iter_items() if it["collection"] == "yvy-detections")
    out = {}
    for name in names:
        with rasterio.open(item["assets"][name]["href"]) as ds:
            out[name] = ds.read(1)
    return item, out


@pytest.mark.parametrize("rule", [(), ("--neighbour-chi", "0.5", "--min-pixels", "2", "--neighbour-days", "45"),
                                  ("--neighbour-chi", "0.9", "--min-pixels", "1")],
                         ids=["defaults", "rule-0.5-2px", "kernel-only"])
def test_update_equals_one_run(tmp_path, data_file, rule):
    """With the default spatial rule, another one and none: the update recomputes the rule from the
    stored weak, flag and confirmed times."""
    full = _ws(tmp_path / "full")
    _detect(full, data_file(NDVI), data_file(S1VV), tmp_path / "o1", *rule)
    whole, want = _product_rasters(full)

    inc = _ws(tmp_path / "inc")
    opt0 = _head(data_file(NDVI), tmp_path / "ndvi_head.tif", "2016-02-15")
    sar0 = _head(data_file(S1VV), tmp_path / "vv_head.tif", "2016-02-15")
    _detect(inc, opt0, sar0, tmp_path / "o2", *rule)
    first, before = _product_rasters(inc)
    # later clearings are not seen yet
    assert first["properties"]["yvy:summary"]["breaks"] < whole["properties"]["yvy:summary"]["breaks"]
    base = ["--home", str(inc.home), "monitor", "update", "--no-alerts"]
    r = CliRunner().invoke(cli, [*base, "--stack", str(data_file(NDVI)), "--sar-stack", str(data_file(S1VV))])
    assert r.exit_code == 0, r.output
    item, got = _product_rasters(inc)
    assert item["properties"]["yvy:version"] == 2
    assert item["properties"]["yvy:updates"][-1]["new_dates"] > 10 and "fechas nuevas" in r.output
    for name in COMPARED:
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)
    assert not np.array_equal(before["break_decimal_year"], got["break_decimal_year"], equal_nan=True)
    again = CliRunner().invoke(cli, [*base, "--stack", str(data_file(NDVI)), "--sar-stack", str(data_file(S1VV))])
    assert again.exit_code == 0 and "al día" in again.output
