"""Flood extent: synthetic radar scenes with known water, the shared Sen1Floods11 chip, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner

from yvy.cli.main import cli
from yvy.disaster.flood import FloodParams, NoWaterContrastError, estimate_threshold, map_water
from yvy.kernels import water as wk
from yvy.testing.disaster import s1_flood_scene, water_shapes


def iou(a, b) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


@pytest.mark.parametrize("fraction", [0.03, 0.25])
def test_synthetic_water_is_recovered(tmp_path, fraction):
    truth = water_shapes((600, 500), fraction, seed=1)
    scene = s1_flood_scene(tmp_path / "s1.tif", truth, seed=2)
    res = map_water(scene, tmp_path / "out")
    with rasterio.open(res.water) as ds, rasterio.open(scene) as src:
        w = ds.read(1)
        assert ds.transform == src.transform and ds.crs == src.crs and ds.dtypes[0] == "uint8"
        assert ds.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG" and ds.overviews(1)
    assert set(np.unique(w)) <= {0, 1}
    assert iou(w == 1, truth) > 0.85
    t = res.thresholds["vh_db"]
    assert -23.0 < t["value"] < -14.0 and t["tiles_selected"] >= 1


def test_little_water_needs_the_tiles(tmp_path):
    """With 3 % water a global Otsu splits the land's speckle; the bimodal tiles do not."""
    truth = water_shapes((600, 500), 0.03, seed=3)
    scene = s1_flood_scene(tmp_path / "s1.tif", truth, seed=4)
    tiled = estimate_threshold(scene)
    with rasterio.open(scene) as ds:
        vh = wk.lee_filter_db(ds.read(2))
    lo, hi, n = FloodParams().db_range
    glob = wk.otsu_threshold(np.histogram(vh, bins=n, range=(lo, hi))[0], lo, hi)
    mid = (-23.0 - 14.0) / 2
    assert abs(tiled.value - mid) < abs(glob - mid)


def test_no_contrast_writes_nothing(tmp_path):
    scene = s1_flood_scene(tmp_path / "dry.tif", np.zeros((400, 400), bool), seed=5)
    with pytest.raises(NoWaterContrastError, match="no water/land contrast"):
        map_water(scene, tmp_path / "out")
    assert not (tmp_path / "out" / "water.tif").exists()
    r = CliRunner().invoke(cli, ["--lang", "en", "flood", "map", "--scene", str(scene), "--out", str(tmp_path / "o2")])
    assert r.exit_code == 1
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "no water/land contrast" in lines[0]
    assert not list((tmp_path / "o2").glob("*.tif"))


def test_reference_gives_flood(tmp_path):
    river = water_shapes((400, 400), 0.05, seed=6)
    flooded = river.copy()
    flooded[100:220, 50:350] = True
    before = map_water(s1_flood_scene(tmp_path / "a.tif", river, seed=7), tmp_path / "before")
    after = map_water(s1_flood_scene(tmp_path / "b.tif", flooded, seed=8), tmp_path / "after",
                      reference=before.water)
    with rasterio.open(after.flood) as ds:
        f = ds.read(1) == 1
    assert iou(f, flooded & ~river) > 0.75


def test_hand_mask_removes_high_ground(tmp_path):
    truth = water_shapes((300, 300), 0.2, seed=9)
    scene = s1_flood_scene(tmp_path / "s.tif", truth, seed=10)
    with rasterio.open(scene) as src:
        prof = src.profile | {"count": 1, "dtype": "float32"}
    hand = np.zeros((300, 300), np.float32)
    hand[:, 150:] = 40.0
    with rasterio.open(tmp_path / "hand.tif", "w", **prof) as ds:
        ds.write(hand, 1)
    res = map_water(scene, tmp_path / "out", hand=tmp_path / "hand.tif")
    with rasterio.open(res.water) as ds:
        w = ds.read(1)
    assert not (w[:, 150:] == 1).any() and iou(w[:, :150] == 1, truth[:, :150]) > 0.85


def test_bad_inputs_are_one_line(tmp_path):
    (tmp_path / "junk.tif").write_bytes(b"not a tiff")
    for args in (["--scene", str(tmp_path / "missing.tif")], ["--scene", str(tmp_path / "junk.tif")]):
        r = CliRunner().invoke(cli, ["--lang", "en", "flood", "map", *args, "--out", str(tmp_path / "o")])
        assert r.exit_code == 1 and len(r.output.strip().splitlines()) == 1, r.output
    one = tmp_path / "one.tif"
    with rasterio.open(one, "w", driver="GTiff", width=8, height=8, count=1, dtype="float32",
                       crs="EPSG:4326", transform=rasterio.transform.from_origin(10, 10, 1, 1)) as ds:
        ds.write(np.zeros((1, 8, 8), np.float32))
    r = CliRunner().invoke(cli, ["--lang", "en", "flood", "map", "--scene", str(one), "--out", str(tmp_path / "o")])
    assert r.exit_code == 1 and "no band VH" in r.output


