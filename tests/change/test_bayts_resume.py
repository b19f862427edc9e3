"""A bayts run killed after k chunks resumes from its finished chunks and equals a clean run."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio

from yvy.change.fusion import FusionRequest, run_fusion
from yvy.config import Workspace
from yvy.storage import open_store

from ..conftest import raw_sql

NDVI = "rasters/bayts_landsat_ndvi_bolivia_2005_2016.tif"
S1VV = "rasters/bayts_s1_vv_bolivia_2014_2016.tif"


class Killed(Exception):
    pass


def _req(data_file, **kw):
    return FusionRequest(monitor_start="2016-01-01", stack=str(data_file(NDVI)), sar_stack=str(data_file(S1VV)),
                         chunk=40, **kw)


def test_resume_after_kill_equals_uninterrupted(ws_store, data_file, tmp_path):
    ws, store = ws_store

    def die_after_2(done, total):
        if done == 2:
            raise Killed

    with pytest.raises(Killed):
        run_fusion(store, ws, _req(data_file), progress=die_after_2)
    row = raw_sql(store, "SELECT state, progress FROM jobs")[0]
    assert row[0] == "running" and json.loads(row[1])["done"] == [0, 1]
    assert store.count_items() == 0  # nothing published
    seen = []
    item = run_fusion(store, ws, _req(data_file, resume=True), progress=lambda d, n: seen.append(d))
    assert seen == [2, 3, 4, 5, 6, 7, 8, 9]  # 3 x 3 chunks: only the missing ones were computed
    ws2 = Workspace.create(tmp_path / "clean")
    clean = run_fusion(open_store(ws2.database_url, create=True), ws2, _req(data_file))
    assert clean["id"] == item["id"]
    for k, a in item["assets"].items():
        np.testing.assert_array_equal(rasterio.open(a["href"]).read(), rasterio.open(clean["assets"][k]["href"]).read(),
                                      err_msg=k)
