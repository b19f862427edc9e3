"""Alerts on real data: BFAST Monitor + alerts vs Hansen GFC (Bolivia), DETER polygons (vector
handling, dates, areas) and MultiEarth hand labels (raster reference, UTM grid)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
import rasterio
import shapely

from yvy.alerts import Alert, AlertParams, DetectionLayers, _geo, update_alerts
from yvy.alerts.evaluate import evaluate_alerts
from yvy.alerts.stats import loss_stats

BOLIVIA = "rasters/bayts_landsat_ndvi_bolivia_2005_2016.tif"
HANSEN = "reference/hansen_gfc_v1.7_lossyear_bolivia_bayts_site_north.tif"
DETER = "vectors/deter_rondonia_2023_alerts_shared.gpkg"
MULTIEARTH = "rasters/multiearth_deforestation_labels_latm411_lonm5514_2016_2021.tif"

#: Alert rules for Landsat (30 m) used in the accuracy check (see docs/alerts.md for the choice).
LANDSAT_RULES = AlertParams(window_days=30, min_loss=0.0, mmu_ha=0.25, interval_join=True)


def bfast_layers(path, tmp_path, monitor_start="2014-01-01", history="roc", direction="both", forest=False):
    """Run the real pipeline (``yvy detect --stack``: BFAST Monitor, confirmations, the forest
    history layer, the product files) on an NDVI stack and read its detection layers back as
    ``yvy alerts`` does; also the analysed mask (pixels with a test)."""
    from yvy.alerts.layers import layers_from_item
    from yvy.change.detect import DetectRequest, run_detection
    from yvy.config import Workspace
    from yvy.storage import open_store

    ws = Workspace.create(tmp_path / "ws")
    store = open_store(ws.database_url, create=True)
    req = DetectRequest(history_start="2005-01-01", monitor_start=monitor_start, stack=str(path),
                        history=history, direction=direction, chunk=50)
    item = run_detection(store, ws, req)
    layers = layers_from_item(item, forest_filter=forest)
    with rasterio.open(item["assets"]["status"]["href"]) as ds:
        analysed = (ds.read(1) >= 0).astype("uint8")
    return layers, analysed


def analysed_area(mask, transform, crs):
    from rasterio.features import shapes
    from shapely.geometry import shape

    geom = shapely.union_all([shape(g) for g, _ in shapes(mask, mask=mask > 0, transform=transform)])
    return _geo.reproject(geom, crs, _geo.WGS84)


@pytest.mark.parametrize("direction,forest", [("both", False), ("both", True), ("negative", False),
                                              ("negative", True)])
def test_bolivia_accuracy_against_hansen(data_file, astore, tmp_path, direction, forest):
    layers, analysed = bfast_layers(data_file(BOLIVIA), tmp_path, direction=direction, forest=forest)
    if forest:  # the default NDVI rule keeps this deciduous dry forest (dry-season NDVI about 0.4)
        assert np.mean(layers.forest[analysed == 1] == 1) > 0.95
    summary = update_alerts(astore, layers, LANDSAT_RULES)
    assert summary["created"] > 0
    alerts = astore.find_alerts()
    extent = analysed_area(analysed, layers.transform, layers.crs)
    rep = evaluate_alerts(alerts, data_file(HANSEN), change_values=[14, 15], stable_values=[0], extent=extent)
    print("Bolivia vs Hansen:", rep["count"], rep["area"], rep["objects"])
    assert rep["count"]["ua"] >= 0.90 and rep["count"]["pa"] >= 0.80
    assert rep["area"]["ua"] >= 0.90 and rep["area"]["pa"] >= 0.80
    # every alert lies in the monitoring period and has a last clear observation before it
    assert all("2014-01-01" <= a.first_detected <= "2016-05-25" for a in alerts)
    assert all(a.last_clear is None or a.last_clear < a.first_detected for a in alerts)
    # re-running the same detection changes nothing
    again = update_alerts(astore, layers, LANDSAT_RULES)
    assert again["created"] == 0 and again["updated"] == 0




def test_deter_polygons_dates_and_areas(data_file, tmp_path):
    import geopandas as gpd

    path = data_file(DETER)
    gdf = gpd.read_file(path, layer="deter_alerts")
    assert gdf.crs.to_epsg() == 4674
    clear = gdf[gdf["CLASSNAME"] == "DESMATAMENTO_CR"].to_crs("EPSG:4326")
    alerts = [Alert(id=f"DETER-{r.DETER_ID}", geometry=shapely.make_valid(r.geometry),
                    area_ha=_geo.area_ha(shapely.make_valid(r.geometry)), first_detected=str(r.VIEW_DATE)[:10])
              for r in clear.itertuples()]
    # areas: our equal-area hectares agree with DETER's own km2
    ratio = np.array([a.area_ha / 100 for a in alerts]) / clear["AREAMUNKM"].to_numpy()
    assert np.median(np.abs(ratio - 1)) < 0.01
    # the polygons evaluated against themselves: perfect scores, zero delay
    rep = evaluate_alerts(alerts, path, date_field="VIEW_DATE", label_field="CLASSNAME",
                          change_values="DESMATAMENTO_CR")
    assert rep["count"]["ua"] == 1.0 and rep["count"]["pa"] == 1.0
    assert rep["area"]["ua"] == pytest.approx(1.0, abs=1e-3) and rep["area"]["pa"] == pytest.approx(1.0, abs=1e-3)
    assert rep["delay"]["median_days"] == 0 and rep["delay"]["n"] == len(alerts)
    # alerts a month late: the delay is 30 days
    late = [a.with_(first_detected=(date.fromisoformat(a.first_detected).toordinal() + 30)) for a in alerts]
    late = [a.with_(first_detected=date.fromordinal(a.first_detected).isoformat()) for a in late]
    rep = evaluate_alerts(late, path, date_field="VIEW_DATE", label_field="CLASSNAME", change_values="DESMATAMENTO_CR",
                          ref_start="2023-06-01", ref_end="2023-08-31")
    assert rep["delay"]["median_days"] == 30 and rep["delay"]["p90_days"] == 30
    # monthly statistics add up to the total
    st = loss_stats(alerts)
    assert sum(r["area_ha"] for r in st["month"]) == pytest.approx(sum(a.area_ha for a in alerts), rel=1e-6)
    assert {r["key"][:4] for r in st["month"]} == {"2023"}


def test_multiearth_labels_to_alerts_and_back(data_file, astore):
    path = data_file(MULTIEARTH)
    with rasterio.open(path) as ds:
        band = 4  # 2018-06-01, deforested coded 1
        assert ds.descriptions[band - 1].startswith("2018-06-01")
        lab = ds.read(band)
        crs, transform = ds.crs, ds.transform
    defo = lab == 1
    day = float((date(2018, 6, 1) - date(1970, 1, 1)).days)
    layers = DetectionLayers(crs, transform, np.where(defo, day, np.nan), np.where(defo, -0.3, 0.0),
                             np.where(defo, 2, 0), np.where(defo, day - 30, np.nan), "multiearth")
    update_alerts(astore, layers, AlertParams(mmu_ha=0.5))
    alerts = astore.find_alerts()
    assert alerts and all(a.first_detected == "2018-06-01" for a in alerts)
    total = sum(a.area_ha for a in alerts)
    assert total <= defo.sum() * 0.01 * 1.01  # 10 m pixels = 0.01 ha; UTM scale at most ~1 %
    rep = evaluate_alerts(alerts, path, change_values=[1], stable_values=[0], band=band)
    assert rep["count"]["ua"] == 1.0  # polygons from the labels fall on labelled pixels only
    assert rep["count"]["pa"] > 0.95  # patches below the 0.5 ha MMU are the only misses
