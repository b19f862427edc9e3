"""OGC API Features: collections, filters, paging, HTML; read by GDAL's OAPIF driver."""

from __future__ import annotations

import shutil
import subprocess

from ..conftest import missing


def test_landing_conformance_collections(client):
    land = client.get("/features").json()
    rels = {ln["rel"] for ln in land["links"]}
    assert {"self", "service-desc", "service-doc", "conformance", "data"} <= rels
    conf = client.get("/features/conformance").json()["conformsTo"]
    assert any(c.endswith("/conf/oas30") for c in conf) and any(c.endswith("/conf/html") for c in conf)
    colls = client.get("/features/collections").json()["collections"]
    assert [c["id"] for c in colls][:1] == ["alerts"]
    assert client.get("/features/collections/alerts").json()["extent"]["spatial"]["bbox"][0][0] < -56


def test_alert_filters_and_paging(client, built):
    base = "/features/collections/alerts/items"
    fc = client.get(base).json()
    assert fc["numberMatched"] == 2 and fc["features"][0]["id"] == built.alerts[0]
    assert client.get(base, params={"confidence": "high"}).json()["numberMatched"] == 1
    assert client.get(base, params={"status": "confirmed"}).json()["numberMatched"] == 0
    assert client.get(base, params={"min_area": 1e9}).json()["numberMatched"] == 0
    assert client.get(base, params={"bbox": "10,10,11,11"}).json()["numberMatched"] == 0
    assert client.get(base, params={"datetime": "2024-07-01/2024-07-31"}).json()["numberMatched"] == 1
    page = client.get(base, params={"limit": 1}).json()
    nxt = next(ln for ln in page["links"] if ln["rel"] == "next")
    assert client.get(nxt["href"]).json()["features"][0]["id"] == built.alerts[1]
    assert client.get(base, params={"status": "bogus"}).status_code == 400


def test_single_alert_json_and_html(client, built):
    aid = built.alerts[0]
    r = client.get(f"/features/collections/alerts/items/{aid}")
    assert r.headers["content-type"].startswith("application/geo+json")
    feat = r.json()
    assert feat["id"] == aid and feat["properties"]["confidence"] == "high"
    html = client.get(f"/features/collections/alerts/items/{aid}", headers={"Accept": "text/html"})
    assert html.headers["content-type"].startswith("text/html") and aid in html.text
    assert client.get("/features/collections/alerts/items/PY-1999-999999").status_code == 404
    assert client.get("/features/collections/nope/items").status_code == 404


def test_error_descriptions_in_the_language_asked(client):
    # as raised (English) unless the request names a language; the code never changes
    url = "/features/collections/alerts/items/PY-1999-999999"
    plain = client.get(url)
    assert plain.status_code == 404 and "Content-Language" not in plain.headers
    assert plain.json() == {"code": "NotFoundError",
                            "description": "PY-1999-999999: no such alert (see `yvy alerts list`)"}
    es = client.get(url, headers={"Accept-Language": "es-PY,es;q=0.9,en;q=0.5"})
    assert es.status_code == 404 and es.headers["Content-Language"] == "es"
    assert es.json() == {"code": "NotFoundError",
                         "description": "PY-1999-999999: no existe esa alerta (ver `yvy alerts list`)"}
    assert client.get(url + "?lang=gn").json()["description"] == es.json()["description"]  # Guaraní: Spanish
    assert client.get(url + "?lang=en", headers={"Accept-Language": "es"}).json() == plain.json()


def test_context_layer_collection(wclient, fresh):
    from shapely.geometry import box

    from yvy.alerts.context import ContextFeature, ContextLayer
    from yvy.storage import open_store
    from yvy.storage.alerts import SQLAlertStore

    store = SQLAlertStore(open_store(fresh.workspace.database_url))
    feats = (ContextFeature("parks", "protected_area", "Parque A", box(-57.0, -22.62, -56.99, -22.61), {"iucn": "II"}),
             ContextFeature("parks", "protected_area", "Parque B", box(-50, -20, -49, -19), {}))
    store.add_context_layer(ContextLayer("parks", "protected_area", "parks.gpkg", "EPSG:4326", "name", feats))
    colls = [c["id"] for c in wclient.get("/features/collections").json()["collections"]]
    assert "parks" in colls
    fc = wclient.get("/features/collections/parks/items", params={"bbox": "-57.1,-22.7,-56.9,-22.5"}).json()
    assert [f["properties"]["name"] for f in fc["features"]] == ["Parque A"]
    fid = fc["features"][0]["id"]
    assert wclient.get(f"/features/collections/parks/items/{fid}").json()["properties"]["iucn"] == "II"


