"""Sentinel-1 ingest: GRD SAFE, OPERA RTC-S1, HyP3 RTC, Equi7 tiles and radar time stacks.

Real provider metadata from the shared data (``products/``, ``sar/``, ``rasters/``); HyP3 (no
real product is staged) from :mod:`yvy.testing.radar`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from yvy.catalog.formats import IngestOptions
from yvy.catalog.formats.opera import parse_iso_xml
from yvy.catalog.formats.radar import units_from_values
from yvy.catalog.formats.registry import claim_all, expand_paths, read_items
from yvy.catalog.formats.sentinel1 import check_calibration
from yvy.catalog.formats.sentinel1_stack import parse_equi7_name
from yvy.errors import InputError
from yvy.testing.products import check_item
from yvy.testing.radar import HYP3_STEM, make_hyp3_rtc, write_stack

from ._ext_schemas import schema_root, validate_extensions

GRD = "products/sentinel1/stactools-packages__sentinel1/tests/data-files/grd/"
IW_GRD = GRD + "S1A_IW_GRDH_1SDV_20210809T173953_20210809T174018_039156_049F13_6FF8.SAFE"
SM_GRD = GRD + "S1C_S4_GRDH_1SDH_20250118T171404_20250118T171421_000638_000538_4B8B.SAFE"
OPERA_CROP = "products/opera/opera-adt__dist-s1/tests/test_data/cropped/10SGD/137/2022-11-14"
OPERA_ISO = "products/opera/ASFHyP3__hyp3-OPERA-RTC/tests/data/opera_v1.0.iso.xml"
EQUI7 = ("sar/s1_sig0_equi7_eu/V1M0R1/EQUI7_EU020M/E051N018T3/"
         "SIG0_20210327T051656__VH_D095_E051N018T3_EU020M_V1M0R1_S1BIWGRDH.tif")
NO_SUM = IngestOptions(checksum=False)


def _one(paths, options=NO_SUM):
    [item] = read_items(paths, options)
    return check_item(item)


def _validate(d, yvy_data):
    checked = validate_extensions(d, schema_root(yvy_data))
    assert any("/sar/" in u for u in checked) and any("/sat/" in u for u in checked)


def test_iw_grd_safe(data_file, yvy_data):
    d = _one([data_file(IW_GRD)])
    p = d["properties"]
    assert d["id"] == "S1A_IW_GRDH_1SDV_20210809T173953_20210809T174018_039156_049F13_6FF8"
    assert d["collection"] == "sentinel-1-grd" and p["yvy:format"] == "sentinel1"
    assert p["sar:polarizations"] == ["VV", "VH"] and p["sar:instrument_mode"] == "IW"
    assert p["sar:product_type"] == "GRD" and p["sar:frequency_band"] == "C"
    assert p["sar:center_frequency"] == pytest.approx(5.405, abs=1e-3)
    assert (p["sat:orbit_state"], p["sat:relative_orbit"], p["sat:absolute_orbit"]) == \
        ("ascending", 59, 39156)
    assert p["platform"] == "sentinel-1a" and p["yvy:units"] == "dn"
    assert p["yvy:terrain_correction"] == "none" and p["sar:pixel_spacing_range"] == 10.0
    assert p["datetime"] == "2021-08-09T17:39:53.153776Z"
    # manifest footprint: lat 44.54..46.44, lon 1.51..5.19
    assert d["bbox"] == pytest.approx([1.512143, 44.536255, 5.188996, 46.436539])
    assert d["assets"]["vv"]["href"].endswith("-001.tiff")
    assert d["assets"]["schema-calibration-vh"]["href"].endswith(
        "calibration-s1a-iw-grd-vh-20210809t173953-20210809t174018-039156-049f13-002.xml")
    assert "proj:code" not in p  # radar geometry: GCPs only
    _validate(d, yvy_data)


def test_s1c_stripmap_grd(data_file, yvy_data):
    d = _one([data_file(SM_GRD)])
    p = d["properties"]
    assert p["platform"] == "sentinel-1c" and p["sar:instrument_mode"] == "SM"
    assert p["sar:polarizations"] == ["HH", "HV"]
    assert (p["sat:relative_orbit"], p["sat:absolute_orbit"]) == (15, 638)
    _validate(d, yvy_data)


def test_calibration_vectors_are_counted(data_file):
    cal = data_file(IW_GRD) / "annotation" / "calibration"
    [path] = cal.glob("calibration-*-vv-*.xml")
    assert check_calibration(str(path)) == 27  # calibrationVectorList count="27"


def test_opera_rtc_crop(data_file, yvy_data):
    d = _one([data_file(OPERA_CROP)])
    p = d["properties"]
    assert d["id"] == "OPERA_L2_RTC-S1_T137-292318-IW1_20221114T015900Z_20250222T234616Z_S1A_30_v1.0"
    assert d["collection"] == "opera-rtc-s1" and p["yvy:units"] == "linear"
    assert p["sar:polarizations"] == ["VV", "VH"] and p["sat:relative_orbit"] == 137
    assert p["opera:burst_id"] == "T137-292318-IW1" and p["datetime"] == "2022-11-14T01:59:00Z"
    assert d["assets"]["vv"]["raster:bands"][0]["unit"] == "linear"
    assert p["proj:code"] == "EPSG:32611"
    _validate(d, yvy_data)


def test_opera_iso_xml(data_file):
    meta = parse_iso_xml(str(data_file(OPERA_ISO)))
    assert meta["TrackNumber"] == "75" and meta["OrbitPassDirection"] == "ascending"
    assert meta["AbsoluteOrbitNumber"] == "16772" and meta["ListOfPolarizations"] == '["VV"]'
    assert meta["OutputBackscatterExpressionConvention"] == "linear backscatter intensity"
    assert meta["OutputBackscatterNormalizationConvention"] == "gamma0"


def test_opera_with_iso_takes_orbit_from_it(data_file, tmp_path, yvy_data):
    crop = data_file(OPERA_CROP)
    stem = "OPERA_L2_RTC-S1_T137-292318-IW1_20221114T015900Z_20250222T234616Z_S1A_30_v1.0"
    shutil.copy(crop / f"{stem}_VV.tif", tmp_path)
    shutil.copy(data_file(OPERA_ISO), tmp_path / f"{stem}.iso.xml")
    d = _one([tmp_path])
    p = d["properties"]
    assert p["sat:orbit_state"] == "ascending" and p["sat:absolute_orbit"] == 16772
    assert p["sar:polarizations"] == ["VV"] and "iso-xml" in d["assets"]
    _validate(d, yvy_data)


@pytest.mark.parametrize("archive", [True, False], ids=["zip", "folder"])
def test_hyp3_rtc(tmp_path, archive, yvy_data):
    make_hyp3_rtc(tmp_path, archive=archive)
    groups, left = claim_all(expand_paths([tmp_path]))
    assert [g.format for g in groups] == ["hyp3"] and not left
    d = _one([tmp_path])
    p = d["properties"]
    assert d["id"] == HYP3_STEM and d["collection"] == "hyp3-rtc"
    assert p["yvy:units"] == "linear" and p["yvy:backscatter"] == "gamma0"  # "gp..." in the name
    assert p["sar:polarizations"] == ["VV", "VH"] and p["sat:absolute_orbit"] == 20362
    assert p["sat:relative_orbit"] == (20362 - 73) % 175 + 1 and p["sat:orbit_state"] == "descending"
    assert set(d["assets"]) >= {"vv", "vh", "ls_map", "readme"}
    _validate(d, yvy_data)


def test_hyp3_units_from_name(tmp_path):
    stem = HYP3_STEM.replace("_gpuned_", "_gduned_")
    make_hyp3_rtc(tmp_path, stem=stem, archive=False)
    assert read_items([tmp_path], NO_SUM)[0].properties["yvy:units"] == "dB"


def test_equi7_tile(data_file, yvy_data):
    f = parse_equi7_name(EQUI7)
    assert (f["polarization"], f["orbit"], f["relative_orbit"], f["platform"]) == \
        ("VH", "descending", 95, "sentinel-1b")
    d = _one([data_file(EQUI7)])  # a tile with no valid pixel: no scale to decide
    p = d["properties"]
    assert d["collection"] == "sentinel-1-equi7" and p["yvy:units"] == "dB"
    assert p["yvy:scale_rule"] == "no valid pixels"
    assert p["datetime"] == "2021-03-27T05:16:56Z" and p["equi7:tile"] == "E051N018T3"
    _validate(d, yvy_data)


@pytest.mark.parametrize("name,scale", [
    ("SIG0_20220304T051732__VH_D095_E051N018T3_EU020M_V1M0R1_S1AIWGRDH.tif", 0.01),
    ("SIG0_20210309T051727__VH_D095_E051N018T3_EU020M_V1M0R1_S1AIWGRDH.tif", 0.1),
])
def test_equi7_scaling_per_file(data_file, yvy_data, name, scale):
    d = _one([data_file(str(Path(EQUI7).parent / name))])
    band = d["assets"]["vh"]["raster:bands"][0]
    assert band["scale"] == scale and band["unit"] == "dB" and band["nodata"] == -9999
    _validate(d, yvy_data)


def test_equi7_every_real_tile_is_plausible_db(data_file):
    """The scaling rule puts every non-empty real tile at a plausible VH sigma0 (dB), and the
    value-range rule agrees the scaled values are dB."""
    import rasterio

    from yvy.catalog.formats.sentinel1_stack import equi7_scale

    scales = []
    for path in sorted(data_file("sar/s1_sig0_equi7_eu").rglob("SIG0_*.tif")):
        scale = equi7_scale(str(path))
        if scale is None:
            continue
        with rasterio.open(path) as ds:
            v = ds.read(1, masked=True).compressed() * scale
        assert units_from_values(v) == "dB", path.name
        assert -25 < float(np.median(v)) < -10, path.name  # VH of land, central Europe
        scales.append(scale)
    assert len(scales) == 166  # of 499 tiles, 333 are entirely nodata
    assert sorted(set(scales)) == [0.01, 0.1]  # both encodings occur in the sample


def test_equi7_unknown_scaling_is_refused(data_file, tmp_path):
    import rasterio

    src = data_file(str(Path(EQUI7).parent /
                        "SIG0_20210309T051727__VH_D095_E051N018T3_EU020M_V1M0R1_S1AIWGRDH.tif"))
    dst = tmp_path / src.name
    with rasterio.open(src) as ds:
        profile, data = ds.profile, ds.read()
    with rasterio.open(dst, "w", **profile) as ds:
        ds.write(np.where(data == -9999, data, 50).astype("int16"))  # positive: neither
    with pytest.raises(InputError, match="cannot tell the dB scaling of this Equi7 tile"):
        read_items([dst], NO_SUM)


def test_bayts_stack_is_radar_in_db(data_file, yvy_data):
    d = _one([data_file("rasters/bayts_s1_vv_bolivia_2014_2016.tif")])
    p = d["properties"]
    assert p["yvy:format"] == "sentinel1_stack" and d["collection"] == "sentinel-1-stack"
    assert p["yvy:units"] == "dB" and p["sar:polarizations"] == ["VV"]
    assert len(p["yvy:stack_dates"]) == 85 and d["assets"]["data"]["bands"][0]["unit"] == "dB"
    assert validate_extensions(d, schema_root(yvy_data))


def test_sumatra_hv_stack_is_db(data_file):
    d = _one([data_file("rasters/pybayts_s1_hv_sumatra_2014_2017.tif")])
    assert d["properties"]["yvy:units"] == "dB" and d["properties"]["sar:polarizations"] == ["HV"]


def test_linear_stack_by_value_range(tmp_path):
    power = np.random.default_rng(0).gamma(2.0, 0.05, (3, 16, 16)).astype("float32")
    path = write_stack(tmp_path / "s1_vh_linear.tif", power,
                       dates=["2020-01-01", "2020-01-13", "2020-01-25"])
    assert read_items([path], NO_SUM)[0].properties["yvy:units"] == "linear"


def test_units_option_overrides(tmp_path):
    power = np.full((2, 8, 8), 40.0, "float32")  # ambiguous: positive, too big for power
    path = write_stack(tmp_path / "s1_vv_stack.tif", power, dates=["2020-01-01", "2020-01-13"])
    item = read_items([path], IngestOptions(checksum=False, units="db"))[0]
    assert item.properties["yvy:units"] == "dB"
