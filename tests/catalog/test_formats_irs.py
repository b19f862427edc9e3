"""IRS products from NRSC (metadata XML or META text)."""

from __future__ import annotations

from yvy.catalog.formats.registry import claim_all, expand_paths, read_items
from yvy.testing.products import check_item, make_irs_product


def test_irs_xml(tmp_path):
    make_irs_product(tmp_path)
    groups, left = claim_all(expand_paths([tmp_path]))
    assert [g.format for g in groups] == ["irs"] and not left
    [item] = read_items([tmp_path])
    d = check_item(item)
    p = d["properties"]
    assert d["collection"] == "irs-resourcesat-2-liss3"
    assert d["id"] == "L3_SAT_10B_V1_75.75E22.5N_F43J14_16Feb19"
    assert p["datetime"] == "2019-02-16T00:00:00Z"
    assert p["platform"] == "resourcesat-2" and p["instruments"] == ["liss3"]
    assert (p["irs:path"], p["irs:row"], p["irs:tile"]) == ("96", "56", "F43J14")
    assert set(d["assets"]) == {"green", "red", "nir", "swir16", "metadata"}
    assert d["assets"]["nir"]["bands"][0]["eo:common_name"] == "nir"
    assert p["proj:code"] == "EPSG:4326"


def test_irs_meta_text_liss4(tmp_path):
    make_irs_product(tmp_path, metadata="meta", sensor="L4", satellite="IRS-R2A",
                     date_of_pass="16-FEB-2019", name="RS2A_LISS4_product")
    [item] = read_items([tmp_path])
    d = check_item(item)
    assert d["collection"] == "irs-resourcesat-2a-liss4"
    assert d["properties"]["datetime"] == "2019-02-16T05:31:12Z"
    assert set(d["assets"]) == {"green", "red", "nir", "metadata"}
    assert d["id"] == "RS2A_LISS4_product"
