"""The registry: claim order, archive expansion, collection templates."""

from __future__ import annotations

import pystac
import pytest

from yvy.catalog import formats
from yvy.catalog.formats.collections import KNOWN_COLLECTIONS, collection_template
from yvy.catalog.formats.registry import FORMATS, claim_all, expand_paths, get_format
from yvy.errors import InputError
from yvy.testing.products import (
    make_cbers_product,
    make_drone_ortho,
    make_irs_product,
    make_landsat_c2l2,
    make_s2_cogs,
    make_s2_safe,
    make_stac_item_json,
    write_raster,
)


def test_formats_in_claim_order():
    names = [f.name for f in formats.FORMATS]
    assert names == ["sentinel2", "landsat", "cbers", "irs", "sentinel1", "opera", "hyp3",
                     "stac_json", "sentinel1_stack", "geotiff"]
    assert formats.FORMATS is FORMATS
    with pytest.raises(InputError, match="known: sentinel2"):
        get_format("nope")


def test_mixed_folder_each_path_claimed_once(tmp_path):
    make_s2_safe(tmp_path / "a", archive=True)
    make_s2_cogs(tmp_path / "b")
    make_landsat_c2l2(tmp_path / "c", archive=True)
    make_irs_product(tmp_path / "d")
    make_cbers_product(tmp_path / "e")
    make_drone_ortho(tmp_path / "f" / "odm_orthophoto.tif")
    write_raster(tmp_path / "g" / "data.tif")
    make_stac_item_json(tmp_path / "g" / "item.json")
    paths = expand_paths([tmp_path])
    groups, left = claim_all(paths)
    assert not left
    claimed = [f for g in groups for f in g.files]
    assert sorted(claimed) == sorted(set(claimed))
    assert sorted(g.format for g in groups) == ["cbers", "geotiff", "irs", "landsat", "sentinel2",
                                                "sentinel2", "stac_json"]


def test_expand_paths_missing():
    with pytest.raises(InputError, match="no such file or folder"):
        expand_paths(["/nonexistent/x.tif"])


@pytest.mark.parametrize("cid", KNOWN_COLLECTIONS + ("my-own",))
def test_collection_templates(cid):
    col = collection_template(cid)
    assert isinstance(col, pystac.Collection) and col.id == cid
    assert col.description and col.license and col.providers
    d = col.to_dict(include_self_link=False)
    assert pystac.Collection.from_dict(d).id == cid


def test_templates_cover_reader_collections():
    for cid in ("sentinel-2-l2a", "landsat-c2-l2", "cbers-4-awfi", "cbers-4a-wfi",
                "irs-resourcesat-2-liss3", "drone", "geotiff"):
        assert cid in KNOWN_COLLECTIONS
