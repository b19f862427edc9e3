"""RadarCube: radar items of mixed units and orbits -> one polarisation in dB on one grid."""

from __future__ import annotations

import numpy as np
import pytest

from yvy.catalog.formats import IngestOptions
from yvy.catalog.formats.registry import read_items
from yvy.cube.radar import normalise_orbits
from yvy.cube.radar_cube import RadarCube
from yvy.errors import InputError
from yvy.testing.radar import make_hyp3_rtc

OPERA_CROP = "products/opera/opera-adt__dist-s1/tests/test_data/cropped/10SGD/137/2022-11-14"
# (date, unit letter, absolute orbit, direction); S1A relative orbit = (abs - 73) % 175 + 1
PASSES = [("20180104T161200", "p", 20012, "descending"), ("20180110T100000", "d", 20100, "ascending"),
          ("20180116T161200", "p", 20187, "descending"), ("20180122T100000", "d", 20275, "ascending")]


def _granule(date: str, absolute: int) -> str:
    return f"S1A_IW_SLC__1SDV_{date}_{date[:9]}235959_{absolute:06d}_022C7B_8E27"


@pytest.fixture
def hyp3_items(tmp_path):
    truth = np.linspace(-14.0, -6.0, 64).reshape(8, 8)  # dB
    for i, (date, unit, absolute, direction) in enumerate(PASSES):
        level = truth + (1.5 if direction == "ascending" else 0.0) + 0.1 * i
        values = level if unit == "d" else 10 ** (level / 10)
        stem = f"S1A_IW_{date}_DVP_RTC30_G_g{unit}uned_{i:04X}"
        make_hyp3_rtc(tmp_path / f"p{i}", stem=stem, values=values, archive=i % 2 == 0,
                      granule=_granule(date, absolute), direction=direction)
    items = [it.to_dict() for it in read_items([tmp_path], IngestOptions(checksum=False))]
    return items, truth


def _geobox(items):
    from affine import Affine
    from odc.geo.geobox import GeoBox

    return GeoBox((8, 8), Affine(30, 0, 500000, 0, -30, 4000000), "EPSG:32616")


def test_mixed_units_become_db_and_orbits_are_kept(hyp3_items):
    items, truth = hyp3_items
    assert sorted(i["properties"]["yvy:units"] for i in items) == ["dB", "dB", "linear", "linear"]
    cube = RadarCube(items, "VV", _geobox(items))
    assert [t.day for t in cube.times] == [4, 10, 16, 22]
    assert cube.orbits == [(d, (a - 73) % 175 + 1) for _, _, a, d in PASSES]
    data = cube.read(slice(0, 8), slice(0, 8))
    assert data.shape == (4, 8, 8) and data.dtype == np.float32
    for i, (_, _, _, direction) in enumerate(PASSES):
        expected = truth + (1.5 if direction == "ascending" else 0.0) + 0.1 * i
        np.testing.assert_allclose(data[i], expected, atol=1e-4)
    flat = normalise_orbits(data, cube.orbits, keep_level=False)
    # the 1.5 dB geometry offset is gone; left: the 0.1 dB/pass drift around each orbit's median
    np.testing.assert_allclose(flat, np.array([-0.1, -0.1, 0.1, 0.1])[:, None, None] + 0 * flat,
                               atol=1e-4)
    with pytest.raises(InputError, match=r"^VV scenes: mixes 2 orbits"):
        RadarCube(items, "VV", _geobox(items), single_orbit=True)
    linear = RadarCube(items, "VH", _geobox(items), units="linear").read(slice(0, 2), slice(0, 2))
    np.testing.assert_allclose(10 * np.log10(linear), data[:, :2, :2], atol=1e-4)


def test_grd_items_are_refused(data_file, yvy_data):
    grd = data_file("products/sentinel1/stactools-packages__sentinel1/tests/data-files/grd/"
                    "S1A_IW_GRDH_1SDV_20210809T173953_20210809T174018_039156_049F13_6FF8.SAFE")
    [item] = read_items([grd], IngestOptions(checksum=False))
    with pytest.raises(InputError, match="uncalibrated GRD in radar geometry"):
        RadarCube([item.to_dict()], "VV", None)


