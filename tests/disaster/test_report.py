"""Event reports: PDF and GeoPackage for a fire event, a flood map and a burn map."""

from __future__ import annotations

import json

import geopandas as gpd
import pyogrio
from click.testing import CliRunner

from yvy.cli.main import cli
from yvy.testing.disaster import firms_rows, s1_flood_scene, water_shapes, write_firms_csv

from .test_burn import _scene_pair


def _pdf_ok(path) -> bool:
    data = path.read_bytes()
    return data.startswith(b"%PDF") and b"%%EOF" in data[-1024:]


def _pdf_text(path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_fire_report(tmp_path, data_file):
    home = ["--home", str(tmp_path / "ws")]
    rows = firms_rows(300, fires=3, seed=12, bbox=(-60.0, -22.0, -59.0, -21.0))
    write_firms_csv(tmp_path / "f.csv", rows)
    assert CliRunner().invoke(cli, [*home, "init"]).exit_code == 0
    r = CliRunner().invoke(cli, [*home, "context", "add", str(data_file("vectors/paraguay_departments_ne10m.geojson")),
                                 "--kind", "admin", "--name-field", "name"])
    assert r.exit_code == 0, r.output
    assert CliRunner().invoke(cli, [*home, "fires", "ingest", str(tmp_path / "f.csv")]).exit_code == 0
    events = json.loads(CliRunner().invoke(cli, [*home, "fires", "list", "--json"]).output)
    big = max(events, key=lambda e: e["hotspots"])
    assert big["departments"]  # the synthetic fires lie in the Chaco
    r = CliRunner().invoke(cli, [*home, "disaster", "report", "--fire", big["id"], "--out", str(tmp_path / "rep"),
                                 "--json"])
    assert r.exit_code == 0, r.output
    paths = json.loads(r.output)
    assert _pdf_ok(tmp_path / "rep" / "fire_report.pdf")
    text = _pdf_text(tmp_path / "rep" / "fire_report.pdf")
    assert f"Incendio {big['id']}" in text and "focos por pasada" in text and "Cronología" in text
    frp = next(ln for ln in text.splitlines() if ln.startswith("FRP total (MW)"))
    es_py = f"{big['frp_sum']:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")  # 1.079,1
    assert frp.endswith(" " + es_py)
    assert set(pyogrio.list_layers(paths["gpkg"])[:, 0]) == {"fire_event", "hotspots"}
    assert len(gpd.read_file(paths["gpkg"], layer="hotspots")) == big["hotspots"]
    r = CliRunner().invoke(cli, ["--lang", "en", *home, "disaster", "report", "--fire", "FIRE-0-0", "--out",
                                 str(tmp_path / "x")])
    assert r.exit_code == 1 and "no such fire event" in r.output


def test_flood_and_burn_reports(tmp_path):
    truth = water_shapes((300, 300), 0.15, seed=13)
    scene = s1_flood_scene(tmp_path / "s1.tif", truth, seed=14)
    runner = CliRunner()
    assert runner.invoke(cli, ["flood", "map", "--scene", str(scene), "--out", str(tmp_path / "fl")]).exit_code == 0
    r = runner.invoke(cli, ["disaster", "report", "--flood", str(tmp_path / "fl"), "--out", str(tmp_path / "r1")])
    assert r.exit_code == 0, r.output
    assert _pdf_ok(tmp_path / "r1" / "flood_report.pdf")
    water = gpd.read_file(tmp_path / "r1" / "flood_report.gpkg", layer="water")
    summary = json.loads((tmp_path / "fl" / "water.json").read_text())
    assert abs(water["ha"].sum() - summary["hectares"]["water"]) / summary["hectares"]["water"] < 0.01
    pre, post = _scene_pair(tmp_path)
    assert runner.invoke(cli, ["burn", "map", "--before", str(pre), "--after", str(post),
                               "--out", str(tmp_path / "b")]).exit_code == 0
    r = runner.invoke(cli, ["disaster", "report", "--burn", str(tmp_path / "b"), "--out", str(tmp_path / "r2")])
    assert r.exit_code == 0, r.output
    assert _pdf_ok(tmp_path / "r2" / "burn_report.pdf")
    text = _pdf_text(tmp_path / "r2" / "burn_report.pdf")  # in Spanish by default, es_PY numbers
    assert "Severidad de la quema: b" in text and "Áreas por departamento (ha)" in text and "Cronología" not in text
    assert "cicatrices de quema" in text and "Generado el" in text
    en = runner.invoke(cli, ["--lang", "en", "disaster", "report", "--burn", str(tmp_path / "b"), "--out",
                             str(tmp_path / "r2en")])
    assert en.exit_code == 0, en.output
    text_en = _pdf_text(tmp_path / "r2en" / "burn_report.pdf")
    assert "Burn severity: b" in text_en and "Areas by department (ha)" in text_en and "Severidad" not in text_en
    r = runner.invoke(cli, ["--lang", "en", "disaster", "report", "--burn", str(tmp_path / "fl"), "--out",
                            str(tmp_path / "r3")])
    assert r.exit_code == 1 and "no burn.json here" in r.output
