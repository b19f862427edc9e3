import json

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner

from yvy.alerts import update_alerts
from yvy.cli.main import cli

from ..conftest import drop_trigger_sql, raw_sql
from .conftest import Patch, make_layers


@pytest.fixture
def ws(tmp_path, store_url):
    from yvy.storage import open_store
    from yvy.storage.alerts import SQLAlertStore

    home = tmp_path / "ws"
    r = CliRunner().invoke(cli, ["--home", str(home), "init"])
    assert r.exit_code == 0, r.output
    s = open_store(store_url(home / "yvy.db"))
    layers = make_layers([Patch(slice(10, 20), slice(10, 20), confirm=3),
                          Patch(slice(40, 46), slice(40, 50), day=19100, confirm=0)])
    update_alerts(SQLAlertStore(s), layers)
    s.close()
    return home


class _Result:
    def __init__(self, r):
        self.exit_code, self.raw = r.exit_code, r.output
        json_out = r.stdout.lstrip().startswith(("{", "["))
        self.output = r.stdout if json_out else " ".join(r.output.split())


def run(home, *args):
    """Invoke yvy; text output has rich's line wrapping folded back into single spaces."""
    return _Result(CliRunner().invoke(cli, ["--home", str(home), *args]))


def test_help_has_examples():
    for args in (["alerts"], ["alerts", "list"], ["alerts", "show"], ["alerts", "review"], ["alerts", "export"],
                 ["alerts", "audit"], ["alerts", "evidence"], ["alerts", "update"], ["context"], ["context", "add"],
                 ["context", "list"], ["stats"], ["evaluate"]):
        r = CliRunner().invoke(cli, ["--lang", "en", *args, "--help"])
        assert r.exit_code == 0 and "Example: yvy" in r.output, args


def test_list_filters_and_json(ws):
    rows = json.loads(run(ws, "alerts", "list", "--json").output)
    assert [r["id"] for r in rows] == ["PY-2022-000001", "PY-2022-000002"]
    assert [r["id"] for r in json.loads(run(ws, "alerts", "list", "--confidence", "high", "--json").output)] == \
        ["PY-2022-000001"]
    assert len(json.loads(run(ws, "alerts", "list", "--since", "2022-02-01", "--json").output)) == 1
    assert len(json.loads(run(ws, "alerts", "list", "--min-area", "6", "--json").output)) == 1
    assert json.loads(run(ws, "alerts", "list", "--in-protected-area", "--json").output) == []
    assert json.loads(run(ws, "alerts", "list", "--bbox", "0,0,1,1", "--json").output) == []
    assert json.loads(run(ws, "alerts", "list", "--status", "confirmed", "--json").output) == []
    r = run(ws, "alerts", "list")
    assert r.exit_code == 0 and "PY-2022-000001" in r.output
    assert run(ws, "alerts", "list", "--status", "approved").exit_code == 2
    assert run(ws, "alerts", "list", "--bbox", "1,2,3").exit_code == 2
    r = run(ws, "alerts", "list", "--since", "2022-13-01")
    assert r.exit_code == 1 and "--since" in r.output


def test_review_show_audit_and_tamper(ws, store_url):
    from yvy.storage import open_store

    aid = "PY-2022-000001"
    r = run(ws, "--lang", "en", "alerts", "review", aid, "--status", "referred", "--by", "Ana", "--authority", "F",
            "--case", "1")
    assert r.exit_code == 1 and "cannot go from new to referred" in r.output
    assert run(ws, "alerts", "review", aid, "--status", "under_review", "--by", "Ana").exit_code == 0
    r = run(ws, "--lang", "en", "alerts", "review", aid, "--status", "dismissed", "--by", "Ana", "--reason", "aliens")
    assert r.exit_code == 1 and "agriculture" in r.output
    r = run(ws, "--lang", "en", "alerts", "review", "PY-2000-000009", "--status", "under_review", "--by", "Ana")
    assert r.exit_code == 1 and "no such alert" in r.output
    assert run(ws, "alerts", "review", aid, "--status", "confirmed", "--by", "Ana", "--reason", "field_visit",
               "--note", "visited 2022-02-10").exit_code == 0
    r = run(ws, "alerts", "review", aid, "--status", "referred", "--by", "Luis", "--authority", "Fiscalía",
            "--case", "123/2022", "--json")
    assert r.exit_code == 0 and json.loads(r.output)["review"]["case"] == "123/2022"
    doc = json.loads(run(ws, "alerts", "show", aid, "--json").output)
    assert doc["properties"]["status"] == "referred" and len(doc["reviews"]) == 3
    assert [e["action"] for e in doc["audit"]] == ["created", "status", "status", "status"]
    r = run(ws, "alerts", "show", aid)
    assert r.exit_code == 0 and "Fiscalía" in r.output
    r = run(ws, "alerts", "audit", "--verify")
    assert r.exit_code == 0 and "registro de auditoría correcto: 5 entradas" in r.output
    assert run(ws, "alerts", "audit").exit_code == 0
    # editing the alert row alone is caught: the log says referred
    st = open_store(store_url(ws / "yvy.db"))
    raw_sql(st, "UPDATE alerts SET status='dismissed' WHERE id=:aid", aid=aid)
    r = run(ws, "--lang", "en", "alerts", "audit", "--verify")
    assert r.exit_code == 1 and "TAMPERED" in r.output and "audit log says referred" in r.output
    raw_sql(st, "UPDATE alerts SET status='referred' WHERE id=:aid", aid=aid)
    raw_sql(st, drop_trigger_sql(st, "audit_log_no_update", "audit_log"))
    raw_sql(st, "UPDATE audit_log SET actor='Mallory' WHERE seq=4")
    st.close()
    r = run(ws, "alerts", "audit", "--verify", "--json")
    assert r.exit_code == 1 and "entry 4" in r.output


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "kml", "csv", "parquet"])
def test_export(ws, tmp_path, fmt):
    out = tmp_path / f"x.{fmt}"
    r = run(ws, "alerts", "export", "--format", fmt, "--confidence", "high", "-o", str(out))
    assert r.exit_code == 0 and "1 alerta escrita en" in r.output
    assert out.stat().st_size > 0


