"""Active fires: FIRMS reading (real downloads), DBSCAN events, storage, CLI, context and webhooks."""

from __future__ import annotations

import csv
import json
import shutil

import numpy as np
import pytest
import shapely
from click.testing import CliRunner

from yvy.cli.main import cli
from yvy.config import Workspace
from yvy.disaster.fires import ClusterParams, cluster_hotspots, hours, ingest_fires
from yvy.disaster.firms import read_firms, read_many
from yvy.errors import InputError
from yvy.storage import open_store
from yvy.storage.fires import SQLFireStore
from yvy.testing.disaster import firms_rows, write_firms_csv

MODIS = "fire/MODIS_C6_South_America_24h.csv"
VIIRS = "fire/fire_nrt_V1_157511.csv"


_write = write_firms_csv


def test_real_downloads_are_normalised(data_file):
    m, v = read_firms(data_file(MODIS)), read_firms(data_file(VIIRS))
    assert (len(m), len(v)) == (12228, 29863)
    assert set(m["sensor"]) == {"MODIS"} and set(v["sensor"]) == {"VIIRS"}
    assert set(m["satellite"]) == {"Terra", "Aqua"} and set(v["satellite"]) == {"Suomi NPP"}
    raw = list(csv.DictReader(open(data_file(VIIRS))))
    letters = [r["confidence"] for r in raw]
    expect = [{"l": 15, "n": 55, "h": 90}[c] for c in letters]
    assert v["confidence"].tolist() == expect
    assert ((m["confidence"] >= 80) == (m["confidence_class"] == "high")).all()
    assert v["acquired"].iloc[0] == f"{raw[0]['acq_date']}T{raw[0]['acq_time'][:2]}:{raw[0]['acq_time'][2:]}:00Z"
    both = read_many([data_file(MODIS), data_file(VIIRS), data_file(MODIS)])
    assert len(both) == 12228 + 29863  # the repeated download is merged


@pytest.mark.parametrize("change, message", [
    (lambda r: r.pop("confidence"), "missing column(s) confidence"),
    (lambda r: r.update(latitude="95.5"), "latitude out of range"),
    (lambda r: r.update(longitude="-181"), "longitude out of range"),
    (lambda r: r.update(acq_date="2020-13-40"), "not a YYYY-MM-DD date"),
    (lambda r: r.update(acq_date="1999-01-01"), "before the first MODIS fire product"),
    (lambda r: r.update(acq_date="2099-01-01"), "in the future"),
    (lambda r: r.update(acq_time="2575"), "not HHMM"),
    (lambda r: r.update(confidence="85"), "VIIRS confidence must be l/n/h"),
    (lambda r: r.update(confidence="x"), "neither 0-100 nor l/n/h"),
])
def test_bad_rows_reject_the_file(tmp_path, change, message):
    rows = firms_rows(20, fires=2, seed=3)
    change(rows[7]) if message.startswith("missing") is False else [change(r) for r in rows]
    path = _write(tmp_path / "bad.csv", rows)
    with pytest.raises(InputError, match=message.split("(")[0].strip()) as exc:
        read_firms(path)
    assert str(exc.value).startswith(str(path)) and "\n" not in str(exc.value)


def test_mixed_sensor_confidence_and_unknown_files(tmp_path):
    rows = firms_rows(10, fires=1, seed=4, sensor="MODIS")
    rows[3]["confidence"] = "h"
    with pytest.raises(InputError, match="MODIS confidence must be 0-100"):
        read_firms(_write(tmp_path / "mixed.csv", rows))
    (tmp_path / "other.csv").write_text("a,b,c\n1,2,3\n")
    with pytest.raises(InputError, match="not a FIRMS MODIS/VIIRS file"):
        read_firms(tmp_path / "other.csv")