def test_gdal_oapif_reads_alerts(live, built):
    """GDAL's OGC API Features driver lists the collections and reads every alert."""
    ogrinfo = shutil.which("ogrinfo")
    if ogrinfo is None:
        missing("ogrinfo (Debian package gdal-bin) is not installed")
    url = f"OAPIF:{live}/features"
    r = subprocess.run([ogrinfo, "-ro", "-so", url], check=False, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "alerts" in r.stdout
    r = subprocess.run([ogrinfo, "-ro", "-al", "-oo", "PAGE_SIZE=1", url, "alerts"], check=False, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "Feature Count: 2" in r.stdout or r.stdout.count("OGRFeature(alerts)") == 2, r.stdout[-2000:]
    for aid in built.alerts:
        assert aid in r.stdout
    assert "POLYGON" in r.stdout


def test_landing_and_collections_speak_the_readers_language(client):
    """Titles, descriptions and link titles follow ?lang=, else Accept-Language, else the workspace's
    locale (es_PY); ids, rels and keys stay as they are."""
    def texts(doc):
        return [doc.get("title"), doc.get("description"), *(ln.get("title") for ln in doc["links"])]

    es = client.get("/features").json()
    assert es["description"] == "Alertas de deforestación, incendios y capas de contexto"
    assert "este documento" in texts(es) and "Definición de la API" in texts(es)
    en = client.get("/features", params={"lang": "en"}).json()
    assert en["description"] == "Deforestation alerts, fire events and context layers"
    assert [ln["rel"] for ln in en["links"]] == [ln["rel"] for ln in es["links"]]
    assert [ln["href"].split("?")[0] for ln in en["links"]] == [ln["href"].split("?")[0] for ln in es["links"]]
    gn = client.get("/features", headers={"Accept-Language": "gn, es;q=0.8"}).json()
    assert gn["description"].startswith("Ka'aguy ñehundi rehegua marandu")
    assert client.get("/features", headers={"Accept-Language": "fr-FR, en;q=0.5"}).json()["description"] == \
        en["description"]
    assert client.get("/features", params={"lang": "en"}, headers={"Accept-Language": "gn"}).json() == en
    assert client.get("/features", params={"lang": "xx"}).status_code == 400
    colls = {c["id"]: c for c in client.get("/features/collections").json()["collections"]}
    assert colls["alerts"]["title"] == "Alertas de deforestación" and colls["fires"]["title"] == "Incendios"
    alerts_gn = client.get("/features/collections/alerts", params={"lang": "gn"}).json()
    assert alerts_gn["id"] == "alerts" and alerts_gn["title"] == "Ka'aguy ñehundi rehegua marandu"
    assert "mba'ekuéra" in texts(alerts_gn)
    assert client.get("/features/collections/alerts", params={"lang": "en"}).json()["title"] == "Deforestation alerts"
    page = client.get("/features/collections/alerts/items", params={"limit": 1, "lang": "es"}).json()
    assert {ln["title"] for ln in page["links"] if ln["rel"] in ("self", "next")} == {"este documento",
                                                                                       "página siguiente"}
    html = client.get("/features/collections", params={"f": "html", "lang": "es"}).text
    assert "<title>Colecciones</title>" in html and "Alertas de deforestación" in html


def test_stac_landing_description_in_the_readers_language(client):
    assert client.get("/stac/").json()["description"] == "Escenas y productos de detección catalogados por yvy"
    assert client.get("/stac/", params={"lang": "en"}).json()["description"] == \
        "Scenes and detection products catalogued by yvy"
    gn = client.get("/stac/", headers={"Accept-Language": "gn"}).json()
    assert gn["description"].startswith("Ta'angakuéra") and gn["id"] == "yvy"
