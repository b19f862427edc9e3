"""STAC Item / ItemCollection JSON."""

from __future__ import annotations

import pytest

from yvy.catalog.formats.registry import claim_all, expand_paths, read_items
from yvy.errors import InputError
from yvy.testing.products import check_item, make_stac_item_json, write_raster


def test_item_with_relative_href(tmp_path):
    raster = write_raster(tmp_path / "data.tif")
    make_stac_item_json(tmp_path / "item.json")
    groups, left = claim_all(expand_paths([tmp_path]))
    assert [g.format for g in groups] == ["stac_json"] and not left  # the tif belongs to the JSON
    [item] = read_items([tmp_path])
    d = check_item(item)
    assert d["id"] == "local-item" and d["assets"]["data"]["href"] == str(raster)
    assert d["properties"]["yvy:format"] == "stac_json"


def test_item_collection(tmp_path):
    make_stac_item_json(tmp_path / "ic.json", collection=True, n=3, asset_href="../x/a.tif")
    items = read_items([tmp_path / "ic.json"])
    assert [i.id for i in items] == ["local-item-0", "local-item-1", "local-item-2"]
    assert items[0].assets["data"].href == str(tmp_path.parent / "x" / "a.tif")


def test_invalid_item(tmp_path):
    path = make_stac_item_json(tmp_path / "bad.json", valid=False)
    with pytest.raises(InputError) as err:
        read_items([path])
    assert str(err.value).startswith(f"{path}: invalid STAC Item")
    assert "\n" not in str(err.value)


def test_not_stac(tmp_path):
    path = tmp_path / "other.json"
    path.write_text('{"hello": 1}')
    with pytest.raises(InputError, match="not a STAC Item or ItemCollection"):
        read_items([path])
