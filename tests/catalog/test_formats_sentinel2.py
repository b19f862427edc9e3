"""Sentinel-2 L2A: SAFE (folder, zip) and Earth Search COG folders (with/without JSON)."""

from __future__ import annotations

import pytest

from yvy.catalog.formats import IngestOptions
from yvy.catalog.formats.registry import claim_all, expand_paths, read_items
from yvy.testing.products import check_item, make_s2_cogs, make_s2_safe

S2_KEYS = {"coastal", "blue", "green", "red", "rededge1", "rededge2", "rededge3", "nir", "nir08",
           "nir09", "swir16", "swir22", "scl"}
SAFE_ID = "S2B_MSIL2A_20230105T135109_N0509_R024_T21KUP_20230105T164021"


@pytest.mark.parametrize("archive", [False, True], ids=["folder", "zip"])
def test_safe(tmp_path, archive):
    make_s2_safe(tmp_path, archive=archive)
    groups, left = claim_all(expand_paths([tmp_path]))
    assert [g.format for g in groups] == ["sentinel2"] and not left
    [item] = read_items([tmp_path])
    d = check_item(item)
    p = d["properties"]
    assert d["id"] == SAFE_ID and d["collection"] == "sentinel-2-l2a"
    assert set(d["assets"]) >= S2_KEYS
    assert p["datetime"] == "2023-01-05T13:51:09.024000Z"
    assert p["platform"] == "sentinel-2b" and p["constellation"] == "sentinel-2"
    assert p["eo:cloud_cover"] == 12.5 and p["s2:processing_baseline"] == "05.09"
    assert (p["mgrs:utm_zone"], p["mgrs:latitude_band"], p["mgrs:grid_square"]) == (21, "K", "UP")
    assert p["sat:relative_orbit"] == 24 and p["yvy:format"] == "sentinel2"
    red = d["assets"]["red"]
    assert red["href"].endswith("_B04_10m.jp2")
    assert red["raster:bands"][0]["scale"] == 1e-4 and red["raster:bands"][0]["offset"] == -0.1
    assert red["bands"][0]["eo:common_name"] == "red" and red["raster:bands"][0]["nodata"] == 0
    assert d["assets"]["scl"]["href"].endswith("_SCL_20m.jp2")
    assert d["assets"]["rededge1"]["proj:transform"][0] == 20.0
    assert d["assets"]["coastal"]["proj:transform"][0] == 60.0
    if archive:
        assert red["href"].startswith("/vsizip//") and ".SAFE.zip/" in red["href"]
    assert "file:checksum" in red


def test_safe_old_baseline_has_no_offset(tmp_path):
    make_s2_safe(tmp_path, baseline="03.01", sensing="20210105T135109")
    [item] = read_items([tmp_path], IngestOptions(checksum=False))
    assert item.assets["red"].extra_fields["raster:bands"][0]["offset"] == 0.0


def test_safe_is_deterministic(tmp_path):
    make_s2_safe(tmp_path)
    a = read_items([tmp_path])[0].to_dict()
    b = read_items([tmp_path])[0].to_dict()
    assert a == b


@pytest.mark.parametrize("with_json", [True, False])
def test_cog_folder(tmp_path, with_json):
    folder = make_s2_cogs(tmp_path, with_json=with_json)
    groups, left = claim_all(expand_paths([tmp_path]))
    assert [g.format for g in groups] == ["sentinel2"] and not left
    [item] = read_items([tmp_path])
    d = check_item(item)
    assert d["id"] == "S2B_21KUP_20230105_0_L2A"
    assert set(d["assets"]) == S2_KEYS
    assert d["assets"]["red"]["href"] == str(folder / "B04.tif")
    assert d["assets"]["red"]["raster:bands"][0]["offset"] == -0.1
    p = d["properties"]
    assert p["mgrs:grid_square"] == "UP" and p["platform"] == "sentinel-2b"
    assert p["proj:code"] == "EPSG:32721"
    if with_json:
        assert p["datetime"] == "2023-01-05T13:58:09.123000Z"
        assert p["eo:cloud_cover"] == 3.25 and "proj:epsg" not in p
    else:
        assert p["datetime"] == "2023-01-05T00:00:00Z"