def test_dbscan_recovers_synthetic_fires():
    from sklearn.metrics import adjusted_rand_score

    rows = firms_rows(3000, fires=40, seed=5)
    lat = np.array([r["latitude"] for r in rows])
    lon = np.array([r["longitude"] for r in rows])
    t = hours(np.array([f"{r['acq_date']}T{r['acq_time'][:2]}:{r['acq_time'][2:]}:00Z" for r in rows]))
    labels = cluster_hotspots(lat, lon, t)
    assert adjusted_rand_score([r["truth"] for r in rows], labels) > 0.98
    # the same place burning again a week later is another fire
    k = np.flatnonzero([r["truth"] == rows[0]["truth"] for r in rows])[:5]
    again = cluster_hotspots(np.r_[lat[k], lat[k]], np.r_[lon[k], lon[k]], np.r_[t[k], t[k] + 24 * 7])
    assert len(set(again[:5])) == 1 and not set(again[:5]) & set(again[5:])
    # hotspots 3 km apart are one fire only with eps above 3 km
    d = 3.0 / 111.2
    two = cluster_hotspots(np.array([0.0, d]), np.array([0.0, 0.0]), np.zeros(2))
    one = cluster_hotspots(np.array([0.0, d]), np.array([0.0, 0.0]), np.zeros(2), ClusterParams(eps_km=3.5))
    assert len(set(two)) == 2 and len(set(one)) == 1


def test_ingest_is_idempotent_and_ids_are_stable(tmp_path, store_url):
    rows = firms_rows(600, fires=10, seed=6, days=1)
    later = [dict(r, acq_date="2020-10-03") for r in rows[:50]]
    store = SQLFireStore(open_store(store_url(tmp_path / "w"), create=True))
    first = ingest_fires([_write(tmp_path / "a.csv", rows)], store)
    assert first.inserted == len({(r["latitude"], r["longitude"], r["acq_date"], r["acq_time"]) for r in rows})
    again = ingest_fires([_write(tmp_path / "a2.csv", rows)], store)
    assert again.inserted == 0 and again.new_events == [] and again.events == first.events
    grown = ingest_fires([_write(tmp_path / "b.csv", later)], store)
    assert grown.new_events == [] and grown.events == first.events
    events = store.find_events()
    assert sum(e["hotspots"] for e in events) == store.count_hotspots()
    assert {e["id"] for e in events} == set(first.new_events)


def test_cli_acceptance_with_context_and_webhook(tmp_path, data_file, monkeypatch):
    from yvy.storage.feeds import SQLFeedStore

    monkeypatch.chdir(tmp_path)
    shutil.copytree(data_file(MODIS).parent, tmp_path / "fire")
    home = ["--home", str(tmp_path / "ws")]
    r = CliRunner().invoke(cli, [*home, "init"])
    assert r.exit_code == 0, r.output
    for f, kind, field in (("paraguay_departments_ne10m.geojson", "admin", "name"),
                           ("paraguay_international_borders_ne10m.geojson", "border_zone", "neighbour")):
        r = CliRunner().invoke(cli, [*home, "context", "add", str(data_file(f"vectors/{f}")), "--kind", kind,
                                     "--name-field", field])
        assert r.exit_code == 0, r.output
    # a protected area around the first hotspot inside Paraguay, and a webhook over Paraguay
    v = read_many([data_file(MODIS), data_file(VIIRS)])
    deps = json.loads(data_file("vectors/paraguay_departments_ne10m.geojson").read_text())
    py = shapely.union_all([shapely.geometry.shape(f["geometry"]) for f in deps["features"]])
    inside = v[shapely.contains_xy(py, v["longitude"], v["latitude"])]
    assert len(inside) > 10
    x, y = inside["longitude"].iloc[0], inside["latitude"].iloc[0]
    pa = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"nombre": "Reserva test"},
          "geometry": shapely.geometry.mapping(shapely.box(x - 0.05, y - 0.05, x + 0.05, y + 0.05))}]}
    (tmp_path / "pa.geojson").write_text(json.dumps(pa))
    r = CliRunner().invoke(cli, [*home, "context", "add", "pa.geojson", "--kind", "protected_area",
                                 "--name-field", "nombre"])
    assert r.exit_code == 0, r.output
    store = open_store(Workspace(tmp_path / "ws").database_url)
    SQLFeedStore(store).add_webhook("https://example.org/hook", area=shapely.geometry.mapping(py))

    r = CliRunner().invoke(cli, [*home, "fires", "ingest", *sorted(str(p.relative_to(tmp_path))
                                                                    for p in (tmp_path / "fire").glob("*.csv"))])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, [*home, "fires", "list", "--json"])
    assert r.exit_code == 0
    events = json.loads(r.output)
    assert sum(e["hotspots"] for e in events) == 12228 + 29863
    for e in events[:50]:
        assert e["start"] <= e["end"] and e["frp_sum"] >= 0 and e["geometry"]["type"] == "Polygon"
    in_py = [e for e in events if e["departments"]]
    assert in_py and all(e["border_km"] is not None for e in in_py)
    # border distance agrees with the alert overlay's projected distance (an independent method)
    from yvy.alerts.context import annotate, read_layer

    border = read_layer(data_file("vectors/paraguay_international_borders_ne10m.geojson"), kind="border_zone")
    for e in in_py[:5]:
        ref = annotate(shapely.geometry.shape(e["geometry"]), border.features)["border_km"]
        assert abs(ref - e["border_km"]) < 0.5
    hot = [e for e in events if "Reserva test" in e["protected_areas"]]
    assert hot
    deliveries = SQLFeedStore(store).list_deliveries()
    assert {d.alert_id for d in deliveries} == {e["id"] for e in hot}
    assert all(d.event == "fire.protected_area" for d in deliveries)
    body = json.loads(deliveries[0].payload)  # a title and summary in the workspace's language (es_PY)
    assert body["lang"] == "es" and body["title"] == body["fire"]["id"]
    assert " de calor, FRP " in body["summary"] and "; área protegida: Reserva test" in body["summary"]
    r = CliRunner().invoke(cli, [*home, "fires", "ingest", "fire/MODIS_C6_South_America_24h.csv"])
    assert r.exit_code == 0 and len(SQLFeedStore(store).list_deliveries()) == len(deliveries)


