"""CBERS-4/4A products with INPE names."""

from __future__ import annotations

import pytest

from yvy.catalog.formats.registry import claim_all, expand_paths, read_items
from yvy.testing.products import check_item, make_cbers_product, write_raster


@pytest.mark.parametrize("sat, cam, collection", [("4", "AWFI", "cbers-4-awfi"),
                                                  ("4A", "WFI", "cbers-4a-wfi")])
def test_inpe_scene(tmp_path, sat, cam, collection):
    make_cbers_product(tmp_path, satellite=sat, camera=cam)
    groups, left = claim_all(expand_paths([tmp_path]))
    assert [g.format for g in groups] == ["cbers"] and not left
    [item] = read_items([tmp_path])
    d = check_item(item)
    p = d["properties"]
    assert d["id"] == f"CBERS_{sat}_{cam}_20180101_157_123_L4"
    assert d["collection"] == collection
    assert p["datetime"] == "2018-01-01T00:00:00Z"
    assert p["platform"] == f"cbers-{sat.lower()}" and p["instruments"] == [cam.lower()]
    assert (p["cbers:path"], p["cbers:row"]) == (157, 123)
    assert {"blue", "green", "red", "nir"} <= set(d["assets"])
    assert d["assets"]["blue"]["href"].endswith("_BAND13.tif")
    assert d["assets"]["nir"]["bands"][0]["eo:common_name"] == "nir"


def test_mux_band_numbers(tmp_path):
    make_cbers_product(tmp_path, camera="MUX", bands=(5, 6, 7, 8))
    [item] = read_items([tmp_path])
    assert item.collection_id == "cbers-4-mux"
    assert item.assets["red"].href.endswith("_BAND7.tif")


def test_per_band_time_stacks(tmp_path):
    dates = ["2017-08-29", "2017-09-14", "2017-09-30"]
    for b in ("b13", "b16", "cmask"):
        write_raster(tmp_path / f"x_cbers4_awfi_{b}_site_2017.tif", count=3, descriptions=dates)
    [item] = read_items([tmp_path])
    d = check_item(item)
    assert d["id"] == "x_cbers4_awfi_site_2017" and d["collection"] == "cbers-4-awfi"
    assert d["properties"]["datetime"] is None
    assert d["properties"]["yvy:stack_dates"] == [f"{x}T00:00:00Z" for x in dates]
    assert set(d["assets"]) == {"blue", "nir", "cmask"}
    assert [b["description"] for b in d["assets"]["nir"]["bands"]] == [f"{x}T00:00:00Z" for x in dates]
