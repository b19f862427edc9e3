"""Alerts of a fused (bayts) product carry per-sensor confirmation counts and Pchange, and their
confidence follows the documented rule, checked on the Bolivia acceptance command against a slow
per-alert reference computed from the product rasters."""

from __future__ import annotations

import math

import numpy as np
import pyproj
import rasterio
import shapely
from click.testing import CliRunner
from rasterio.features import rasterize
from shapely.ops import transform as shp_transform

from yvy.alerts.model import Alert, Confidence, from_feature, to_feature
from yvy.alerts.ports import AlertQuery
from yvy.cli.main import cli
from yvy.config import Workspace
from yvy.storage import open_store
from yvy.storage.alerts import SQLAlertStore

NDVI = "rasters/bayts_landsat_ndvi_bolivia_2005_2016.tif"
S1VV = "rasters/bayts_s1_vv_bolivia_2014_2016.tif"


def _read(href):
    with rasterio.open(href) as ds:
        a = ds.read(1).astype(np.float64)
        if ds.nodata is not None and not np.isnan(ds.nodata):
            a[a == ds.nodata] = np.nan
        return a, ds.crs, ds.transform


def test_acceptance_alerts_have_counts_and_rule_confidence(tmp_path, data_file):
    ws = Workspace.create(tmp_path / "ws")
    open_store(ws.database_url, create=True)
    r = CliRunner().invoke(cli, ["--home", str(ws.home), "detect", "--method", "bayts", "--stack",
                                 str(data_file(NDVI)), "--sar-stack", str(data_file(S1VV)),
                                 "--monitor-start", "2016-01-01", "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    store = open_store(ws.database_url)
    item = next(it for it in store.iter_items() if it["collection"] == "yvy-detections")
    rasters = {n: _read(item["assets"][n]["href"]) for n in
               ("confirm_count", "confirm_count_optical", "confirm_count_radar", "pchange", "status")}
    crs, affine = rasters["pchange"][1], rasters["pchange"][2]
    shape = rasters["pchange"][0].shape
    to_grid = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform
    alerts = list(SQLAlertStore(store).find_alerts(AlertQuery()))
    assert len(alerts) >= 3  # the default spatial rule joins neighbouring patches into one alert
    for a in alerts:
        pix = rasterize([shp_transform(to_grid, a.geometry)], out_shape=shape, transform=affine).astype(bool)
        assert pix.sum() == a.pixel_count, a.id
        assert (rasters["status"][0][pix] == 1).all()  # alert pixels are confirmed changes
        med = {n: float(np.median(rasters[n][0][pix])) for n in rasters}
        assert a.confirm_count == math.floor(med["confirm_count"])
        assert a.confirm_optical == math.floor(med["confirm_count_optical"])
        assert a.confirm_radar == math.floor(med["confirm_count_radar"])
        assert abs(a.pchange - med["pchange"]) < 1e-6
        high = math.floor(med["confirm_count"]) >= 2 and med["pchange"] >= 0.9
        assert a.confidence == (Confidence.HIGH if high else Confidence.LOW), a.id
    assert sum((a.confirm_radar or 0) > 0 for a in alerts) > 0
    shown = CliRunner().invoke(cli, ["--home", str(ws.home), "alerts", "show", alerts[0].id])
    assert shown.exit_code == 0 and "confirmación fusionada" in shown.output


def test_optical_alerts_and_old_records_have_no_fused_fields(tmp_path):
    ws = Workspace.create(tmp_path / "ws")
    store = SQLAlertStore(open_store(ws.database_url, create=True))
    a = Alert(id="PY-2016-000001", geometry=shapely.box(-60.0, -17.0, -59.99, -16.99), area_ha=1.0,
              first_detected="2016-02-01", confirm_count=3, confidence=Confidence.HIGH)
    store.insert_alert(a)
    back = store.get_alert(a.id)
    assert (back.confirm_optical, back.confirm_radar, back.pchange) == (None, None, None)
    feat = to_feature(a)
    for k in ("confirm_optical", "confirm_radar", "pchange"):
        feat["properties"].pop(k)  # a feature written before fused alerts existed
    assert from_feature(feat).pchange is None
    fused = a.with_(id="PY-2016-000002", confirm_optical=1, confirm_radar=2, pchange=0.95)
    store.insert_alert(fused)
    got = store.get_alert(fused.id)
    assert (got.confirm_optical, got.confirm_radar, got.pchange) == (1, 2, 0.95)