def test_cli_bad_file_is_one_line_and_writes_nothing(tmp_path):
    home = ["--home", str(tmp_path / "ws")]
    rows = firms_rows(10, fires=1, seed=7)
    good = _write(tmp_path / "good.csv", rows)
    rows[2]["latitude"] = "-123"
    bad = _write(tmp_path / "bad.csv", rows)
    r = CliRunner().invoke(cli, ["--lang", "en", *home, "fires", "ingest", str(good), str(bad)])
    assert r.exit_code == 1 and len(r.output.strip().splitlines()) == 1 and "row 4" in r.output
    store = SQLFireStore(open_store(Workspace(tmp_path / "ws").database_url))
    assert store.count_hotspots() == 0


@pytest.mark.parametrize("driver, suffix", [("ESRI Shapefile", ".shp"), ("KML", ".kml"), ("GPKG", ".gpkg")])
def test_vector_formats_read_like_csv(tmp_path, driver, suffix):
    import geopandas as gpd
    import pandas as pd

    rows = firms_rows(30, fires=2, seed=8, sensor="MODIS")
    csv_path = _write(tmp_path / "m.csv", rows)
    df = pd.read_csv(csv_path, dtype={"acq_time": str})
    gdf = gpd.GeoDataFrame(df.rename(columns=str.upper).drop(columns=["LATITUDE", "LONGITUDE"]),
                           geometry=gpd.points_from_xy(df["longitude"], df["latitude"]), crs="EPSG:4326")
    gdf.to_file(tmp_path / f"m{suffix}", driver=driver)
    a, b = read_firms(csv_path), read_firms(tmp_path / f"m{suffix}")
    cols = ["sensor", "satellite", "latitude", "longitude", "acquired", "confidence", "frp"]
    pd.testing.assert_frame_equal(a[cols].sort_values("acquired").reset_index(drop=True),
                                  b[cols].sort_values("acquired").reset_index(drop=True), check_dtype=False)


def test_fetch_from_the_area_api(tmp_path):
    """The FIRMS area API, played by a server on loopback (tests never reach the network)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    body = write_firms_csv(tmp_path / "api.csv", firms_rows(40, fires=2, seed=9)).read_bytes()
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)
            ok = "/GOODKEY/" in self.path
            data = body if ok else b"Invalid MAP_KEY."
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    api = f"http://127.0.0.1:{server.server_port}/api/area/csv"
    home = ["--home", str(tmp_path / "ws")]
    try:
        r = CliRunner().invoke(cli, [*home, "fires", "fetch", "--map-key", "GOODKEY", "--bbox", "-62,-23,-57,-19.5",
                                     "--days", "2", "--api", api, "--json"])
        assert r.exit_code == 0, r.output
        assert seen[0] == "/api/area/csv/GOODKEY/VIIRS_SNPP_NRT/-62,-23,-57,-19.5/2"
        assert json.loads(r.output)["inserted"] == 40
        r = CliRunner().invoke(cli, [*home, "fires", "fetch", "--map-key", "BAD", "--bbox", "-62,-23,-57,-19.5",
                                     "--api", api])
        assert r.exit_code == 1 and "Invalid MAP_KEY" in r.output and "BAD" not in r.output  # the key is not echoed
    finally:
        server.shutdown()
        server.server_close()
