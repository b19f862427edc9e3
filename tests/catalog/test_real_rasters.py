"""Every shared real raster (and the IRS LISS-III tile) becomes items with the right CRS, grid,
dates and band count, cross-checked against rasterio and MANIFEST.md."""

from __future__ import annotations

import pytest
import rasterio

from yvy.catalog.formats import IngestOptions
from yvy.catalog.formats.registry import claim_all, expand_paths, get_format
from yvy.testing.products import check_item

from ..conftest import missing

# file -> (proj:code, bands, first date, last date) from MANIFEST.md
EXPECTED = {
    "bfast_modis_ndvi_somalia_2000_2012.tif": ("EPSG:4267", 275, "2000-02-18", "2012-01-17"),
    "sits_modis_mod13q1_ndvi_sinop_2013_2014.tif": (None, 12, "2013-09-14", "2014-08-29"),
    "sits_cbers4_awfi_b13_cerrado_2017_2018.tif": ("EPSG:10857", 24, "2017-08-29", "2018-08-29"),
    "sits_cbers4_awfi_b14_cerrado_2017_2018.tif": ("EPSG:10857", 24, "2017-08-29", "2018-08-29"),
    "sits_cbers4_awfi_b15_cerrado_2017_2018.tif": ("EPSG:10857", 24, "2017-08-29", "2018-08-29"),
    "sits_cbers4_awfi_b16_cerrado_2017_2018.tif": ("EPSG:10857", 24, "2017-08-29", "2018-08-29"),
    "sits_cbers4_awfi_cmask_cerrado_2017_2018.tif": ("EPSG:10857", 24, "2017-08-29", "2018-08-29"),
    "eolearn_s2_l1c_ndvi_slovenia_2015_2017.tif": ("EPSG:32633", 68, "2015-07-11", "2017-12-22"),
    "eolearn_s2_cloudmask_slovenia_2015_2017.tif": ("EPSG:32633", 68, "2015-07-11", "2017-12-22"),
    "bayts_landsat_ndvi_bolivia_2005_2016.tif": ("EPSG:32720", 291, "2005-01-03", "2016-05-25"),
    "bayts_s1_vv_bolivia_2014_2016.tif": ("EPSG:32720", 85, "2014-10-07", "2016-05-17"),
    "pybayts_s1_hv_sumatra_2014_2017.tif": ("EPSG:4326", 277, "2014-10-16", "2017-07-15"),
    "multiearth_deforestation_labels_latm411_lonm5514_2016_2021.tif": ("EPSG:32722", 11, "2016-08-01", "2021-08-01"),
    **{f"multiearth_landsat_{b}_latm411_lonm5514_1985_2020.tif": ("EPSG:32722", 6, "2003-08-13", "2020-07-26")
       for b in ("blue", "green", "red", "nir", "swir1", "swir2", "qa_pixel")},
}


@pytest.fixture(scope="module")
def real_items(yvy_data):
    paths = expand_paths([yvy_data / "rasters", yvy_data / "irs"])
    groups, left = claim_all(paths)
    assert not left, left
    by_href = {}
    for group in groups:
        for item in get_format(group.format).to_items(group, IngestOptions(checksum=False)):
            for asset in item.assets.values():
                by_href[asset.href] = (item, asset)
    return by_href


def test_every_manifest_raster_is_present(yvy_data):
    have = {p.name for p in (yvy_data / "rasters").glob("*.tif")}
    assert set(EXPECTED) <= have


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_raster(real_items, yvy_data, name):
    path = str(yvy_data / "rasters" / name)
    if not (yvy_data / "rasters" / name).exists():
        missing(f"real test file rasters/{name} not found under {yvy_data}")
    item, asset = real_items[path]
    d = check_item(item)
    code, count, first, last = EXPECTED[name]
    props = d["properties"]
    crs_code = props.get("proj:code", asset.extra_fields.get("proj:code"))
    assert crs_code == code
    if code is None:
        assert "Sinusoidal" in props["proj:wkt2"]
    a = asset.extra_fields
    with rasterio.open(path) as ds:
        assert a["proj:shape"] == [ds.height, ds.width]
        assert a["proj:transform"] == pytest.approx(list(ds.transform)[:6])
        assert ds.count == count == len(a["bands"])
        assert [b["description"][:10] for b in a["bands"]] == [x[:10] for x in ds.descriptions]
        if code is None:
            assert ds.crs.to_epsg() is None
        else:
            assert ds.crs.to_epsg() == int(code.split(":")[1])
    assert props["datetime"] is None
    assert props["start_datetime"][:10] == first and props["end_datetime"][:10] == last
    assert len(props["yvy:stack_dates"]) == count
    west, south, east, north = d["bbox"]
    assert -180 <= west < east <= 180 and -90 <= south < north <= 90


def test_cbers_stacks_are_one_cbers_item(real_items, yvy_data):
    item, _ = real_items[str(yvy_data / "rasters" / "sits_cbers4_awfi_b13_cerrado_2017_2018.tif")]
    assert item.collection_id == "cbers-4-awfi"
    assert set(item.assets) == {"blue", "green", "red", "nir", "cmask"}
    assert item.properties["platform"] == "cbers-4"
    assert item.assets["blue"].extra_fields["raster:bands"][0]["nodata"] == -9999
    # lon -46.536..-46.505, lat -13.925..-13.896 (MANIFEST)
    assert item.bbox == pytest.approx([-46.536, -13.925, -46.505, -13.896], abs=2e-3)


def test_sinop_bbox_matches_manifest(real_items, yvy_data):
    item, _ = real_items[str(yvy_data / "rasters" / "sits_modis_mod13q1_ndvi_sinop_2013_2014.tif")]
    west, south, east, north = item.bbox
    assert west == pytest.approx(-55.80, abs=0.01) and east == pytest.approx(-55.20, abs=0.01)
    assert south == pytest.approx(-11.80, abs=0.01) and north == pytest.approx(-11.50, abs=0.01)


def test_irs_liss3_tile(real_items, data_file):
    folder = data_file("irs/L3_SAT_10B_V1_75.75E22.5N_F43J14_16Feb19")
    item, _ = real_items[str(folder / "BAND2.tif")]
    d = check_item(item)
    assert d["collection"] == "irs-resourcesat-2-liss3"
    assert d["properties"]["datetime"] == "2019-02-16T00:00:00Z"
    assert d["properties"]["proj:code"] == "EPSG:4326"
    assert d["properties"]["proj:shape"] == [1151, 1151]
    assert set(d["assets"]) == {"green", "red", "nir", "swir16", "metadata"}
    assert d["bbox"] == pytest.approx([75.7455, 22.4955, 76.0045, 22.7545], abs=1e-3)
