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
    # the simulated drone flight: an orthomosaic over the largest alert, ingested as a drone item
    assert "simulated drone flight over" in out
    alert_id = out.split("simulated drone flight over ")[1].split(":")[0]
    item = out.split("orthomosaic drone/")[1].split(";")[0]
    assert item.startswith("flight1_orthomosaic")
    r = CliRunner().invoke(cli, ["--home", str(home), "patrol", "verify", alert_id, "--item", item,
                                 "--by", "demo", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["review"]["reason"] == "verified by drone"
    size = sum(p.stat().st_size for p in home.rglob("*") if p.is_file())
    assert size < 500e6
