"""The ``fires`` OGC API Features collection and the fires Atom feed."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from yvy.config import Workspace
from yvy.disaster.fires import ingest_fires
from yvy.storage import open_store
from yvy.storage.fires import SQLFireStore
from yvy.testing.disaster import firms_rows, write_firms_csv


@pytest.fixture
def app(tmp_path):
    from yvy.api import create_app
    from yvy.api.settings import ServeSettings

    ws = Workspace.create(tmp_path / "ws")
    store = open_store(ws.database_url, create=True)
    rows = firms_rows(400, fires=12, seed=11)
    write_firms_csv(tmp_path / "f.csv", rows)
    res = ingest_fires([tmp_path / "f.csv"], SQLFireStore(store))
    store.close()
    return TestClient(create_app(ws, ServeSettings(notify_interval=0))), res


def test_fires_collection(app):
    client, res = app
    colls = client.get("/features/collections").json()["collections"]
    fires = next(c for c in colls if c["id"] == "fires")
    assert fires["extent"]["temporal"]["interval"][0][0].startswith("2020-10-0")
    page = client.get("/features/collections/fires/items", params={"limit": 5}).json()
    assert page["numberMatched"] == res.events and page["numberReturned"] == 5
    assert any(ln["rel"] == "next" for ln in page["links"])
    feat = page["features"][0]
    assert feat["geometry"]["type"] == "Polygon" and feat["properties"]["hotspots"] >= 1
    one = client.get(f"/features/collections/fires/items/{feat['id']}").json()
    assert one["id"] == feat["id"]
    assert client.get("/features/collections/fires/items/FIRE-0-0").status_code == 404
    minx, miny, maxx, maxy = feat["bbox"]
    near = client.get("/features/collections/fires/items",
                      params={"bbox": f"{minx},{miny},{maxx},{maxy}", "limit": 100}).json()
    assert feat["id"] in {f["id"] for f in near["features"]} and near["numberMatched"] < res.events
    assert client.get("/features/collections/fires/items", params={"datetime": "2001-01-01"}).json()[
        "numberMatched"] == 0
    assert client.get("/features/collections/fires/items", params={"bbox": "1,2"}).status_code == 400


def test_fires_atom(app):
    client, res = app
    r = client.get("/feeds/fires.atom")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/atom+xml")
    entries = ET.fromstring(r.content).findall("{http://www.w3.org/2005/Atom}entry")
    assert len(entries) == min(res.events, 50)


def test_fires_in_the_readers_language(app):
    """The fires feed and collection in the workspace's language (es), and in gn / en on request."""
    client, res = app
    atom = "{http://www.w3.org/2005/Atom}"
    es = ET.fromstring(client.get("/feeds/fires.atom").content)
    assert es.find(f"{atom}title").text.endswith(": incendios")
    summary = es.find(f"{atom}entry/{atom}summary").text
    assert " focos de calor, FRP " in summary or " foco de calor, FRP " in summary
    assert "," in summary.split("FRP ")[1].split(" MW")[0]  # es_PY decimal comma
    gn = ET.fromstring(client.get("/feeds/fires.atom", params={"lang": "gn"}).content)
    assert gn.find(f"{atom}title").text.endswith(": tatarendy") and " guive " in gn.find(
        f"{atom}entry/{atom}summary").text
    en = ET.fromstring(client.get("/feeds/fires.atom", params={"lang": "en"}).content)
    assert en.find(f"{atom}title").text.endswith(": fire events") and " MW, 2020-" in en.find(
        f"{atom}entry/{atom}summary").text
    assert [e.find(f"{atom}id").text for e in en.findall(f"{atom}entry")] == [
        e.find(f"{atom}id").text for e in es.findall(f"{atom}entry")]
    fires = client.get("/features/collections/fires", params={"lang": "gn"}).json()
    assert fires["id"] == "fires" and fires["title"] == "Tatarendy"
