"""GRD calibration on the real calibration and noise vectors of two Sentinel-1 products.

The measurement TIFFs in the shared data are placeholders, so the digital numbers are chosen
here; the expected values come from the raw XML vectors, parsed independently below, at
their own nodes (where no interpolation is involved).
"""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from yvy.catalog.formats.sentinel1_calib import (
    calibrate_grd,
    calibrate_window,
    open_luts,
    radar_geometry,
)

GRD = "products/sentinel1/stactools-packages__sentinel1/tests/data-files/grd/"
IW = GRD + "S1A_IW_GRDH_1SDV_20210809T173953_20210809T174018_039156_049F13_6FF8.SAFE"
SM = GRD + "S1C_S4_GRDH_1SDH_20250118T171404_20250118T171421_000638_000538_4B8B.SAFE"


def _vectors(path, tag, key):
    root = ET.parse(path).getroot()
    out = []
    for v in root.iter(tag):
        out.append((int(v.findtext("line")), np.array(v.findtext("pixel").split(), int),
                    np.array(v.findtext(key).split(), float)))
    return out


def _xml(safe, kind, pol):
    [p] = (safe / "annotation" / "calibration").glob(f"{kind}-*-{pol}-*.xml")
    return p


@pytest.mark.parametrize("quantity,key", [("sigma0", "sigmaNought"), ("gamma0", "gamma"),
                                          ("beta0", "betaNought")])
def test_calibration_at_vector_nodes(data_file, quantity, key):
    safe = data_file(IW)
    luts = open_luts(safe, "VV")
    line, pixels, values = _vectors(_xml(safe, "calibration", "vv"), "calibrationVector", key)[3]
    sel = slice(10, 14)  # four consecutive nodes, 40 px apart
    dn = values[sel] * 0.3  # DN = 0.3 * A  ->  value = 0.09
    for col, a in zip(pixels[sel], dn, strict=True):
        got = calibrate_window(np.array([[a]]), luts, line, int(col), quantity, denoise=False)
        assert got[0, 0] == pytest.approx(0.09, rel=1e-5)


def test_calibration_between_nodes_is_interpolated(data_file):
    safe = data_file(IW)
    luts = open_luts(safe, "VV")
    line, pixels, sigma = _vectors(_xml(safe, "calibration", "vv"), "calibrationVector",
                                   "sigmaNought")[5]
    mid = (pixels[20] + pixels[21]) // 2
    got = calibrate_window(np.array([[100.0]]), luts, line, int(mid), denoise=False)[0, 0]
    a = (sigma[20] + sigma[21]) / 2
    assert got == pytest.approx(100.0**2 / a**2, rel=1e-4)


def test_thermal_noise_removed_with_subswath_azimuth_blocks(data_file):
    safe = data_file(IW)
    luts = open_luts(safe, "VV")
    cal = _vectors(_xml(safe, "calibration", "vv"), "calibrationVector", "sigmaNought")
    noise = _vectors(_xml(safe, "noise", "vv"), "noiseRangeVector", "noiseRangeLut")
    assert len(luts.noise_azimuth) == 3  # IW1, IW2, IW3 blocks
    line = cal[0][0]
    assert noise[0][0] == line == 0
    # a pixel that is a node of both the calibration and the range noise vector, in IW2
    col = 12000
    a = cal[0][2][list(cal[0][1]).index(col)]
    n_rng = noise[0][2][list(noise[0][1]).index(col)]
    first, last, c0, c1, lines, az = luts.noise_azimuth[1]
    assert c0 <= col <= c1 and lines[0] == 0
    n = n_rng * az[0]
    dn = np.sqrt(n + 0.05 * a * a)  # value after denoising: 0.05
    got = calibrate_window(np.array([[dn]]), luts, line, col, "sigma0", denoise=True)[0, 0]
    assert got == pytest.approx(0.05, rel=1e-4)
    raw = calibrate_window(np.array([[dn]]), luts, line, col, "sigma0", denoise=False)[0, 0]
    assert raw == pytest.approx(0.05 + n / a**2, rel=1e-4)


def test_dn_zero_and_noise_floor_are_nan(data_file):
    luts = open_luts(data_file(IW), "VV")
    got = calibrate_window(np.array([[0.0, 1.0]]), luts, 0, 12000, denoise=True)
    assert np.isnan(got).all()  # DN 0 = no data; DN 1 is below the noise floor


def test_calibrate_grd_window_file(data_file, tmp_path):
    import rasterio
    from rasterio.control import GroundControlPoint
    from rasterio.windows import Window

    safe = tmp_path / data_file(SM).name
    shutil.copytree(data_file(SM), safe)
    [meas] = (safe / "measurement").glob("*-hh-*.tiff")
    dn = np.full((64, 64), 300, "uint16")
    gcps = [GroundControlPoint(0, 0, 10.0, 50.0, 0.0), GroundControlPoint(11523, 8086, 12.0, 51.0, 0.0)]
    with rasterio.open(meas, "w", driver="GTiff", width=8087, height=11524, count=1,
                       dtype="uint16", tiled=True, sparse_ok=True, nodata=0, gcps=gcps,
                       crs="EPSG:4326") as ds:
        ds.write(dn, 1, window=Window(4000, 5000, 64, 64))
    out = calibrate_grd(safe, "HH", tmp_path / "hh_sigma0.tif", quantity="sigma0",
                        window=Window(4000, 5000, 64, 64), block_rows=16)
    luts = open_luts(safe, "HH")
    expected = calibrate_window(dn, luts, 5000, 4000, "sigma0", denoise=True)
    with rasterio.open(out) as ds:
        got = ds.read(1)
        assert ds.tags(1)["terrain_correction"] == "none"
        assert ds.gcps[0][0].row == -5000 and ds.gcps[0][0].col == -4000
    np.testing.assert_allclose(got, expected.astype("float32"), rtol=1e-6)
    assert np.isfinite(got).all() and 0 < float(np.median(got)) < 10
    assert [p.name for p in tmp_path.glob(".hh_sigma0*")] == []


