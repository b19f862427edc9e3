import numpy as np
import pytest
import shapely

from yvy.alerts import AlertParams, DetectionLayers, extract_candidates
from yvy.alerts._geo import area_ha
from yvy.errors import InputError

from .conftest import Patch, make_layers


def _pixel_ha(layers):
    t = layers.transform
    return area_ha(shapely.box(t.c, t.f - 30, t.c + 30, t.f), layers.crs)


def test_one_square_with_hole_area_and_vertices():
    layers = make_layers([Patch(slice(10, 20), slice(10, 20))])
    layers.break_days[14:16, 14:16] = np.nan  # a 2x2 hole
    (c,) = extract_candidates(layers)
    assert c.pixel_count == 96
    assert c.geometry.geom_type == "Polygon"
    assert len(c.geometry.interiors) == 1
    # collinear vertices merged: a square ring has 4 corners (+ closing point)
    assert len(c.geometry.exterior.coords) == 5
    assert len(c.geometry.interiors[0].coords) == 5
    # no area lost: polygon area equals the pixel area sum (equal-area hectares)
    assert c.area_ha == pytest.approx(96 * _pixel_ha(layers), rel=2e-4)
    assert c.first_days == 19000 and c.last_clear_days == 19000 - 16
    assert c.confirm_count == 3


def test_mmu_and_threshold_and_sign():
    patches = [Patch(slice(0, 2), slice(0, 2)),  # 0.36 ha < 0.5 ha
               Patch(slice(10, 13), slice(10, 13)),  # 0.81 ha
               Patch(slice(30, 40), slice(30, 40), magnitude=-0.02),  # too weak
               Patch(slice(45, 55), slice(45, 55), magnitude=+0.3)]  # greening
    strict = AlertParams(min_loss=0.05)
    cands = extract_candidates(make_layers(patches), strict)
    assert [c.pixel_count for c in cands] == [9]
    assert len(extract_candidates(make_layers(patches), AlertParams(min_loss=0.05, mmu_ha=0.3))) == 2
    assert len(extract_candidates(make_layers(patches))) == 2  # default: any loss sign
    assert len(extract_candidates(make_layers(patches), AlertParams(loss_sign=1))) == 1


def test_time_window_splits_touching_clearings():
    a = Patch(slice(10, 20), slice(10, 20), day=19000)
    b = Patch(slice(10, 20), slice(20, 30), day=19000 + 200)
    assert len(extract_candidates(make_layers([a, b]))) == 2
    assert len(extract_candidates(make_layers([a, b]), AlertParams(window_days=365))) == 1
    c = Patch(slice(10, 20), slice(20, 30), day=19000 + 20)  # within 30 days
    (one,) = extract_candidates(make_layers([a, c]))
    assert one.first_days == 19000 and one.last_days == 19020


def test_diagonal_pixels_join_into_valid_multipolygon():
    a = Patch(slice(10, 15), slice(10, 15))
    b = Patch(slice(15, 20), slice(15, 20))  # touches a only at a corner
    (c,) = extract_candidates(make_layers([a, b]))
    assert c.pixel_count == 50
    assert c.geometry.is_valid
    assert len(extract_candidates(make_layers([a, b]), AlertParams(connectivity=4))) == 2


def test_confirm_nodata_and_min_confirm():
    p = Patch(slice(10, 20), slice(10, 20), confirm=-1)
    (c,) = extract_candidates(make_layers([p]))
    assert c.confirm_count == 0
    assert extract_candidates(make_layers([p]), AlertParams(min_confirm=1)) == []


def test_geographic_grid_and_wgs84_output():
    from affine import Affine

    bd = np.full((20, 20), np.nan)
    bd[5:15, 5:15] = 19000
    layers = DetectionLayers("EPSG:4326", Affine(0.00025, 0, -57.5, 0, -0.00025, -25.0), bd,
                             np.full(bd.shape, -0.2), np.full(bd.shape, 2), np.full(bd.shape, 18990.0))
    (c,) = extract_candidates(layers)
    assert c.geometry.bounds == pytest.approx((-57.49875, -25.00375, -57.49625, -25.00125))
    assert c.area_ha == pytest.approx(100 * area_ha(shapely.box(-57.5, -25.00025, -57.49975, -25.0)), rel=1e-3)


def test_bad_layers():
    with pytest.raises(InputError):
        make_layers([]).__class__("EPSG:4326", None, np.zeros(3), np.zeros(3), np.zeros(3), np.zeros(3))
    with pytest.raises(InputError):
        AlertParams(mmu_ha=-1)
    assert extract_candidates(make_layers([])) == []


def test_interval_join_uses_last_observation_before_the_break():
    a = Patch(slice(10, 20), slice(10, 20), day=19000, prev=18984)
    b = Patch(slice(10, 20), slice(20, 30), day=19060, prev=18990)  # seen late through clouds
    assert len(extract_candidates(make_layers([a, b]))) == 1
    assert len(extract_candidates(make_layers([a, b]), AlertParams(interval_join=False))) == 2
