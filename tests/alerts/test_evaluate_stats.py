import json

import geopandas as gpd
import pytest
import rasterio
import shapely
from affine import Affine
from rasterio.features import rasterize

from yvy.alerts import update_alerts
from yvy.alerts._geo import area_ha
from yvy.alerts.context import read_layer
from yvy.alerts.evaluate import evaluate_alerts, scores
from yvy.alerts.stats import loss_stats, plot_stats, write_stats_csv, write_stats_json
from yvy.errors import InputError

from .conftest import Patch, make_layers

A = Patch(slice(10, 20), slice(10, 20), day=19000)  # 2022-01-08
B = Patch(slice(40, 50), slice(40, 50), day=19100)


@pytest.fixture
def two(astore):
    update_alerts(astore, make_layers([A, B]))
    return astore, astore.find_alerts()


def test_scores():
    assert scores(8, 2, 0) == {"tp": 8, "fp": 2, "fn": 0, "ua": 0.8, "pa": 1.0, "f1": 0.8889}
    assert scores(0, 0, 0)["ua"] is None


def test_polygons_with_dates(two, tmp_path):
    _, (a, b) = two
    miss = shapely.box(*a.geometry.buffer(0.05).bounds).difference(shapely.box(*a.geometry.buffer(0.04).bounds))
    ref = gpd.GeoDataFrame({"VIEW_DATE": ["2021-12-29", "2022-03-01"], "CLASSNAME": ["DESMATAMENTO_CR"] * 2},
                           geometry=[a.geometry, miss], crs="EPSG:4326").to_crs("EPSG:4674")
    path = tmp_path / "ref.gpkg"
    ref.to_file(path)
    extent = shapely.box(*a.geometry.buffer(0.2).bounds)
    rep = evaluate_alerts([a, b], path, date_field="VIEW_DATE", extent=extent)
    assert rep["kind"] == "polygons"
    assert rep["count"]["ua"] == 0.5 and rep["count"]["pa"] == 0.5
    ar = rep["area"]
    assert ar["tp"] == pytest.approx(a.area_ha, rel=1e-3)
    assert ar["ua"] == pytest.approx(a.area_ha / (a.area_ha + b.area_ha), abs=1e-3)
    assert ar["pa"] == pytest.approx(a.area_ha / (a.area_ha + area_ha(miss)), abs=1e-3)
    assert rep["delay"] == {"n": 1, "median_days": 10.0, "p90_days": 10.0, "early": 0}
    only_first = evaluate_alerts([a, b], path, date_field="VIEW_DATE", extent=extent, ref_end="2022-01-31")
    assert only_first["count"]["pa"] == 1.0


def test_points(two, tmp_path):
    _, (a, b) = two
    pts = [a.geometry.representative_point(), b.geometry.representative_point(),
           shapely.Point(-60.0, -22.0), shapely.Point(-60.1, -22.1)]
    gdf = gpd.GeoDataFrame({"label": ["Deforestation", "Forest", "Deforestation", "Forest"],
                            "date": ["2022-01-01", "", "2022-01-01", ""]}, geometry=pts, crs="EPSG:4326")
    path = tmp_path / "pts.geojson"
    gdf.to_file(path)
    rep = evaluate_alerts([a, b], path, label_field="label", change_values="Deforestation", date_field="date")
    c = rep["count"]
    assert (c["tp"], c["fp"], c["fn"], c["tn"]) == (1, 1, 1, 1)
    assert rep["area"] is None and rep["delay"]["median_days"] == 7
    with pytest.raises(InputError, match="label"):
        evaluate_alerts([a], path)


def test_raster_reference_on_another_grid(two, tmp_path):
    _, (a, b) = two
    minx, miny, maxx, maxy = shapely.union_all([a.geometry, b.geometry]).buffer(0.002).bounds
    res = 0.0001
    t = Affine(res, 0, minx, 0, -res, maxy)
    shape = (int((maxy - miny) / res) + 1, int((maxx - minx) / res) + 1)
    data = rasterize([(a.geometry, 14), (b.geometry, 9)], out_shape=shape, transform=t, fill=0, dtype="uint8")
    path = tmp_path / "lossyear.tif"
    with rasterio.open(path, "w", driver="GTiff", width=shape[1], height=shape[0], count=1, dtype="uint8",
                       crs="EPSG:4326", transform=t) as ds:
        ds.write(data, 1)
    rep = evaluate_alerts([a, b], path, change_values="14,15", stable_values="0")
    assert rep["count"]["ua"] == 1.0 and rep["count"]["pa"] == 1.0  # B sits on loss year 9: not scored
    assert rep["area"]["tp"] == pytest.approx(a.area_ha, rel=0.05)
    assert rep["objects"] == {"reference_patches": 1, "patches_hit": 1, "pa": 1.0}
    rep2 = evaluate_alerts([b], path, change_values=[14], stable_values=[0, 9])
    assert rep2["count"]["ua"] == 0.0 and rep2["count"]["pa"] == 0.0


def test_stats_by_month_admin_protected(two, tmp_path):
    s, (a, b) = two
    minx, miny, maxx, maxy = a.geometry.bounds
    mid = (minx + maxx) / 2
    admin = gpd.GeoDataFrame({"name": ["West", "East"], "region": ["Occidental (Chaco)"] * 2},
                             geometry=[shapely.box(mid - 1, miny - 1, mid, maxy + 1),
                                       shapely.box(mid, miny - 1, mid + 1, maxy + 1)], crs="EPSG:4326")
    admin.to_file(tmp_path / "admin.geojson")
    pa = gpd.GeoDataFrame({"name": ["PN"]}, geometry=[b.geometry.buffer(0.001)], crs="EPSG:4326")
    pa.to_file(tmp_path / "pa.geojson")
    s.add_context_layer(read_layer(tmp_path / "admin.geojson", kind="admin", name_field="name"))
    s.add_context_layer(read_layer(tmp_path / "pa.geojson", kind="protected_area", name_field="name"))
    from yvy.alerts.build import refresh_context

    refresh_context(s)
    st = loss_stats(s.find_alerts())
    assert [r["key"] for r in st["month"]] == ["2022-01", "2022-04"]
    assert st["month"][0]["area_ha"] == pytest.approx(a.area_ha, abs=1e-3)
    adm = {r["key"]: r for r in st["admin"]}
    assert adm["West"]["area_ha"] + adm["East"]["area_ha"] == pytest.approx(a.area_ha + b.area_ha, abs=1e-3)
    assert adm["West"]["area_ha"] == pytest.approx(a.area_ha / 2, rel=0.01)
    assert st["protected_area"] == [{"key": "PN", "alerts": 1, "area_ha": pytest.approx(b.area_ha, abs=1e-3)}]
    write_stats_csv(st, tmp_path / "s.csv")
    assert (tmp_path / "s.csv").read_text().startswith("group,key,alerts,area_ha\nmonth,2022-01,1,")
    assert json.loads(write_stats_json(st, tmp_path / "s.json").read_text())["month"][1]["key"] == "2022-04"
    png = plot_stats(st, tmp_path / "s.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
