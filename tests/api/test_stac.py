"""STAC API: core, collections, item search, paging, sort, filter, assets; stac-api-validator."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent


def test_landing_and_conformance(client):
    land = client.get("/stac/").json()
    assert land["type"] == "Catalog" and land["id"] == "yvy"
    rels = {ln["rel"] for ln in land["links"]}
    assert {"self", "root", "data", "conformance", "search", "service-desc"} <= rels
    conf = client.get("/stac/conformance").json()["conformsTo"]
    assert "https://api.stacspec.org/v1.0.0/item-search" in conf
    assert "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text" in conf


def test_collections_have_live_extent(client, built):
    colls = {c["id"]: c for c in client.get("/stac/collections").json()["collections"]}
    assert set(colls) == {"sentinel-2-l2a", "yvy-detections"}
    interval = colls["sentinel-2-l2a"]["extent"]["temporal"]["interval"][0]
    assert interval[0].startswith("2024-01-10") and interval[1].startswith("2024-07-08")
    assert client.get("/stac/collections/nope").status_code == 404


def test_item_links_and_assets_are_http(client, built):
    item = client.get(f"/stac/collections/sentinel-2-l2a/items/{built.scenes[0]}").json()
    assert item["assets"]["red"]["href"].startswith("http://testserver/assets/sentinel-2-l2a/")
    assert any(ln["rel"] == "tilejson" for ln in item["links"])
    r = client.get(item["assets"]["red"]["href"], headers={"Range": "bytes=0-3"})
    assert r.status_code == 206 and r.content[:2] in (b"II", b"MM")
    assert client.get(f"/stac/collections/sentinel-2-l2a/items/{built.scenes[0]}x").status_code == 404


def test_search_filters_and_paging(client, built):
    r = client.get("/stac/search", params={"collections": "sentinel-2-l2a", "limit": 2}).json()
    assert r["numberMatched"] == 4 and len(r["features"]) == 2
    nxt = next(ln for ln in r["links"] if ln["rel"] == "next")
    page2 = client.get(nxt["href"]).json()
    ids = [f["id"] for f in r["features"] + page2["features"]]
    assert ids == built.scenes
    r = client.get("/stac/search", params={"datetime": "2024-03-01T00:00:00Z/2024-05-31T00:00:00Z",
                                           "collections": "sentinel-2-l2a"}).json()
    assert [f["id"] for f in r["features"]] == built.scenes[1:3]
    r = client.get("/stac/search", params={"bbox": "10,10,11,11"}).json()
    assert r["numberMatched"] == 0
    body = {"intersects": {"type": "Point", "coordinates": [-56.99, -22.615]}, "ids": [built.detection]}
    r = client.post("/stac/search", json=body).json()
    assert [f["id"] for f in r["features"]] == [built.detection]


def test_sort_and_cql2_filter(client, built):
    r = client.get("/stac/search", params={"sortby": "-datetime", "collections": "sentinel-2-l2a"}).json()
    assert [f["id"] for f in r["features"]] == built.scenes[::-1]
    r = client.get("/stac/search", params={"filter": "datetime > TIMESTAMP('2024-04-01T00:00:00Z') "
                                                      "AND eo:cloud_cover < 10"}).json()
    assert [f["id"] for f in r["features"]] == built.scenes[2:]
    r = client.post("/stac/search", json={"filter": {"op": "=", "args": [{"property": "id"}, built.scenes[0]]},
                                          "filter-lang": "cql2-json"}).json()
    assert [f["id"] for f in r["features"]] == built.scenes[:1]


@pytest.mark.parametrize("params", [
    {"bbox": "1,2,3"}, {"bbox": "a,b,c,d"}, {"datetime": "yesterday"}, {"token": "zzz"},
    {"filter": "x <<< 3"}, {"sortby": "nope"}, {"limit": 0}, {"intersects": "{"},
])
def test_bad_search_is_400(client, params):
    r = client.get("/stac/search", params=params)
    assert r.status_code == 400, r.text
    assert set(r.json()) == {"code", "description"}


def test_stac_api_validator(live):
    """The community validator, run against the server on loopback."""
    geometry = json.dumps({"type": "Polygon", "coordinates": [[[-57.0, -22.63], [-56.97, -22.63],
                                                                [-56.97, -22.60], [-57.0, -22.60],
                                                                [-57.0, -22.63]]]})
    cmd = [sys.executable, str(HERE / "_offline_validator.py"), "--root-url", f"{live}/stac/",
           "--collection", "sentinel-2-l2a", "--geometry", geometry, "--validate-pagination"]
    for conf in ("core", "collections", "features", "item-search", "filter", "item-search#sort"):
        cmd += ["--conformance", conf]
    r = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=300)
    out = r.stdout + r.stderr
    assert r.returncode == 0 and "Errors: none" in out, out[-4000:]


def test_served_items_and_collections_are_valid_stac(client, stac_validator):
    """Offline, extensions included (:mod:`yvy.testing.stac`)."""
    from yvy.testing.stac import validate_offline

    colls = client.get("/stac/collections").json()["collections"]
    assert colls
    for c in colls:
        validate_offline(c, stac_validator)
        page = client.get(f"/stac/collections/{c['id']}/items", params={"limit": 5}).json()
        for item in page["features"]:
            assert len(validate_offline(item, stac_validator)) == 1 + len(item.get("stac_extensions", []))
