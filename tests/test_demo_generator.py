"""Tests for yvy.demo.generate_demo: layout, STAC, COGs, ground truth, determinism."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pystac
import pytest
import rasterio
import shapely
from pyproj import Transformer
from rasterio.features import rasterize
from shapely.geometry import shape

from yvy.demo import DemoResult, generate_demo
from yvy.demo._landscape import CLEARED, FOREST, RETAINED
from yvy.errors import ConflictError, DateRangeError, InputError

BANDS = ("B02", "B03", "B04", "B08", "B11", "B12")
ASSETS = {
    "blue": "B02",
    "green": "B03",
    "red": "B04",
    "nir": "B08",
    "swir16": "B11",
    "swir22": "B12",
    "scl": "SCL",
}
EPOCH = date(1970, 1, 1)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> tuple[DemoResult, list]:
    """A small demo: 1.5 km square, two years every 10 days (fast to build)."""
    calls: list = []
    out = tmp_path_factory.mktemp("demo")
    result = generate_demo(
        out,
        size_px=150,
        start="2021-01-01",
        years=2,
        revisit_days=10,
        seed=7,
        progress=lambda done, total, label: calls.append((done, total, label)),
    )
    return result, calls


@pytest.fixture(scope="module")
def demo(demo_run) -> DemoResult:
    return demo_run[0]


@pytest.fixture(scope="module")
def cube(demo):
    """NDVI (t, y, x) with NaN where SCL is not 4/5, and the SCL stack."""
    ndvi, scl = [], []
    for folder in demo.scene_dirs:
        with (
            rasterio.open(folder / "B04.tif") as r,
            rasterio.open(folder / "B08.tif") as n,
            rasterio.open(folder / "SCL.tif") as s,
        ):
            red = (r.read(1).astype(np.float32) - 1000) / 10000
            nir = (n.read(1).astype(np.float32) - 1000) / 10000
            c = s.read(1)
        v = (nir - red) / (nir + red)
        v[~np.isin(c, (4, 5))] = np.nan
        ndvi.append(v)
        scl.append(c)
    return np.stack(ndvi), np.stack(scl)


def _days(demo) -> np.ndarray:
    return np.array([(d - EPOCH).days for d in demo.dates])


def _read(path: Path) -> np.ndarray:
    with rasterio.open(path) as ds:
        return ds.read(1)


# --------------------------------------------------------------------------- layout


def test_result_and_layout(demo_run):
    demo, calls = demo_run
    assert demo.crs == "EPSG:32720"
    assert demo.mgrs_tile == "20KQA"
    assert demo.shape == (150, 150)
    assert len(demo.dates) == len(demo.scene_dirs) == len(demo.item_paths) == 73
    assert all(b - a == timedelta(days=10) for a, b in zip(demo.dates, demo.dates[1:], strict=False))
    assert len(calls) == 73 and calls[-1][:2] == (73, 73)
    assert [c[2] for c in calls] == [f.name for f in demo.scene_dirs]
    left, bottom, right, top = demo.bounds
    assert right - left == top - bottom == 1500
    # on the real 20KQA tile grid (origin 699960, 7600040)
    assert (left - 699960) % 10 == 0 and (7600040 - top) % 10 == 0
    west, south, east, north = demo.bounds_lonlat
    assert -60.5 < west < east < -60.3 and -22.1 < south < north < -21.9
    for k, folder in enumerate(demo.scene_dirs):
        assert re.fullmatch(r"S2[AB]_20KQA_\d{8}_0_L2A", folder.name)
        assert folder.name[:3] == ("S2A" if k % 2 == 0 else "S2B")
        assert folder.name.split("_")[2] == demo.dates[k].strftime("%Y%m%d")
        names = sorted(p.name for p in folder.iterdir())
        assert names == sorted([*(f"{b}.tif" for b in BANDS), "SCL.tif", f"{folder.name}.json"])
        assert demo.item_paths[k] == folder / f"{folder.name}.json"
    for path in (demo.truth_path, demo.truth_mask_path, demo.landcover_path, demo.manifest_path):
        assert path.is_file() and path.parent == demo.out_dir


def test_items_are_valid_stac_in_earth_search_form(demo):
    for path in demo.item_paths[::9]:
        raw = json.loads(path.read_text())
        item = pystac.Item.from_dict(raw)
        p = item.properties
        assert item.id == path.stem
        assert item.collection_id == "sentinel-2-l2a"
        assert p["platform"] in ("sentinel-2a", "sentinel-2b")
        assert p["constellation"] == "sentinel-2" and p["instruments"] == ["msi"]
        assert p["s2:processing_baseline"] == "05.09"
        assert p["earthsearch:boa_offset_applied"] is False
        assert raw["properties"]["proj:epsg"] == 32720  # as Earth Search writes it
        assert p["proj:code"] == "EPSG:32720"  # pystac migrates proj:epsg to proj:code
        assert (p["mgrs:utm_zone"], p["mgrs:latitude_band"], p["mgrs:grid_square"]) == (
            20,
            "K",
            "QA",
        )
        assert p["s2:product_uri"].startswith(path.stem[:3] + "_MSIL2A_")
        assert "_N0509_" in p["s2:product_uri"] and "_T20KQA_" in p["s2:product_uri"]
        assert item.datetime.date().strftime("%Y%m%d") == path.stem.split("_")[2]
        assert 30 < p["view:sun_elevation"] < 80
        assert set(item.assets) == set(ASSETS)
        for key, stem in ASSETS.items():
            asset = raw["assets"][key]
            assert asset["href"] == f"{stem}.tif"
            assert (path.parent / asset["href"]).is_file()
            assert "cloud-optimized" in asset["type"]
            assert asset["proj:shape"] == [150, 150]
            assert asset["proj:transform"] == list(demo.transform)
            band = asset["raster:bands"][0]
            assert band["nodata"] == 0
            if key == "scl":
                assert band["data_type"] == "uint8"
            else:
                assert band["data_type"] == "uint16"
                assert (band["scale"], band["offset"]) == (0.0001, -0.1)
                assert asset["eo:bands"][0]["common_name"] == key
        lon, lat = np.array(raw["geometry"]["coordinates"][0]).T
        assert raw["bbox"] == [lon.min(), lat.min(), lon.max(), lat.max()]


def test_cloud_cover_is_the_scl_cloud_fraction(demo, cube):
    _, scl = cube
    covers = []
    for k, path in enumerate(demo.item_paths):
        p = json.loads(path.read_text())["properties"]
        valid = scl[k] != 0
        frac = 100 * np.isin(scl[k][valid], (8, 9, 10)).mean()
        assert p["eo:cloud_cover"] == pytest.approx(frac, abs=1e-4)
        assert p["s2:cloud_shadow_percentage"] == pytest.approx(
            100 * (scl[k][valid] == 3).mean(), abs=1e-4
        )
        covers.append((demo.dates[k].month, p["eo:cloud_cover"]))
    wet = [c for m, c in covers if m in (11, 12, 1, 2, 3)]
    dry = [c for m, c in covers if m in (6, 7, 8, 9)]
    assert np.mean(wet) > np.mean(dry)  # the wet season is cloudier
    assert sum(c == 0 for _, c in covers) >= 10  # and there are clear scenes


def test_clouds_are_bright_and_shadows_dark(demo, cube):
    _, scl = cube
    red = np.stack([_read(f / "B04.tif") for f in demo.scene_dirs]).astype(np.float32)
    clear, cloud, shadow = np.isin(scl, (4, 5)), scl == 9, scl == 3
    assert cloud.any() and shadow.any()
    assert np.median(red[cloud]) > 1000 + 2500  # reflectance > 0.25
    assert np.median(red[shadow]) < np.median(red[clear])


def test_cogs_are_valid_on_the_scene_grid(demo):
    folder = demo.scene_dirs[3]
    for name in (*(f"{b}.tif" for b in BANDS), "SCL.tif"):
        with rasterio.open(folder / name) as ds:
            assert ds.driver == "GTiff"
            assert ds.profile["tiled"]
            assert ds.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
            assert ds.compression.name.lower() == "deflate"
            assert ds.crs.to_epsg() == 32720
            assert tuple(ds.transform)[:6] == demo.transform
            assert (ds.width, ds.height) == demo.shape
            assert ds.nodata == 0
            assert ds.dtypes[0] == ("uint8" if name == "SCL.tif" else "uint16")
            data = ds.read(1)
        if name != "SCL.tif":  # DN = reflectance * 10000 + 1000 (baseline 05.09)
            assert 1000 < np.median(data[data > 0]) < 1000 + 6000


def test_large_grids_get_overviews(tmp_path):
    from yvy.demo._site import site_grid
    from yvy.demo.generator import _write_cog

    grid = site_grid(1100)
    data = np.random.default_rng(0).integers(1000, 3000, (1100, 1100), dtype=np.uint16)
    _write_cog(tmp_path / "x.tif", data, grid, nodata=0, resampling="AVERAGE")
    with rasterio.open(tmp_path / "x.tif") as ds:
        assert ds.overviews(1) and ds.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        assert ds.bounds == grid.bounds


# --------------------------------------------------------------------------- ground truth


def test_truth_geojson_is_exactly_the_cleared_pixels(demo):
    fc = json.loads(demo.truth_path.read_text())
    mask = _read(demo.truth_mask_path)
    cover = _read(demo.landcover_path)
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) >= 3
    kinds = {f["properties"]["kind"] for f in fc["features"]}
    assert kinds == {"block", "irregular"}
    to_utm = Transformer.from_crs(4326, 32720, always_xy=True)
    all_cleared = np.zeros(mask.shape, bool)
    for f in fc["features"]:
        props = f["properties"]
        d = date.fromisoformat(props["date"])
        assert d >= date(2021, 1, 1) + timedelta(days=548)  # 1.5 years of clean history
        assert d <= date(2023, 1, 1) - timedelta(days=45)
        lon, lat = np.array(shapely.get_coordinates(shape(f["geometry"]))).T
        assert (-61 < lon).all() and (lon < -60).all() and (-23 < lat).all() and (lat < -21).all()
        geom = shapely.transform(
            shape(f["geometry"]), lambda xy: np.column_stack(to_utm.transform(xy[:, 0], xy[:, 1]))
        )
        burnt = rasterize([geom], out_shape=mask.shape, transform=demo.transform).astype(bool)
        truth = mask == (d - EPOCH).days
        assert (burnt == truth).all(), props["id"]
        assert props["area_ha"] == pytest.approx(truth.sum() * 0.01)
        assert geom.area / 10_000 == pytest.approx(props["area_ha"], abs=0.01)
        if props["kind"] == "block":
            assert props["area_ha"] >= 5
        else:
            assert 0.5 <= props["area_ha"] <= 5
        all_cleared |= truth
    assert ((mask > 0) == all_cleared).all()
    assert ((cover == CLEARED) == all_cleared).all()
    # blocks leave windbreaks standing: retained forest inside their bounding boxes
    blocks = [f for f in fc["features"] if f["properties"]["kind"] == "block"]
    assert any(shape(f["geometry"]).geom_type == "MultiPolygon" for f in blocks)
    assert demo.clearings and [c.id for c in demo.clearings] == [f["id"] for f in fc["features"]]


def test_ndvi_drops_inside_each_clearing_after_its_date(demo, cube):
    ndvi, _ = cube
    days = _days(demo)
    mask = _read(demo.truth_mask_path)
    for c in demo.clearings:
        inside = mask == (c.date - EPOCH).days
        d = (c.date - EPOCH).days
        before = (days >= d - 120) & (days < d)
        after = (days >= d) & (days <= d + 70)
        pre = np.nanmean(ndvi[before][:, inside])
        post = np.nanmean(ndvi[after][:, inside])
        assert pre > 0.5, (c, pre)
        assert post < pre - 0.25, (c, pre, post)


def test_windbreaks_and_intact_forest_keep_forest_ndvi(demo, cube):
    ndvi, _ = cube
    cover = _read(demo.landcover_path)
    days = _days(demo)
    last = (max(c.date for c in demo.clearings) - EPOCH).days
    retained, forest = cover == RETAINED, cover == FOREST
    assert retained.sum() > 100
    for k in np.flatnonzero(days > last):  # after every clearing happened
        r, f = np.nanmean(ndvi[k][retained]), np.nanmean(ndvi[k][forest])
        if np.isfinite(r) and np.isfinite(f) and np.isfinite(ndvi[k][retained]).mean() > 0.5:
            assert r > 0.45 and abs(r - f) < 0.08, (demo.dates[k], r, f)
    # intact forest: seasonal, but the same level in both years and in the forest range
    per_date = np.array(
        [np.nanmean(v[forest]) if np.isfinite(v[forest]).mean() > 0.5 else np.nan for v in ndvi]
    )
    year1, year2 = per_date[days < days[0] + 365], per_date[days >= days[0] + 365]
    assert abs(np.nanmean(year1) - np.nanmean(year2)) < 0.06
    assert 0.45 < np.nanmin(per_date) and np.nanmax(per_date) < 0.85
    assert np.nanmax(per_date) - np.nanmin(per_date) > 0.1  # wet/dry cycle


def test_pasture_and_crops_swing_more_than_forest(demo, cube):
    from yvy.demo._landscape import CROP, PASTURE

    ndvi, _ = cube
    cover = _read(demo.landcover_path)

    def swing(cls):
        v = np.array(
            [
                np.nanmean(x[cover == cls]) if np.isfinite(x[cover == cls]).mean() > 0.5 else np.nan
                for x in ndvi
            ]
        )
        return np.nanpercentile(v, 95) - np.nanpercentile(v, 5)

    assert swing(PASTURE) > swing(FOREST) + 0.1
    assert swing(CROP) > swing(FOREST) + 0.2


# --------------------------------------------------------------------------- determinism


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_bytes(tmp_path):
    kw = {"size_px": 100, "years": 2, "revisit_days": 30, "seed": 11}
    a = generate_demo(tmp_path / "a", **kw)
    b = generate_demo(tmp_path / "b", **kw)
    assert _digest(a.out_dir) == _digest(b.out_dir)
    c = generate_demo(tmp_path / "c", **{**kw, "seed": 12})
    assert _digest(c.out_dir)["truth.geojson"] != _digest(a.out_dir)["truth.geojson"]
    # rerunning over a previous demo replaces it (and drops scenes no longer made)
    d = generate_demo(tmp_path / "a", **{**kw, "revisit_days": 29})
    names = {p.name for p in (tmp_path / "a" / "scenes").iterdir()}
    assert names == {p.name for p in d.scene_dirs}


# --------------------------------------------------------------------------- arguments


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"size_px": 20}, InputError),
        ({"size_px": 300.5}, InputError),
        ({"years": 1}, InputError),
        ({"revisit_days": 0}, InputError),
        ({"seed": -1}, InputError),
        ({"start": "2021-13-01"}, DateRangeError),
        ({"start": "2016-01-01"}, DateRangeError),
    ],
)
def test_bad_arguments(tmp_path, kwargs, error):
    with pytest.raises(error) as info:
        generate_demo(tmp_path / "x", **kwargs)
    assert "\n" not in str(info.value)
    assert not (tmp_path / "x").exists()


def test_refuses_a_folder_that_is_not_a_demo(tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(ConflictError):
        generate_demo(tmp_path, size_px=100, years=2, revisit_days=30)
    assert (tmp_path / "mine.txt").read_text() == "keep me"


def test_truth_keeps_holes_and_leaves_windbreaks_out():
    """Landscape level (no scenes): remnant trees are holes, windbreaks split blocks."""
    from yvy.demo._landscape import build_landscape
    from yvy.demo._site import site_grid
    from yvy.demo._truth import truth_collection

    grid = site_grid(300)
    land = build_landscape(300, np.random.default_rng([2, 1]), 19358, 19631)
    fc = truth_collection(land, grid, [], seed=2)
    assert 4 <= len(fc["features"]) <= 8
    holes = 0
    for f in fc["features"]:
        geom = shape(f["geometry"])
        polys = [geom] if geom.geom_type == "Polygon" else list(geom.geoms)
        for p in polys:
            assert p.exterior.is_ccw  # RFC 7946 winding
            holes += len(p.interiors)
        if f["properties"]["kind"] == "block":
            assert len(polys) >= 2  # split by at least one windbreak
            assert 10 <= f["properties"]["area_ha"] <= 300
    assert holes >= 1
    # windbreak strips are 50-100 m wide forest left inside each block
    for c in land.clearings:
        if c.kind != "block":
            continue
        rows, cols = np.nonzero(land.clear_id == c.id)
        box = (slice(rows.min(), rows.max() + 1), slice(cols.min(), cols.max() + 1))
        kept = land.cover[box] == RETAINED
        widths = [run for line in (kept.all(axis=1), kept.all(axis=0)) for run in _runs(line)]
        assert widths and all(5 <= w <= 10 for w in widths), widths


def _runs(flags: np.ndarray) -> list[int]:
    padded = np.concatenate([[0], flags.astype(int), [0]])
    edges = np.flatnonzero(np.diff(padded))
    return list(edges[1::2] - edges[::2])
