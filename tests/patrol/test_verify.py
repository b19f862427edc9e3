"""Drone verification: coverage of alerts/targets by an ingested orthomosaic, 'verified by drone'."""

import json

import numpy as np
import rasterio
import shapely
from click.testing import CliRunner
from rasterio.transform import from_origin

from yvy.alerts.model import Alert
from yvy.cli.main import cli


def _ortho(path):
    """A 5 cm RGB orthomosaic, 200 x 200 px (10 m a side), lon/lat grid near Filadelfia."""
    a = np.full((3, 200, 200), 120, np.uint8)
    with rasterio.open(path, "w", driver="GTiff", width=200, height=200, count=3, dtype="uint8", crs="EPSG:4326",
                       transform=from_origin(-60.0, -22.0, 0.0005, 0.0005), photometric="RGB") as ds:
        ds.write(a)


def _run(home, *args):
    r = CliRunner().invoke(cli, ["--home", str(home), *args])
    return r


def test_coverage_and_verify(tmp_path, store_url):
    from yvy.storage import open_store
    from yvy.storage.alerts import SQLAlertStore

    home = tmp_path / "ws"
    assert _run(home, "init").exit_code == 0
    _ortho(tmp_path / "flight1_ortho.tif")
    r = _run(home, "ingest", str(tmp_path / "flight1_ortho.tif"), "--drone", "--datetime",
             "2024-02-01")
    assert r.exit_code == 0, r.output
    s = open_store(store_url(home / "yvy.db"))
    alerts = SQLAlertStore(s)
    inside = Alert("PY-2024-000001", shapely.box(-59.99, -22.02, -59.98, -22.01), 1.2, "2024-01-05")
    outside = Alert("PY-2024-000002", shapely.box(-59.0, -22.02, -58.99, -22.01), 1.2, "2024-01-05")
    with alerts.transaction():
        alerts.insert_alert(inside)
        alerts.insert_alert(outside)
    s.close()
    pt = lambda x, y, i: {"type": "Feature", "geometry": {"type": "Point", "coordinates": [x, y]},  # noqa: E731
                          "properties": {"id": i}}
    targets = {"type": "FeatureCollection", "features": [pt(-59.95, -22.05, "R001"), pt(-58.0, -22.05, "R002")]}
    (tmp_path / "targets.geojson").write_text(json.dumps(targets))
    r = _run(home, "patrol", "coverage", "--targets", str(tmp_path / "targets.geojson"), "--json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert len(rows) == 1 and rows[0]["alerts"] == ["PY-2024-000001"] and rows[0]["targets"] == ["R001"]
    item_id = rows[0]["item"].split("/", 1)[1]
    # the web map and tiles draw the orthomosaic in true colour, as ingested (grey 120)
    import io

    import morecantile
    from PIL import Image

    from yvy.api._render import layers_for_item, render_tile
    from yvy.storage import open_store as _open

    cat = _open(store_url(home / "yvy.db"))
    item = cat.get_item("drone", item_id)
    cat.close()
    assert list(layers_for_item(item)) == ["truecolor"]
    t = morecantile.tms.get("WebMercatorQuad").tile(-59.95, -22.05, 16)
    px = np.asarray(Image.open(io.BytesIO(render_tile(item, "truecolor", t.x, t.y, 16))).convert("RGBA"))[128, 128]
    assert tuple(px) == (120, 120, 120, 255)
    shown = json.loads(_run(home, "alerts", "show", "PY-2024-000001", "--json").output)
    assert [d["item"] for d in shown["drone_imagery"]] == [rows[0]["item"]]
    assert json.loads(_run(home, "alerts", "show", "PY-2024-000002", "--json").output)["drone_imagery"] == []
    assert "imágenes de dron: drone/" in _run(home, "alerts", "show", "PY-2024-000001").output
    r = _run(home, "alerts", "evidence", "PY-2024-000001", "-o", str(tmp_path / "ev"))
    assert r.exit_code == 0, r.output
    manifest = json.loads((tmp_path / "ev" / "manifest.json").read_text())
    assert f"chip_drone_{item_id}.png" in [f["path"] for f in manifest["files"]]
    r = _run(home, "--lang", "en", "patrol", "verify", "PY-2024-000002", "--item", item_id, "--by", "Ana")
    assert r.exit_code == 1 and "covers less than 90%" in r.output
    r = _run(home, "patrol", "verify", "PY-2024-000001", "--item", item_id, "--by", "Ana", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["status"] == "confirmed" and out["review"]["reason"] == "verified by drone"
    assert item_id in out["review"]["note"]


def test_plan_from_workspace_alerts_only(tmp_path, store_url):
    """Without a risk map the targets are the alerts that need a look; dismissed ones are left out."""
    from yvy.alerts.model import AlertStatus
    from yvy.storage import open_store
    from yvy.storage.alerts import SQLAlertStore

    home = tmp_path / "ws"
    assert _run(home, "init").exit_code == 0
    s = open_store(store_url(home / "yvy.db"))
    a = SQLAlertStore(s)
    with a.transaction():
        a.insert_alert(Alert("PY-2024-000001", shapely.box(-60.01, -22.01, -60.0, -22.0), 2.0, "2024-01-05"))
        a.insert_alert(Alert("PY-2024-000002", shapely.box(-60.03, -22.03, -60.02, -22.02), 5.0, "2024-01-05",
                             status=AlertStatus.UNDER_REVIEW))
        a.insert_alert(Alert("PY-2024-000003", shapely.box(-60.02, -22.0, -60.01, -21.99), 5.0, "2024-01-05",
                             status=AlertStatus.DISMISSED, review={"reason": "cloud"}))
    s.close()
    hq = {"type": "Feature", "properties": {"name": "HQ"},
          "geometry": {"type": "Point", "coordinates": [-60.05, -22.05]}}
    (tmp_path / "b.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [hq]}))
    r = _run(home, "patrol", "plan", "--bases", str(tmp_path / "b.geojson"), "--range-km", "20", "--seconds", "1",
             "--out", str(tmp_path / "p"), "--json")
    assert r.exit_code == 0, r.output
    routes = json.loads((tmp_path / "p" / "routes.geojson").read_text())["features"]
    assert sorted(routes[0]["properties"]["targets"]) == ["PY-2024-000001", "PY-2024-000002"]
    assert routes[0]["properties"]["risk_covered"] == 7.0  # both low confidence: worth their hectares


def test_alert_chips_list_and_draw_covering_drone_imagery(tmp_path, store_url):
    """The web map's alert panel gets the drone orthomosaics covering an alert from the chips API."""
    import io

    from fastapi.testclient import TestClient
    from PIL import Image

    from yvy.api.app import create_app
    from yvy.config import Workspace
    from yvy.storage import open_store
    from yvy.storage.alerts import SQLAlertStore

    home = tmp_path / "ws"
    assert _run(home, "init").exit_code == 0
    ortho = home / "assets" / "drone" / "flight1_ortho.tif"  # the server reads assets/ only
    ortho.parent.mkdir(parents=True)
    _ortho(ortho)
    assert _run(home, "ingest", str(ortho), "--drone", "--datetime", "2024-02-01").exit_code == 0
    s = open_store(store_url(home / "yvy.db"))
    alerts = SQLAlertStore(s)
    with alerts.transaction():
        alerts.insert_alert(Alert("PY-2024-000001", shapely.box(-59.99, -22.02, -59.98, -22.01), 1.2, "2024-01-05"))
        alerts.insert_alert(Alert("PY-2024-000002", shapely.box(-59.0, -22.02, -58.99, -22.01), 1.2, "2024-01-05"))
    s.close()
    with TestClient(create_app(Workspace.open(home))) as c:
        chips = c.get("/api/alerts/PY-2024-000001/chips").json()
        (drone,) = chips["drone"]
        assert drone["item"].startswith("drone/flight1_ortho") and drone["date"] == "2024-02-01"
        r = c.get(drone["url"].replace("http://testserver", ""))
        assert r.status_code == 200 and r.headers["content-type"] == "image/png"
        px = np.asarray(Image.open(io.BytesIO(r.content)).convert("RGB"))
        assert (px == 120).all(axis=-1).mean() > 0.9  # the orthomosaic's grey, around the alert
        assert c.get("/api/alerts/PY-2024-000002/chips").json()["drone"] == []
        assert c.get("/api/alerts/PY-2024-000002/chips/drone.png").status_code == 404
        assert c.get("/api/alerts/PY-2024-000001/chips/drone.png", params={"item": "drone/other"}).status_code == 404
