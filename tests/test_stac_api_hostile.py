"""A hostile STAC API: item ids, collection ids and asset names that try to leave the download
folder, and asset hrefs that are local paths. Nothing is written outside the workspace."""

from __future__ import annotations

import json

from .stac_api_server import LoopbackServer, make_app
from .test_stac_api_ingest import _run, _write_cog


def _hostile_api(root, escape_dir):
    for sub in ("collections", "items", "files"):
        (root / sub).mkdir(parents=True)
    coll_id = "../../../../" + str(escape_dir).lstrip("/") + "/coll"
    (root / "collections" / "c.json").write_text(json.dumps({
        "type": "Collection", "id": coll_id, "stac_version": "1.0.0", "description": "x",
        "license": "proprietary", "links": [],
        "extent": {"spatial": {"bbox": [[-61, -23, -60, -22]]}, "temporal": {"interval": [[None, None]]}}}))
    _write_cog(root / "files" / "a.tif", 100)
    geom = {"type": "Polygon", "coordinates": [[[-60.5, -22.5], [-60.4, -22.5], [-60.4, -22.4],
                                                [-60.5, -22.4], [-60.5, -22.5]]]}
    items = {
        "escape": {"id": "../../../../" + str(escape_dir).lstrip("/") + "/x",
                   "assets": {"../../evil": {"href": "{BASE}/files/a.tif", "roles": ["data"]}}},
        "local": {"id": "passwd-reader",
                  "assets": {"data": {"href": "/etc/passwd", "roles": ["data"]}}},
        "fileurl": {"id": "file-url", "assets": {"data": {"href": "file:///etc/passwd", "roles": ["data"]}}},
    }
    for name, it in items.items():
        (root / "items" / f"{name}.json").write_text(json.dumps({
            "type": "Feature", "stac_version": "1.0.0", "collection": coll_id, "bbox": [-60.5, -22.5, -60.4, -22.4],
            "geometry": geom, "properties": {"datetime": "2024-01-01T14:00:00Z"}, "links": [], **it}))
    return coll_id


def test_download_cannot_write_outside_the_workspace(tmp_path):
    home, escape = tmp_path / "ws", tmp_path / "outside"
    escape.mkdir()
    _run(home, "init")
    coll_id = _hostile_api(tmp_path / "api", escape)
    with LoopbackServer(lambda base: make_app(tmp_path / "api", base)) as srv:
        r = _run(home, "ingest", "--stac-api", srv.base, "--collection", coll_id, "--download")
    # the items with local hrefs are refused with one line each; the escaping one is contained
    assert r.exit_code == 1
    assert "/etc/passwd" in r.output and "los recursos de una API STAC deben ser URL" in r.output  # Spanish by default
    assert list(escape.rglob("*")) == [], "a file was written outside the workspace"
    written = [p for p in home.rglob("*") if p.is_file() and p.suffix == ".tif"]
    assert len(written) == 1
    assert written[0].resolve().is_relative_to((home / "assets" / "downloads").resolve())
    fc = json.loads(_run(home, "scenes", "--json", "--collection", coll_id).output)
    assert [f["properties"].get("yvy:source") is not None for f in fc["features"]] == [True]
    assert all("passwd" not in json.dumps(f["assets"]) for f in fc["features"])
