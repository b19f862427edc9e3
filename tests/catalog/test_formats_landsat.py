"""Landsat Collection 2 Level-2: MTL txt/xml/json, folder and tar."""

from __future__ import annotations

import pytest

from yvy.catalog.formats.registry import claim_all, expand_paths, read_items
from yvy.testing.products import check_item, make_landsat_c2l2

PID = "LC08_L2SP_232066_20230105_20230110_02_T1"


@pytest.mark.parametrize("mtl", ["txt", "xml", "json"])
@pytest.mark.parametrize("archive", [False, True], ids=["folder", "tar"])
def test_landsat(tmp_path, mtl, archive):
    make_landsat_c2l2(tmp_path, mtl=mtl, archive=archive)
    groups, left = claim_all(expand_paths([tmp_path]))
    assert [g.format for g in groups] == ["landsat"] and not left
    [item] = read_items([tmp_path])
    d = check_item(item)
    p = d["properties"]
    assert d["id"] == PID and d["collection"] == "landsat-c2-l2"
    assert set(d["assets"]) == {"coastal", "blue", "green", "red", "nir08", "swir16", "swir22",
                                "lwir11", "qa_pixel", "mtl"}
    assert p["datetime"] == "2023-01-05T13:45:12.123456Z"
    assert p["platform"] == "landsat-8" and p["instruments"] == ["oli", "tirs"]
    assert p["landsat:wrs_path"] == "232" and p["landsat:wrs_row"] == "066"
    assert p["landsat:collection_category"] == "T1" and p["eo:cloud_cover"] == 17.42
    red = d["assets"]["red"]
    assert red["raster:bands"][0]["scale"] == 2.75e-5 and red["raster:bands"][0]["offset"] == -0.2
    assert red["bands"][0]["eo:common_name"] == "red" and red["bands"][0]["nodata"] == 0
    assert d["assets"]["nir08"]["eo:bands"][0]["common_name"] == "nir08"
    assert d["assets"]["lwir11"]["raster:bands"][0]["offset"] == 149.0
    assert d["assets"]["qa_pixel"]["roles"] == ["cloud"]
    if archive:
        assert red["href"].startswith("/vsitar//") and red["href"].endswith("_SR_B4.TIF")
