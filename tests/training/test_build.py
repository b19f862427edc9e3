"""Exercises made from the demo: every case checked against the demo's own ground truth
(truth.geojson, truth_mask.tif, landcover.tif) and the scenes' classification band."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio
from rasterio.features import rasterize
from shapely.geometry import shape

from yvy.alerts import _geo
from yvy.errors import InputError

TRUTH_KEYS = {"kind", "truth_geometry", "truth_date", "source", "note"}


def _pixels(path, geom_wgs84):
    """Values of a raster under a WGS84 polygon (pixel centres inside)."""
    with rasterio.open(path) as ds:
        arr = ds.read(1)
        g = _geo.reproject(shape(geom_wgs84), _geo.WGS84, ds.crs)
        inside = rasterize([(g, 1)], out_shape=arr.shape, transform=ds.transform, fill=0).astype(bool)
    return arr[inside]


@pytest.fixture
def exercise(stores, fresh_demo):
    return stores[1].get_exercise(fresh_demo.exercise_id)


def test_exercise_has_every_kind_the_demo_allows(exercise, fresh_demo):
    counts = exercise.counts()
    assert len(exercise.cases) == 12 and sum(counts.values()) == 12
    for kind in ("clearing", "permit", "seasonal", "cloud_shadow"):
        assert counts[kind] >= 1, counts
    assert counts["fire"] == 0  # the demo has no fire events unless FIRMS files were ingested
    folder = fresh_demo.workspace.assets / "training" / exercise.id
    for c in exercise.cases:
        for view in (c.before, c.after):
            assert (folder / view["chip"]).stat().st_size > 0
            assert view["date"] < c.after["date"] or view is c.after
        assert not TRUTH_KEYS & set(c.public())


def test_clearings_and_permits_are_the_true_clearings(exercise, fresh_demo):
    truth = json.loads((fresh_demo.workspace.home / "demo" / "truth.geojson").read_text())
    by_date = {f["properties"]["date"]: shape(f["geometry"]) for f in truth["features"]}
    real = [c for c in exercise.cases if c.kind in ("clearing", "permit")]
    assert len(real) == len(truth["features"])
    for c in real:
        assert shape(c.truth_geometry).equals(by_date[c.truth_date])
        assert c.before["date"] < c.truth_date <= c.after["date"]
        ndvi = dict(zip(c.series["dates"], c.series["ndvi"], strict=True))
        assert ndvi[c.after["date"]] < ndvi[c.before["date"]] - 0.1  # the clearing shows in the series
    permit = next(c for c in real if c.kind == "permit")
    assert permit.legal["permit"]["name"].startswith("PCUS-")
    assert shape(permit.legal["permit"]["geometry"]).contains(shape(permit.truth_geometry))


def test_traps_are_never_cleared_and_shadows_are_shadows(exercise, fresh_demo):
    demo = fresh_demo.workspace.home / "demo"
    for c in exercise.cases:
        if c.kind in ("clearing", "permit"):
            continue
        assert (_pixels(demo / "truth_mask.tif", c.geometry) == 0).mean() > 0.95, c.id
        cover = _pixels(demo / "landcover.tif", c.geometry)
        if c.kind == "seasonal":
            assert np.isin(cover, (2, 3)).mean() > 0.9  # pasture or cropland
        if c.kind == "cloud_shadow":
            assert np.isin(cover, (1, 6)).mean() > 0.9  # forest
            scene = next(p for p in (demo / "scenes").iterdir() if p.name == c.after["item"])
            assert (_pixels(scene / "SCL.tif", c.geometry) == 3).mean() > 0.8
            assert c.legal["department"] == "Boquerón" and c.legal["region"] == "western"


def test_creating_and_answering_touch_no_alert_and_no_audit_entry(stores, fresh_demo):
    from tests.conftest import raw_sql
    from yvy.training.model import Answer
    from yvy.training.service import answer_case

    store, trainings = stores
    before = [raw_sql(store, f"SELECT COUNT(*) FROM {t}")[0][0] for t in ("alerts", "audit_log", "alert_reviews")]
    session = trainings.start_session(fresh_demo.exercise_id, "tom")
    case = trainings.get_exercise(fresh_demo.exercise_id).cases[0]
    answer_case(trainings, session["id"], "tom", Answer(case.id, "dismiss", "other", "none", seconds=3))
    after = [raw_sql(store, f"SELECT COUNT(*) FROM {t}")[0][0] for t in ("alerts", "audit_log", "alert_reviews")]
    assert before == after


def test_a_folder_that_is_not_a_demo_is_refused(stores, tmp_path):
    from yvy.training.service import create_demo_exercise

    store, trainings = stores
    with pytest.raises(InputError, match="not a demo folder"):
        create_demo_exercise(store, trainings, tmp_path, tmp_path / "out", title="x", created_by="me")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_fire_event_over_the_area_becomes_a_fire_case(stores, fresh_demo):
    from shapely.geometry import mapping as to_geojson

    from yvy.training.service import create_demo_exercise

    store, trainings = stores
    cases = trainings.get_exercise(fresh_demo.exercise_id).cases
    truth = json.loads((fresh_demo.workspace.home / "demo" / "truth.geojson").read_text())
    cleared = [shape(f["geometry"]) for f in truth["features"]]
    # a FIRMS-like event at the centre of a shadow trap (forest never cleared), far from every clearing
    spot = max((shape(c.geometry).centroid for c in cases if c.kind == "cloud_shadow"),
               key=lambda p: min(p.distance(g) for g in cleared))
    assert min(spot.distance(g) for g in cleared) > 0.004  # about 400 m
    day = cases[0].series["dates"][len(cases[0].series["dates"]) // 2]  # in the middle of the scenes
    event = {"id": "FIRE-1", "start": f"{day}T14:00:00Z", "geometry": to_geojson(spot)}
    ex = create_demo_exercise(store, trainings, fresh_demo.workspace.home / "demo",
                              fresh_demo.workspace.assets / "training", title="fire", created_by="ines",
                              n_cases=8, seed=2, fire_events=[event])
    [fire] = [c for c in ex.cases if c.kind == "fire"]
    assert fire.truth_date == day and fire.truth_decision == "dismiss" and fire.truth_action == "none"
    assert fire.source == "fire event FIRE-1" and shape(fire.geometry).contains(spot)
    assert fire.before["date"] < day <= fire.after["date"]