def test_placeholder_measurement_is_one_line_error(data_file, tmp_path):
    from yvy.errors import InputError

    with pytest.raises(InputError, match="unreadable measurement TIFF") as exc:
        calibrate_grd(data_file(SM), "HH", tmp_path / "x.tif")
    assert "\n" not in str(exc.value)
    assert not (tmp_path / "x.tif").exists() and not list(tmp_path.iterdir())


def test_zipped_safe_must_be_unpacked(data_file):
    from yvy.errors import InputError

    zipped = data_file("products/sentinel1/johntruckenbrodt__pyroSAR/tests/data/"
                       "S1A_IW_GRDH_1SDV_20210119T031653_20210119T031718_036201_043ED0_8255.zip")
    with pytest.raises(InputError, match="not a SAFE folder; calibration reads an unpacked SAFE"):
        open_luts(zipped, "VV")


def test_geocode_grd_window_then_ingest(data_file, tmp_path):
    """Calibrate + geocode a window of the real S1C stripmap product (GCPs from its annotation
    geolocation grid) and ingest the result as a radar item with the GRD's orbit."""
    import rasterio
    import rasterio.warp
    from rasterio.windows import Window

    from yvy.catalog.formats import IngestOptions
    from yvy.catalog.formats.registry import read_items
    from yvy.catalog.formats.sentinel1_geocode import geocode_grd

    safe = tmp_path / data_file(SM).name
    shutil.copytree(data_file(SM), safe)
    [meas] = (safe / "measurement").glob("*-hh-*.tiff")
    win = Window(4000, 5000, 256, 256)
    with radar_geometry(), rasterio.open(meas, "w", driver="GTiff", width=8087, height=11524,
                                         count=1, dtype="uint16", tiled=True, sparse_ok=True,
                                         nodata=0) as ds:
        ds.write(np.full((256, 256), 300, "uint16"), 1, window=win)
    out = geocode_grd(safe, "HH", tmp_path / "out", quantity="sigma0", resolution=20.0,
                      window=win)
    assert out.name.endswith("_HH_sigma0.tif") and [p.name for p in out.parent.iterdir()] == [out.name]
    radar = calibrate_window(np.full((256, 256), 300.0), open_luts(safe, "HH"), 5000, 4000)
    with rasterio.open(out) as ds:
        assert ds.crs.to_epsg() // 100 in (326, 327) and ds.res == (20.0, 20.0)
        v = ds.read(1)
        [lon], [lat] = rasterio.warp.transform(ds.crs, "EPSG:4326", [ds.bounds.left],
                                               [ds.bounds.top])
    valid = v[np.isfinite(v)]
    # 256 x 256 px of 10 m -> about 2.5 km: 100..200 px of 20 m once warped
    assert 100 * 100 < np.isfinite(v).sum() < 200 * 200
    assert radar.min() - 1e-6 <= valid.min() and valid.max() <= radar.max() + 1e-6
    # the warped window lies inside the product's footprint (manifest gml:coordinates)
    west, south, east, north = read_items([safe], IngestOptions(checksum=False))[0].bbox
    assert west < lon < east and south < lat < north
    [item] = read_items([out], IngestOptions(checksum=False))
    p = item.properties
    assert item.collection_id == "sentinel-1-grd-sigma0" and p["yvy:units"] == "linear"
    assert (p["sat:relative_orbit"], p["sat:orbit_state"]) == (15, "ascending")
    assert p["sar:polarizations"] == ["HH"] and p["datetime"].startswith("2025-01-18T17:14:04")


def test_irregular_noise_vectors_fall_back_to_per_vector_interpolation(data_file, tmp_path):
    """Noise range vectors on different pixel positions (which xarray-sentinel cannot put on a
    grid) are interpolated vector by vector; on the first vector the result is unchanged."""
    safe = tmp_path / data_file(IW).name
    shutil.copytree(data_file(IW), safe)
    target = _xml(safe, "noise", "vv")
    text = target.read_text()
    second = text.index("<noiseRangeVector>", text.index("<noiseRangeVector>") + 1)
    start = text.index("<pixel", second)
    text = text[:start] + text[start:].replace(" 40 80 ", " 41 80 ", 1)  # shift one node
    target.write_text(text)
    luts = open_luts(safe, "VV")
    assert isinstance(luts.noise_range, tuple) and len(luts.noise_range) == 26
    reference = open_luts(data_file(IW), "VV")
    dn = np.full((1, 64), 500.0)
    got = calibrate_window(dn, luts, 0, 11990, denoise=True)
    want = calibrate_window(dn, reference, 0, 11990, denoise=True)
    np.testing.assert_allclose(got, want, rtol=1e-6)
    mid = calibrate_window(dn, luts, 300, 11990, denoise=True)
    ref_mid = calibrate_window(dn, reference, 300, 11990, denoise=True)
    np.testing.assert_allclose(mid, ref_mid, rtol=1e-5)  # the shifted node is far from here
