"""The built-in Paraguay context: departments with region and borders shipped in the package."""

from __future__ import annotations

import json

import pytest
import shapely
from click.testing import CliRunner

from yvy.alerts import update_alerts
from yvy.alerts.context import builtin_layers, load_builtin
from yvy.cli.main import cli
from yvy.errors import InputError

from .conftest import CHACO, ORIENTAL, Patch, make_layers


def test_builtin_paraguay_matches_the_natural_earth_source(data_file):
    deps, borders = builtin_layers("paraguay")
    assert (deps.kind, borders.kind) == ("admin", "border_zone")
    assert len(deps.features) == 17
    regions = {f.name: f.props["region"] for f in deps.features}
    assert {n for n, r in regions.items() if r.startswith("Occidental")} == {"Boquerón", "Alto Paraguay",
                                                                             "Presidente Hayes"}
    assert {f.name for f in borders.features} == {"Argentina", "Bolivia", "Brazil"}
    # the shipped copy is the staged Natural Earth layer with coordinates rounded to 1e-5 degrees
    src = json.loads(data_file("vectors/paraguay_departments_ne10m.geojson").read_text())
    for feat in src["features"]:
        ours = next(f for f in deps.features if f.name == feat["properties"]["name"])
        theirs = shapely.geometry.shape(feat["geometry"])
        assert shapely.hausdorff_distance(ours.geometry, theirs) < 1e-5


def test_unknown_builtin_is_one_line_error():
    with pytest.raises(InputError, match="not a built-in context"):
        builtin_layers("atlantis")


def test_loading_the_builtin_gives_alerts_their_department_and_rule(astore):
    update_alerts(astore, make_layers([Patch(slice(10, 20), slice(10, 20))], lonlat=CHACO))
    update_alerts(astore, make_layers([Patch(slice(10, 20), slice(10, 20))], lonlat=ORIENTAL, product_id="det-2"))
    before = {a.id: a.legal["flag"] for a in astore.find_alerts()}
    assert set(before.values()) == {"unknown_region"}
    res = load_builtin(astore, "paraguay")
    assert res["layers"] == ["departamentos", "fronteras"] and res["changed"] == 2
    by_dep = {a.context["admin"][0]["name"]: a for a in astore.find_alerts()}
    assert set(by_dep) == {"Boquerón", "Caaguazú"}
    chaco, oriental = by_dep["Boquerón"].legal, by_dep["Caaguazú"].legal
    assert chaco["rule"] == "PY-CHACO-NO-PERMIT" and chaco["article"] == "Art. 42"
    assert "veinticinco por ciento" in chaco["quote"] and "Ley N° 422/73" in chaco["law"]
    assert oriental["rule"] == "PY-ORIENTAL-ZERO-DEFORESTATION" and "Región Oriental" in oriental["quote"]
    assert 100 < by_dep["Boquerón"].context["border_km"] < 200


def test_cli_context_add_builtin(tmp_path):
    home = str(tmp_path / "ws")
    assert CliRunner().invoke(cli, ["--home", home, "init"]).exit_code == 0
    r = CliRunner().invoke(cli, ["--home", home, "context", "add", "--builtin", "paraguay"])
    assert r.exit_code == 0, r.output
    rows = json.loads(CliRunner().invoke(cli, ["--home", home, "context", "list", "--json"]).output)
    assert {(x["name"], x["kind"], x["features"]) for x in rows} == {("departamentos", "admin", 17),
                                                                     ("fronteras", "border_zone", 3)}
    r = CliRunner().invoke(cli, ["--lang", "en", "--home", home, "context", "add", "--builtin", "paraguay"])
    assert r.exit_code == 1 and "exists" in r.output  # nothing half-added: the same two layers remain
    r = CliRunner().invoke(cli, ["--home", home, "context", "add"])
    assert r.exit_code == 2
