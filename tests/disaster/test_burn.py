"""Burn scars and severity on scenes whose burn is known by construction."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio
import shapely
from click.testing import CliRunner
from rasterio.transform import from_origin

from yvy.cli.main import cli
from yvy.disaster.burn import Grid, map_burn, nbr_from_file, nbr_pair_from_catalog
from yvy.disaster.fires import ingest_fires
from yvy.errors import InputError
from yvy.kernels import burn as bk
from yvy.storage import open_store
from yvy.storage.fires import SQLFireStore
from yvy.testing.scenes import s2_collection, write_s2_scene

T = from_origin(500000, 7400000, 10, 10)
CRS = "EPSG:32720"


def _stack(path, nir, swir):
    with rasterio.open(path, "w", driver="GTiff", width=nir.shape[1], height=nir.shape[0], count=2,
                       dtype="uint16", crs=CRS, transform=T, nodata=0) as ds:
        ds.write(np.stack([np.round(nir * 1e4), np.round(swir * 1e4)]).astype(np.uint16))
        ds.descriptions = ("B8", "B12")
    return path


def _scene_pair(tmp_path):
    """NBR 0.6 before; after: a 40 x 60 px core to NBR -0.25 (dNBR 850, high) inside a ring to
    NBR 0.2 (dNBR 400, moderate-low) of 60 x 100 px; a 2 x 2 px speck (0.04 ha, below the 0.5 ha minimum)."""
    shape = (120, 150)
    nir, swir = np.full(shape, 0.32), np.full(shape, 0.08)  # NBR 0.6
    pnir, pswir = nir.copy(), swir.copy()
    pnir[20:80, 20:120], pswir[20:80, 20:120] = 0.24, 0.16  # NBR 0.2
    pnir[30:70, 40:100], pswir[30:70, 40:100] = 0.15, 0.25  # NBR -0.25
    pnir[100:102, 5:7], pswir[100:102, 5:7] = 0.15, 0.25
    return _stack(tmp_path / "pre.tif", nir, swir), _stack(tmp_path / "post.tif", pnir, pswir)


def test_severity_classes_match_key_and_benson():
    pre = np.full(8, 0.5)
    post = pre - np.array([-0.3, -0.101, 0.0, 0.15, 0.3, 0.45, 0.6, 0.9])
    _, rd, k = bk.severity(pre[None], post[None])
    assert k[0].tolist() == [5, 5, 0, 1, 2, 3, 3, 4]
    assert np.isclose(rd[0, 4], 300 / np.sqrt(0.5))


def test_burn_from_files(tmp_path):
    pre_p, post_p = _scene_pair(tmp_path)
    pre, grid = nbr_from_file(pre_p)
    post, _ = nbr_from_file(post_p)
    res = map_burn(pre, post, grid, tmp_path / "out")
    assert res.hectares["high"] == pytest.approx(40 * 60 * 0.01, rel=2e-3)  # UTM scale factor vs equal area
    assert res.hectares["moderate-low"] == pytest.approx((60 * 100 - 40 * 60) * 0.01, rel=2e-3)
    assert len(res.scars) == 1 and res.scars[0]["severity"] == "moderate-low"
    with rasterio.open(res.severity) as ds:
        k = ds.read(1)
        assert ds.transform == T and (k[30:70, 40:100] == 4).all() and (k[100:102, 5:7] == 4).all()
    gj = json.loads((tmp_path / "out" / "burn_scars.geojson").read_text())
    assert {f["properties"]["class"] for f in gj["features"]} == {"high", "moderate-low"}


def test_burn_cli_and_bad_input(tmp_path):
    pre_p, post_p = _scene_pair(tmp_path)
    r = CliRunner().invoke(cli, ["--home", str(tmp_path / "none"), "burn", "map", "--before", str(pre_p),
                                 "--after", str(post_p), "--out", str(tmp_path / "o"), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["hectares"]["high"] == pytest.approx(24.0, rel=2e-3)
    with rasterio.open(pre_p) as ds:
        prof = ds.profile | {"transform": from_origin(0, 0, 10, 10)}
        data = ds.read()
    with rasterio.open(tmp_path / "moved.tif", "w", **prof) as ds:
        ds.write(data)
    r = CliRunner().invoke(cli, ["--lang", "en", "burn", "map", "--before", str(pre_p), "--after",
                                 str(tmp_path / "moved.tif"), "--out", str(tmp_path / "o2")])
    assert r.exit_code == 1 and "no band B8" in r.output  # bands not described
    with rasterio.open(tmp_path / "moved.tif", "r+") as ds:
        ds.descriptions = ("B8", "B12")
    r = CliRunner().invoke(cli, ["--lang", "en", "burn", "map", "--before", str(pre_p), "--after",
                                 str(tmp_path / "moved.tif"), "--out", str(tmp_path / "o2")])
    assert r.exit_code == 1 and "not on the grid" in r.output
    with pytest.raises(InputError, match="no pixel is clear"):
        nan = np.full((5, 5), np.nan, np.float32)
        map_burn(nan, nan, Grid(T, CRS, (5, 5)), tmp_path / "o3")
    assert not (tmp_path / "o3" / "severity.tif").exists()


def test_burn_from_catalog_links_fires_and_alerts(tmp_path, store_url):
    from yvy.alerts.model import Alert
    from yvy.storage.alerts import SQLAlertStore

    shape = (60, 60)
    veg = {"nir": 0.32, "swir22": 0.08, "red": 0.04}
    burnt = dict(veg, nir=np.where(np.arange(60)[None, :] < 30, 0.15, 0.32) * np.ones(shape),
                 swir22=np.where(np.arange(60)[None, :] < 30, 0.25, 0.08) * np.ones(shape))
    cloud = np.full(shape, 4, np.uint8)
    cloud[:, 30:] = 9  # the later pre-fire view is cloudy on the east half
    items = [write_s2_scene(tmp_path / "s", "2020-08-01", veg, shape=shape),
             write_s2_scene(tmp_path / "s", "2020-08-20", dict(veg, nir=np.where(cloud == 9, 0.1, 0.32)), scl=cloud,
                            shape=shape),
             write_s2_scene(tmp_path / "s", "2020-10-20", burnt, shape=shape)]
    store = open_store(store_url(tmp_path / "w"), create=True)
    store.upsert_collection(s2_collection())
    for it in items:
        store.upsert_item(it)
    bbox = items[0]["bbox"]
    pre, post, grid, window = nbr_pair_from_catalog(store, bbox, "2020-09-01", "2020-10-10")
    alerts = SQLAlertStore(store)
    west = shapely.box(bbox[0], bbox[1], (bbox[0] + bbox[2]) / 2 - 1e-4, bbox[3])
    with alerts.transaction():
        alerts.insert_alert(Alert("YVY-2020-000001", west.buffer(-1e-4), 1.0, "2020-10-20"))
        alerts.insert_alert(Alert("YVY-2020-000002", shapely.box(bbox[2] - 1e-4, bbox[1], bbox[2], bbox[3]),
                                  1.0, "2020-10-20"))
    # hotspots over the west half during the fire, and a fire elsewhere
    cx, cy = (3 * bbox[0] + bbox[2]) / 4, (bbox[1] + bbox[3]) / 2
    lines = ["latitude,longitude,brightness,acq_date,acq_time,satellite,confidence,frp",
             f"{cy:.5f},{cx:.5f},330,2020-09-15,1340,T,80,20", f"{cy + 1e-4:.5f},{cx:.5f},331,2020-09-16,1350,A,90,25",
             f"{cy + 1:.5f},{cx:.5f},331,2020-09-16,1350,A,90,25"]
    (tmp_path / "h.csv").write_text("\n".join(lines) + "\n")
    fires = SQLFireStore(store)
    ingest_fires([tmp_path / "h.csv"], fires)
    res = map_burn(pre, post, grid, tmp_path / "out", alerts=alerts, fires=fires, window=window)
    assert len(res.scars) == 1 and len(res.scars[0]["fire_events"]) == 1
    assert res.hectares["high"] == pytest.approx(30 * 60 * 0.01, rel=0.05)
    assert set(res.hectares) == {"high"}
    with rasterio.open(res.severity) as ds:  # the cloudy later view did not pass for regrowth
        assert (ds.read(1)[:, 30:] == 0).all()
    assert res.alerts_linked == ["YVY-2020-000001"]
    assert alerts.get_alert("YVY-2020-000001").context["fire"]["severity"] == "high"
    assert "fire" not in alerts.get_alert("YVY-2020-000002").context


def test_burn_publish_registers_layers(tmp_path):
    from yvy.config import Workspace

    pre_p, post_p = _scene_pair(tmp_path)
    home = ["--home", str(tmp_path / "ws")]
    r = CliRunner().invoke(cli, [*home, "burn", "map", "--before", str(pre_p), "--after", str(post_p),
                                 "--out", str(tmp_path / "chaco"), "--publish"])
    assert r.exit_code == 1 and "yvy init" in r.output  # publishing needs a workspace
    assert CliRunner().invoke(cli, [*home, "init"]).exit_code == 0
    r = CliRunner().invoke(cli, [*home, "burn", "map", "--before", str(pre_p), "--after", str(post_p),
                                 "--out", str(tmp_path / "chaco"), "--publish"])
    assert r.exit_code == 0, r.output
    item = open_store(Workspace(tmp_path / "ws").database_url).get_item("yvy-detections-disasters", "burn-chaco")
    assert set(item["assets"]) == {"severity", "dnbr"}
