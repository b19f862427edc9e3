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
    assert "219 item(s) ingested (219 new" in out
    assert "evaluation against the demo's ground truth" in out
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
    assert "simulated drone flight over" in out
    alert_id = out.split("simulated drone flight over ")[1].split(":")[0]
    item = out.split("orthomosaic drone/")[1].split(";")[0]
    assert item.startswith("flight1_orthomosaic")
    r = CliRunner().invoke(cli, ["--home", str(home), "patrol", "verify", alert_id, "--item", item,
                                 "--by", "demo", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["review"]["reason"] == "verified by drone"
    _court_ready_evidence(home, rows[0]["id"])
    size = sum(p.stat().st_size for p in home.rglob("*") if p.is_file())
    assert size < 500e6


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
