"""The demo chain's accuracy against its own ground truth, on a small demo (as `yvy demo` runs it:
one-sided BFAST Monitor test for drops, alerts from forest pixels only)."""

from __future__ import annotations

from datetime import date

import pytest
from shapely.geometry import box

from yvy.alerts.build import update_alerts
from yvy.alerts.evaluate import evaluate_alerts
from yvy.alerts.layers import layers_from_item
from yvy.alerts.ports import AlertQuery
from yvy.alerts.vectorize import AlertParams
from yvy.catalog.ingest import ingest_paths
from yvy.change.detect import DetectRequest, run_detection
from yvy.config import Workspace
from yvy.demo import generate_demo
from yvy.storage import open_store
from yvy.storage.alerts import SQLAlertStore


@pytest.mark.parametrize("seed", [0, 1])  # seed 2 at 150 px: see docs/alerts.md
def test_small_demo_accuracy(tmp_path, seed):
    ws = Workspace.create(tmp_path / "ws")
    store = open_store(ws.database_url, create=True)
    demo = generate_demo(ws.home / "demo", size_px=150, start=date(2021, 1, 1), years=3, seed=seed)
    assert ingest_paths(store, [ws.home / "demo" / "scenes"]).ok
    req = DetectRequest(history_start=demo.dates[0].isoformat(), monitor_start="2023-01-01", index="ndvi",
                        bbox=tuple(demo.bounds_lonlat), collection="sentinel-2-l2a", direction="negative")
    item = run_detection(store, ws, req)
    astore = SQLAlertStore(store)
    update_alerts(astore, layers_from_item(item), AlertParams())
    rep = evaluate_alerts(astore.find_alerts(AlertQuery()), demo.truth_path, date_field="date",
                          extent=box(*demo.bounds_lonlat))
    print(rep["count"], rep["area"], rep["delay"])
    assert rep["area"]["ua"] >= 0.8 and rep["area"]["pa"] >= 0.8
    assert rep["count"]["pa"] >= 0.9
    assert rep["delay"]["median_days"] >= 0