def test_context_stats_evaluate(ws, tmp_path, data_file):
    r = run(ws, "context", "add", str(data_file("vectors/paraguay_departments_ne10m.geojson")), "--kind", "admin",
            "--name-field", "name", "--name", "departamentos")
    assert r.exit_code == 0 and "2 de 2 alerta(s) vueltas a anotar" in r.output
    r = run(ws, "context", "add", str(data_file("vectors/paraguay_departments_ne10m.geojson")), "--kind", "admin",
            "--name", "departamentos")
    assert r.exit_code == 1 and "--replace" in r.output
    assert json.loads(run(ws, "context", "list", "--json").output)[0]["features"] == 17
    rows = json.loads(run(ws, "alerts", "list", "--legal-flag", "likely_illegal", "--json").output)
    assert {r["legal_rule"] for r in rows} == {"PY-CHACO-NO-PERMIT"}
    st = json.loads(run(ws, "stats", "--json", "--png", str(tmp_path / "s.png")).output)
    assert st["admin"][0]["key"] == "Boquerón" and (tmp_path / "s.png").exists()
    assert run(ws, "stats", "--csv", str(tmp_path / "s.csv")).exit_code == 0
    assert run(ws, "context", "remove", "departamentos").exit_code == 0
    assert run(ws, "context", "remove", "departamentos").exit_code == 1
    assert run(ws, "alerts", "export", "-o", str(tmp_path / "a.geojson")).exit_code == 0
    alerts = json.loads((tmp_path / "a.geojson").read_text())["features"]
    ref = gpd.GeoDataFrame({"d": ["2022-01-01"]}, geometry=[shapely.geometry.shape(alerts[0]["geometry"])],
                           crs="EPSG:4326")
    ref.to_file(tmp_path / "ref.geojson")
    r = run(ws, "evaluate", "--reference", str(tmp_path / "ref.geojson"), "--date-field", "d", "--json")
    assert r.exit_code == 0, r.output
    rep = json.loads(r.output)
    assert rep["count"]["pa"] == 1.0 and rep["delay"]["median_days"] == 7
    r = run(ws, "evaluate", "--reference", str(tmp_path / "ref.geojson"))
    assert r.exit_code == 0 and "UA" in r.output


def test_context_without_crs_is_an_error(ws, tmp_path):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gpd.GeoDataFrame({"n": ["a"]}, geometry=[shapely.box(0, 0, 1, 1)]).to_file(tmp_path / "x.shp")
    r = run(ws, "--lang", "en", "context", "add", str(tmp_path / "x.shp"), "--kind", "permit")
    assert r.exit_code == 1 and "no CRS" in r.output
    assert run(ws, "context", "add", str(tmp_path / "x.shp"), "--kind", "lake").exit_code == 2


def test_update_from_catalogued_detection_product(ws, tmp_path, store_url):
    import rasterio

    from yvy.storage import open_store

    layers = make_layers([Patch(slice(20, 30), slice(20, 30), day=19500, confirm=2)], product_id="det-x")
    assets = {}
    for name, arr, dtype, nodata in (("break_days", layers.break_days, "float32", float("nan")),
                                     ("magnitude", layers.magnitude, "float32", float("nan")),
                                     ("confirm_count", layers.confirm_count, "int16", -1),
                                     ("prev_obs_days", layers.prev_obs_days, "float32", float("nan"))):
        path = tmp_path / f"{name}.tif"
        with rasterio.open(path, "w", driver="GTiff", width=60, height=60, count=1, dtype=dtype,
                           crs=layers.crs, transform=layers.transform, nodata=nodata) as ds:
            ds.write(arr.astype(dtype), 1)
        assets[name] = {"href": str(path)}
    s = open_store(store_url(ws / "yvy.db"))
    s.upsert_collection({"id": "yvy-detections", "type": "Collection"})
    s.upsert_item({"type": "Feature", "id": "det-x", "collection": "yvy-detections", "geometry": None,
                   "bbox": None, "properties": {"datetime": "2023-06-01T00:00:00Z",
                                                "yvy:last_processed": "2023-06-01"}, "assets": assets})
    s.close()
    r = run(ws, "alerts", "update", "--product", "det-x", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["created"] == 1
    rows = json.loads(run(ws, "alerts", "list", "--since", "2023-01-01", "--json").output)
    assert rows[0]["id"] == "PY-2023-000001" and rows[0]["observed_until"] == "2023-06-01"
    assert rows[0]["confidence"] == "high"
    assert run(ws, "alerts", "update", "--product", "nope").exit_code == 1
