"""`yvy demo --no-serve` end to end on a small area: generate, ingest, detect, alerts, evaluation."""

from __future__ import annotations

import json

from click.testing import CliRunner

from yvy.cli.main import cli


def test_demo_runs_the_whole_chain(tmp_path):
    home = tmp_path / "demo-ws"
    r = CliRunner().invoke(cli, ["--home", str(home), "demo", "--size", "150", "--no-serve"],
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    out = " ".join(r.output.split())
    assert "219 ítem(s) ingeridos (219 nuevos" in out
    assert "evaluación frente a la verdad de campo de la demostración" in out
    assert "UA" in out and "PA" in out
    truth = json.loads((home / "demo" / "truth.geojson").read_text())
    assert truth["features"], "the demo has clearings"
    scenes = json.loads(CliRunner().invoke(cli, ["--home", str(home), "scenes", "--json"]).output)
    assert len(scenes["features"]) == 220  # 219 Sentinel-2 scenes + the simulated drone orthomosaic
    products = CliRunner().invoke(cli, ["--home", str(home), "monitor", "list", "--json"])
    assert products.exit_code == 0 and "bfm-ndvi" in products.output
    alerts = CliRunner().invoke(cli, ["--home", str(home), "alerts", "list", "--json"])
    assert alerts.exit_code == 0
    # the built-in Paraguay context: every alert lies in Boquerón (Chaco) and the Chaco rule fires
    rows = json.loads(alerts.output)
    assert rows and {r["admin"] for r in rows} == {"Boquerón"}
    assert {r["legal_rule"] for r in rows} == {"PY-CHACO-NO-PERMIT"}
    # the simulated drone flight: an orthomosaic over the largest alert, ingested as a drone item
    assert "vuelo de dron simulado sobre" in out
    alert_id = out.split("vuelo de dron simulado sobre ")[1].split(":")[0]
    item = out.split("ortomosaico drone/")[1].split(";")[0]
    assert item.startswith("flight1_orthomosaic")
    r = CliRunner().invoke(cli, ["--home", str(home), "patrol", "verify", alert_id, "--item", item,
                                 "--by", "demo", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["review"]["reason"] == "verified by drone"
    _court_ready_evidence(home, rows[0]["id"])
    size = sum(p.stat().st_size for p in home.rglob("*") if p.is_file())
    assert size < 500e6
    _check_disaster_products(home, out)


def _check_disaster_products(home, out):
    """The demo's pasture fire and flood: every product exists, matches the truth known by construction,
    and is published for the map."""
    import rasterio
    import shapely
    from shapely.geometry import shape

    fire = json.loads((home / "demo" / "fire_truth.geojson").read_text())["features"][0]
    burnt = shape(fire["geometry"])
    events = json.loads(CliRunner().invoke(cli, ["--home", str(home), "fires", "list", "--json"]).output)
    assert len(events) == 1 and events[0]["hotspots"] > 0
    assert events[0]["start"][:10] == fire["properties"]["date"]
    assert shape(events[0]["geometry"]).buffer(0.004).intersects(burnt)  # hotspots within ~400 m
    scars = json.loads((home / "disaster" / "burn" / "burn_scars.geojson").read_text())["features"]
    mapped = shapely.union_all([shape(f["geometry"]) for f in scars])
    assert mapped.intersection(burnt).area / burnt.area > 0.8  # recall of the burnt paddock
    assert mapped.intersection(burnt).area / mapped.area > 0.95  # nothing else burnt in the window
    summary = json.loads((home / "disaster" / "burn" / "burn.json").read_text())
    assert any(events[0]["id"] in s["fire_events"] for s in summary["scars"])
    with rasterio.open(home / "disaster" / "flood" / "flood.tif") as a, \
            rasterio.open(home / "disaster" / "s1" / "flood_truth.tif") as b:
        flood, truth = a.read(1) == 1, b.read(1) == 1
    assert (flood & truth).sum() / (flood | truth).sum() > 0.6  # IoU on a 150 px site (0.93 at 305 px)
    assert "un incendio de pastizal el" in out and "ha inundadas" in out
    published = (home / "assets" / "products")
    kinds = {p.name.split("-")[0] for p in published.rglob("*") if p.is_dir() and p.parent.parent == published}
    assert {"burn", "flood"} <= kinds, kinds


def _court_ready_evidence(home, alert_id):
    """The evidence PDF of a demo alert, read back as text: Spanish, coordinates, rule, custody."""
    import re

    from pypdf import PdfReader

    out = home / "reports" / alert_id
    r = CliRunner().invoke(cli, ["--home", str(home), "alerts", "evidence", alert_id, "-o", str(out)])
    assert r.exit_code == 0, r.output
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(out / "report.pdf").pages).split())
    assert f"Informe de evidencia - alerta de deforestación {alert_id}" in text
    assert "Hechos del caso" in text and "departamento de Boquerón, Región Occidental (Chaco)" in text
    assert re.search(r"-2[12],\d{6}°, -60,\d{6}° \(WGS 84\)", text)  # lat/lon, es_PY decimal comma
    assert re.search(r"zona 20K, E \d{3}\.\d{3} m, N 7\.\d{3}\.\d{3} m \(EPSG:32720", text)  # UTM
    assert "PY-CHACO-NO-PERMIT" in text and "Art. 42" in text and "veinticinco por ciento" in text
    assert "BFAST Monitor" in text and "Sentinel 2" in text  # the method in plain language
    custody = (out / "custody.csv").read_text().splitlines()
    scene, digest = custody[1].split(",")[0], custody[1].split(",")[-1]
    assert scene in text and digest in text and len(digest) == 64  # every scene, its checksum
    assert "Cadena de custodia" in text and "Registro de auditoría de la alerta" in text
    assert "legal_flag" not in text and "unknown_region" not in text  # no raw field names
