import csv
import json
import xml.etree.ElementTree as ET

import geopandas as gpd
import pytest
import shapely

from yvy.alerts import update_alerts
from yvy.alerts.export import export_alerts
from yvy.errors import InputError

from .conftest import Patch, make_layers

KML = "{http://www.opengis.net/kml/2.2}"


@pytest.fixture
def alerts(astore):
    layers = make_layers([Patch(slice(10, 20), slice(10, 20)), Patch(slice(40, 50), slice(30, 45), day=19100)])
    layers.break_days[14:16, 14:16] = float("nan")  # a hole in the first alert
    update_alerts(astore, layers)
    return astore.find_alerts()


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "parquet"])
def test_vector_formats_round_trip(alerts, tmp_path, fmt):
    out = export_alerts(alerts, tmp_path / f"a.{fmt}")
    gdf = gpd.read_parquet(out) if fmt == "parquet" else gpd.read_file(out)
    assert gdf.crs.to_epsg() == 4326
    assert sorted(gdf["id"]) == [a.id for a in alerts]
    by_id = {a.id: a for a in alerts}
    for _, row in gdf.iterrows():
        a = by_id[row["id"]]
        assert row.geometry.equals_exact(a.geometry, 1e-9) or row.geometry.equals(a.geometry)
        assert row["area_ha"] == pytest.approx(a.area_ha, abs=1e-4)
        assert row["status"] == "new"


def test_geoparquet_passes_validator(alerts, tmp_path):
    import geoparquet_validator as gpv

    out = export_alerts(alerts, tmp_path / "a.parquet", "parquet")
    rep = gpv.check(str(out))
    assert gpv.failed(rep) == [], gpv.failed(rep)
    assert gpv.conformant(rep, "core")


def test_kml_has_attributes_in_description(alerts, tmp_path):
    out = export_alerts(alerts, tmp_path / "a.kml")
    root = ET.parse(out).getroot()
    pms = root.findall(f".//{KML}Placemark")
    assert [p.find(f"{KML}name").text for p in pms] == [a.id for a in alerts]
    desc = pms[0].find(f"{KML}description").text
    assert "first_detected" in desc and alerts[0].first_detected in desc and "<table>" in desc
    data = {d.get("name"): d.find(f"{KML}value").text for d in pms[0].iter(f"{KML}Data")}
    assert data["confidence"] == alerts[0].confidence.value
    assert pms[0].find(f".//{KML}innerBoundaryIs") is not None  # the hole survives
    # GDAL reads it back as the same polygon
    g = gpd.read_file(out).geometry.iloc[0]
    assert g.buffer(0).symmetric_difference(alerts[0].geometry).area < 1e-4 * alerts[0].geometry.area


def test_csv_and_geojson_details(alerts, tmp_path):
    out = export_alerts(alerts, tmp_path / "a.csv")
    rows = list(csv.DictReader(out.open()))
    assert [r["id"] for r in rows] == [a.id for a in alerts]
    assert shapely.from_wkt(rows[0]["wkt"]).equals(alerts[0].geometry)
    doc = json.loads(export_alerts(alerts, tmp_path / "a.geojson").read_text())
    assert doc["features"][0]["properties"]["legal"]["flag"] == "unknown_region"


def test_empty_and_bad_format(tmp_path):
    out = export_alerts([], tmp_path / "none.gpkg")
    assert len(gpd.read_file(out)) == 0
    with pytest.raises(InputError, match="geojson"):
        export_alerts([], tmp_path / "a.shp")
    with pytest.raises(InputError):
        export_alerts([], tmp_path / "a.x", "dxf")