def test_acceptance_on_the_shared_chip(tmp_path, data_file, monkeypatch):
    s1 = data_file("flood/Spain_7370579_S1Hand.tif")
    s2 = data_file("flood/Spain_7370579_S2Hand.tif")
    monkeypatch.chdir(s1.parent.parent)
    for extra in ([], ["--optical", "flood/Spain_7370579_S2Hand.tif"]):
        out = tmp_path / ("fused" if extra else "radar")
        r = CliRunner().invoke(cli, ["flood", "map", "--scene", "flood/Spain_7370579_S1Hand.tif", *extra,
                                     "--out", str(out), "--json"])
        assert r.exit_code == 0, r.output
        summary = json.loads(r.output)
        with rasterio.open(out / "water.tif") as ds, rasterio.open(s1) as src:
            assert (ds.crs, ds.transform, ds.shape, ds.dtypes[0], ds.nodata) == \
                (src.crs, src.transform, src.shape, "uint8", 255)
            w = ds.read(1)
        assert set(np.unique(w)) <= {0, 1, 255}
        assert 0.05 < (w == 1).mean() < 0.6 and summary["pixels"]["water"] == int((w == 1).sum())
    # consistency with the optical view (not a score: NDWI is not the truth)
    with rasterio.open(s2) as ds:
        b = {d: ds.read(i + 1) for i, d in enumerate(ds.descriptions)}
    ndwi, _ = wk.optical_water_indices(b["B3"], b["B8"], b["B11"], b["B2"], b["B10"])
    with rasterio.open(tmp_path / "radar" / "water.tif") as ds:
        radar = ds.read(1) == 1
    clear = np.isfinite(ndwi)
    assert iou(radar & clear, (ndwi > 0) & clear) > 0.5


def test_polygons_with_hectares_per_department(tmp_path, data_file):
    home = ["--home", str(tmp_path / "ws")]
    assert CliRunner().invoke(cli, [*home, "init"]).exit_code == 0
    r = CliRunner().invoke(cli, [*home, "context", "add", str(data_file("vectors/paraguay_departments_ne10m.geojson")),
                                 "--kind", "admin", "--name-field", "name"])
    assert r.exit_code == 0, r.output
    truth = water_shapes((300, 300), 0.2, seed=16)
    scene = s1_flood_scene(tmp_path / "s1.tif", truth, seed=17)  # UTM 21S, inside Paraguay
    r = CliRunner().invoke(cli, [*home, "flood", "map", "--scene", str(scene), "--out", str(tmp_path / "o"),
                                 "--polygons", "--json"])
    assert r.exit_code == 0, r.output
    summary = json.loads(r.output)
    gj = json.loads((tmp_path / "o" / "water_polygons.geojson").read_text())
    total = sum(f["properties"]["ha"] for f in gj["features"])
    assert abs(total - summary["hectares"]["water"]) / summary["hectares"]["water"] < 0.01
    by_dept = sum(v["water"] for v in summary["by_department"].values())
    assert summary["by_department"] and abs(by_dept - total) / total < 0.01
    assert all(f["properties"]["departments"] for f in gj["features"])


def test_published_water_is_served_as_tiles(tmp_path):
    import morecantile
    from fastapi.testclient import TestClient

    from yvy.api import create_app
    from yvy.api._render import EMPTY_PNG
    from yvy.api.settings import ServeSettings
    from yvy.config import Workspace

    home = ["--home", str(tmp_path / "ws")]
    assert CliRunner().invoke(cli, [*home, "init"]).exit_code == 0
    scene = s1_flood_scene(tmp_path / "s1.tif", water_shapes((300, 300), 0.3, seed=18), seed=19)
    r = CliRunner().invoke(cli, [*home, "flood", "map", "--scene", str(scene), "--out", str(tmp_path / "o"),
                                 "--publish", "--json"])
    assert r.exit_code == 0, r.output
    item_id = json.loads(r.output)["item"]
    client = TestClient(create_app(Workspace(tmp_path / "ws"), ServeSettings(notify_interval=0)))
    layers = client.get(f"/tiles/yvy-detections-disasters/{item_id}").json()["layers"]
    assert [lyr["name"] for lyr in layers] == ["water"]
    bbox = client.get(f"/stac/collections/yvy-detections-disasters/items/{item_id}").json()["bbox"]
    t = morecantile.tms.get("WebMercatorQuad").tile((bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2, 15)
    png = client.get(f"/tiles/yvy-detections-disasters/{item_id}/water/{t.z}/{t.x}/{t.y}.png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG") and png.content != bytes(EMPTY_PNG)


def test_two_land_covers_are_not_water(tmp_path):
    """Forest and grassland make a bimodal VH histogram too (split near -15 dB): without open water
    the scene is refused, not mapped as water (max_split_db)."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    from yvy.disaster.flood import NoWaterContrastError, map_water

    rng = np.random.default_rng(3)
    n = 300
    forest = np.zeros((n, n), bool)
    forest[:, : n // 2] = True
    bands = []
    for db_forest, db_grass in ((-7.0, -10.0), (-12.5, -17.0)):
        mean = np.where(forest, db_forest, db_grass)
        bands.append((mean + 10 * np.log10(rng.gamma(4.4, 1 / 4.4, (n, n)))).astype(np.float32))
    scene = tmp_path / "land.tif"
    with rasterio.open(scene, "w", driver="GTiff", width=n, height=n, count=2, dtype="float32",
                       crs="EPSG:32720", transform=from_origin(600000, 7500000, 10, 10)) as ds:
        ds.write(np.stack(bands))
        ds.descriptions = ("VV", "VH")
    with pytest.raises(NoWaterContrastError, match="split below -18.0 dB"):
        map_water(scene, tmp_path / "out")
    assert not (tmp_path / "out" / "water.tif").exists()
