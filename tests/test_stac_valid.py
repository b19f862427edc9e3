"""Every item and collection yvy writes or serves is valid STAC 1.1, extensions included,
checked offline (extension schemas from ``../shared/stac-schemas``, see
:mod:`yvy.testing.stac`): the items of each reader, the collection templates, ``yvy scenes
--json`` and the detection and model products of a real ``yvy detect`` run (what the STAC API
serves is checked in ``tests/api/test_stac.py``)."""

from __future__ import annotations

import json
from pathlib import Path

import pystac
import pytest
from click.testing import CliRunner

from yvy.catalog.formats import IngestOptions
from yvy.catalog.formats.collections import collection_template
from yvy.catalog.formats.registry import read_items
from yvy.catalog.ports import ItemQuery
from yvy.cli.main import cli
from yvy.testing import products as p
from yvy.testing.scenes import write_stack
from yvy.testing.stac import validate_offline

from .change.conftest import stack_values

MAKERS = {
    "sentinel-2 SAFE": lambda d: p.make_s2_safe(d),
    "sentinel-2 COGs": lambda d: p.make_s2_cogs(d),
    "landsat": lambda d: p.make_landsat_c2l2(d),
    "irs": lambda d: p.make_irs_product(d),
    "cbers": lambda d: p.make_cbers_product(d),
    "drone": lambda d: p.make_drone_ortho(d / "flight_orthophoto.tif"),
    "geotiff stack": lambda d: p.write_raster(d / "stack.tif", count=2, descriptions=["2020-01-01", "2020-02-01"]),
    "stac json": lambda d: p.make_stac_item_json(d / "item.json"),
}


def _valid(doc: dict, validator) -> None:
    checked = validate_offline(doc, validator)
    assert len(checked) == 1 + len(doc.get("stac_extensions", [])), checked


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_reader_items_are_valid(kind, tmp_path, stac_validator):
    items = read_items([MAKERS[kind](tmp_path)], IngestOptions(checksum=True))
    assert items
    for item in items:
        d = item.to_dict(include_self_link=False)
        assert d["stac_version"] == "1.1.0"
        _valid(d, stac_validator)


@pytest.mark.parametrize("cid", ["sentinel-2-l2a", "landsat-c2-l2", "cbers-4-awfi", "cbers-4a-wpm", "geotiff",
                                 "drone", "irs-resourcesat-2-liss3", "somebody-elses"])
def test_collection_templates_are_valid(cid, stac_validator):
    _valid(collection_template(cid).to_dict(include_self_link=False), stac_validator)


@pytest.fixture(scope="module")
def detected(tmp_path_factory):
    """A workspace with ingested scenes and a real detection run (products yvy-detections and
    yvy-models)."""
    root = tmp_path_factory.mktemp("stacvalid")
    home = str(root / "ws")
    dates, y = stack_values(130)
    stack = write_stack(root / "ndvi.tif", dates, y)
    run = CliRunner().invoke
    assert run(cli, ["--home", home, "init"]).exit_code == 0
    assert run(cli, ["--home", home, "ingest", str(p.make_landsat_c2l2(root / "l8")), str(stack)]).exit_code == 0
    r = run(cli, ["--home", home, "detect", "--stack", str(stack), "--history-start", "2016-01-01",
                  "--monitor-start", "2019-01-01", "--chunk", "20", "--json"])
    assert r.exit_code == 0, r.output
    return home


def test_scenes_json_is_a_valid_item_collection(detected, stac_validator):
    r = CliRunner().invoke(cli, ["--home", detected, "scenes", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert len(doc["features"]) == 2
    for f in doc["features"]:
        assert any(ln["rel"] == "collection" for ln in f["links"])  # the field comes with its link
        _valid(f, stac_validator)
    assert len(pystac.ItemCollection.from_dict(doc)) == 2


def test_stored_products_and_collections_are_valid(detected, stac_validator):
    from yvy.config import Workspace
    from yvy.storage import open_store

    store = open_store(Workspace(Path(detected)).database_url)
    collections = store.list_collections()
    assert {"yvy-detections", "yvy-models", "landsat-c2-l2", "geotiff"} <= {c["id"] for c in collections}
    for c in collections:
        _valid(c, stac_validator)
        for item in store.search_items(ItemQuery(collections=[c["id"]])):
            _valid(item, stac_validator)


def test_demo_scene_items_are_valid(tmp_path, stac_validator):
    """The demo writes Earth Search-like item files beside its COGs."""
    from yvy.demo import generate_demo

    demo = generate_demo(tmp_path / "demo", size_px=100, years=2, seed=0)
    for path in demo.item_paths[:10]:
        _valid(json.loads(Path(path).read_text()), stac_validator)