def test_real_opera_crop_in_db(data_file):
    import rasterio

    crop = data_file(OPERA_CROP)
    [item] = read_items([crop], IngestOptions(checksum=False))
    d = item.to_dict()
    from odc.geo.geobox import GeoBox

    with rasterio.open(d["assets"]["vh"]["href"]) as ds:
        raw = ds.read(1).astype("float64")
        geobox = GeoBox(ds.shape, ds.transform, ds.crs)
    cube = RadarCube([d], "vh", geobox)
    got = cube.read(slice(0, raw.shape[0]), slice(0, raw.shape[1]))[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.where(raw > 0, 10 * np.log10(raw), np.nan)
    np.testing.assert_allclose(got, expected, atol=1e-4, equal_nan=True)
    assert -35 < np.nanmedian(got) < 0  # gamma0 VH of land in dB


def test_real_equi7_tiles_as_a_db_time_series(data_file):
    """Equi7 sigma0 tiles (custom aeqd CRS, int16 dB x 10 or x 100) read back as dB per date."""
    import rasterio
    from odc.geo.geobox import GeoBox

    root = data_file("sar/s1_sig0_equi7_eu/V1M0R1/EQUI7_EU020M/E051N018T3")
    by_day = {}  # one frame per day: frames of one pass on one day are mosaicked
    for p in sorted(root.glob("SIG0_2021*.tif")):
        with rasterio.open(p) as ds:
            if ds.read(1, masked=True).count() > 1000:
                by_day.setdefault(p.name[5:13], p)
        if len(by_day) == 6:
            break
    paths = list(by_day.values())
    items = [it.to_dict() for it in read_items(paths, IngestOptions(checksum=False))]
    with rasterio.open(paths[0]) as ds:
        geobox = GeoBox(ds.shape, ds.transform, ds.crs)
    cube = RadarCube(items, "VH", geobox)
    assert {o for o in cube.orbits} == {("descending", 95)}
    data = cube.read(slice(0, geobox.shape[0]), slice(0, geobox.shape[1]))
    order = sorted(range(len(paths)), key=lambda i: items[i]["properties"]["datetime"])
    for t, i in enumerate(order):
        with rasterio.open(paths[i]) as ds:
            raw = ds.read(1, masked=True)
        scale = items[i]["assets"]["vh"]["raster:bands"][0]["scale"]
        expected = raw.astype("float64").filled(np.nan) * scale
        np.testing.assert_allclose(data[t], expected, atol=1e-4, equal_nan=True)
    assert -25 < np.nanmedian(data) < -10  # VH sigma0 of land in dB


def test_hyp3_layover_and_shadow_are_no_data(tmp_path):
    """HyP3's ls_map (GAMMA codes added together): pixels with the layover (4) or shadow (16) bit
    are no data; tested-only (1), slope-only (3, 9) and untested (0) pixels keep their values."""
    from yvy.cube.radar import layover_or_shadow

    codes = np.array([0, 1, 3, 5, 7, 9, 17, 21, 25, 31] * 7)[:64].reshape(8, 8)
    bad = np.isin(codes, (5, 7, 17, 21, 25, 31))
    np.testing.assert_array_equal(layover_or_shadow(codes, "hyp3"), bad)
    values = np.full((8, 8), -9.0)
    date, unit, absolute, direction = PASSES[0]
    make_hyp3_rtc(tmp_path / "p", stem=f"S1A_IW_{date}_DVP_RTC30_G_g{unit}uned_0001", values=10 ** (values / 10),
                  granule=_granule(date, absolute), direction=direction, ls_map=codes, archive=False)
    items = [it.to_dict() for it in read_items([tmp_path], IngestOptions(checksum=False))]
    data = RadarCube(items, "VV", _geobox(items)).read(slice(0, 8), slice(0, 8))[0]
    assert np.isnan(data[bad]).all()
    np.testing.assert_allclose(data[~bad], -9.0, atol=1e-4)


def _power_mean_db(db: np.ndarray, k: int) -> np.ndarray:
    """Reference: 10 log10 of the mean linear power of each k x k block's valid values (numpy)."""
    h, w = db.shape[0] // k, db.shape[1] // k
    p = 10 ** (db[:h * k, :w * k] / 10)
    with np.errstate(invalid="ignore", divide="ignore"):
        return 10 * np.log10(np.nanmean(p.reshape(h, k, w, k).transpose(0, 2, 1, 3).reshape(h, w, -1), axis=2))


def test_coarser_grid_averages_power_of_real_equi7_tiles(data_file):
    """20 m Equi7 sigma0 onto a 60 m grid: each pixel is the mean linear power of its 3 x 3 tile
    pixels (in dB), not the nearest one; on the tiles' own grid the cube keeps nearest."""
    import rasterio
    from affine import Affine
    from odc.geo.geobox import GeoBox

    from yvy.cube.radar_cube import footprint_factor

    root = data_file("sar/s1_sig0_equi7_eu/V1M0R1/EQUI7_EU020M/E051N018T3")
    for path in sorted(root.glob("SIG0_2021*VH*.tif")):
        with rasterio.open(path) as ds:
            raw = ds.read(1, masked=True)
            fine = GeoBox(ds.shape, ds.transform, ds.crs)
        if raw.count() > 1000:
            break
    [item] = [it.to_dict() for it in read_items([path], IngestOptions(checksum=False))]
    raw = raw.astype("float64").filled(np.nan) * item["assets"]["vh"]["raster:bands"][0]["scale"]
    h, w = raw.shape[0] // 3, raw.shape[1] // 3
    coarse = GeoBox((h, w), fine.affine * Affine.scale(3), fine.crs)
    assert footprint_factor([item], "vh", fine) == 1 and footprint_factor([item], "vh", coarse) == 3
    cube = RadarCube([item], "VH", coarse, chunk=64)
    got = np.concatenate([cube.read(slice(r, min(r + 64, h)), slice(0, w))[0] for r in range(0, h, 64)])
    want = _power_mean_db(raw, 3)
    np.testing.assert_allclose(got, want, atol=1e-4, equal_nan=True)
    assert np.isfinite(want).sum() > 300
    nearest = raw[1::3, 1::3][:h, :w]  # what nearest neighbour would give (block centres)
    assert np.nanmean(np.abs(got - nearest)) > 0.5  # speckle: averaging changes the values
    assert np.nanstd(got) < np.nanstd(nearest)  # and smooths them


def test_coarser_grid_average_leaves_out_layover(tmp_path):
    """10 m OPERA-like bursts (linear power, layover/shadow mask) onto 30 m: masked pixels are left
    out of each mean; a pixel with no valid 10 m pixel is no data."""
    from affine import Affine
    from odc.geo.geobox import GeoBox

    from yvy.testing.radar import write_stack

    rng = np.random.default_rng(3)
    power = rng.gamma(4.0, 0.1 / 4.0, (12, 12)).astype(np.float32)
    mask = np.zeros((12, 12), np.uint8)
    mask[0, :5] = 2  # layover: part of pixel (0, 0), all of row 0 of pixel (0, 1)
    mask[3:6, 3:6] = 1  # shadow: all of pixel (1, 1)
    stem = "OPERA_L2_RTC-S1_T137-292318-IW1_20240101T015900Z_20250222T234616Z_S1A_30_v1.0"
    for pol in ("VV", "VH"):
        write_stack(tmp_path / f"{stem}_{pol}.tif", power[None], crs="EPSG:32616", res=10.0, x0=500000.0,
                    y0=4000000.0)
    write_stack(tmp_path / f"{stem}_mask.tif", mask[None], crs="EPSG:32616", res=10.0, x0=500000.0, y0=4000000.0)
    [item] = [it.to_dict() for it in read_items([tmp_path], IngestOptions(checksum=False))]
    cube = RadarCube([item], "VV", GeoBox((4, 4), Affine(30, 0, 500000, 0, -30, 4000000), "EPSG:32616"),
                     units="linear")
    got = cube.read(slice(0, 4), slice(0, 4))[0]
    p = np.where(mask > 0, np.nan, power.astype("float64"))
    blocks = p.reshape(4, 3, 4, 3).transpose(0, 2, 1, 3).reshape(4, 4, 9)
    n = np.isfinite(blocks).sum(axis=2)
    want = np.where(n > 0, np.nansum(blocks, axis=2) / np.maximum(n, 1), np.nan)
    assert np.isnan(got[1, 1]) and np.isnan(want[1, 1])
    np.testing.assert_allclose(got, want, rtol=1e-6, equal_nan=True)
