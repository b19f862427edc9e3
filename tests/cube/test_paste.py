"""Scenes on the cube's grid read straight from their files: the same values and dates as odc-stac."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import numpy as np
import pytest

from yvy.cube.build import ItemCube, bbox_geometry, plan_geobox
from yvy.cube.mask import SENSORS
from yvy.testing.scenes import write_s2_scene

SHAPE = (40, 36)
ORIGIN = (500000.0, 7300000.0)


def _scene(folder, day, rng, *, origin=ORIGIN, item_id=None):
    red = rng.uniform(0.01, 0.2, SHAPE)
    nir = rng.uniform(0.1, 0.6, SHAPE)
    red[rng.random(SHAPE) < 0.05] = np.nan  # nodata pixels
    scl = rng.choice(np.array([0, 1, 3, 4, 4, 4, 5, 8, 9, 10, 11], np.uint8), SHAPE)
    return write_s2_scene(folder, day, {"red": red, "nir": nir}, scl=scl, shape=SHAPE, origin=origin,
                          item_id=item_id)


@pytest.fixture(scope="module")
def items(tmp_path_factory):
    folder = tmp_path_factory.mktemp("paste")
    rng = np.random.default_rng(3)
    out = [_scene(folder, "2021-01-10", rng), _scene(folder, "2021-02-01T13:59:58.7Z", rng),
           # whole pixels off the others: part of the grid is outside this scene (filled with nodata)
           _scene(folder, "2021-03-05", rng, origin=(ORIGIN[0] + 70, ORIGIN[1] - 50)),
           _scene(folder, "2021-04-02", rng, origin=(ORIGIN[0] - 120, ORIGIN[1] + 30))]
    return out


def _grid(items):
    aoi = bbox_geometry(_lonlat_box(items))
    return aoi, plan_geobox(aoi, items, sensor=SENSORS["sentinel-2"])


def _lonlat_box(items):
    b = np.array([it["bbox"] for it in items])
    return (b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max())


def _odc_times(cube):
    return [datetime.fromisoformat(str(np.datetime_as_string(t, unit="s"))).replace(tzinfo=UTC)
            for t in cube.dataset.time.values]


def _odc_read(cube, rows, cols, times=None):
    sel = slice(None) if times is None else np.asarray(times)
    return np.asarray(cube.dataset[cube.variable][sel, rows, cols].data.compute(), dtype=np.float32)


def test_paste_equals_odc_stac(items):
    aoi, gb = _grid(items)
    cube = ItemCube(items, "ndvi", gb, aoi=aoi, chunk=16)
    assert cube._paste is not None
    assert cube.times == _odc_times(cube)
    assert [t.isoformat() for t in cube.times][1] == "2021-02-01T13:59:58+00:00"
    h, w = gb.shape
    assert (h, w) != SHAPE  # the grid reaches past the first scene: edges filled with nodata
    windows = [(slice(0, h), slice(0, w)), (slice(0, 16), slice(16, 32)), (slice(h - 5, h), slice(w - 7, w)),
               (slice(3, 4), slice(0, w))]
    for rows, cols in windows:
        for times in (None, np.array([0, 2, 3]), np.array([1])):
            got = cube.read(rows, cols, times)
            want = _odc_read(cube, rows, cols, times)
            assert got.dtype == np.float32 and got.shape == want.shape
            np.testing.assert_array_equal(got, want)
    full = cube.read(slice(0, h), slice(0, w))
    assert np.isfinite(full).mean() > 0.1 and np.isnan(full).any()


def test_not_on_the_grid_or_same_day_uses_odc_stac(tmp_path, items):
    rng = np.random.default_rng(5)
    shifted = [*items[:2], _scene(tmp_path, "2021-03-05", rng, origin=(ORIGIN[0] + 5, ORIGIN[1]))]
    aoi, gb = _grid(items)
    cube = ItemCube(shifted, "ndvi", gb, aoi=aoi)
    assert cube._paste is None  # half a pixel off: odc-stac resamples
    same_day = [*items[:2], _scene(tmp_path, "2021-01-10T14:00:05Z", rng, item_id="S2X_TWIN")]
    cube = ItemCube(same_day, "ndvi", gb, aoi=aoi)
    assert cube._paste is None and len(cube.times) == 2  # mosaicked by odc-stac
    assert cube.read(slice(0, 4), slice(0, 4)).shape == (2, 4, 4)


def test_file_not_as_its_item_says_falls_back(items):
    aoi, gb = _grid(items)
    lying = copy.deepcopy(items)
    tr = lying[2]["assets"]["red"]["proj:transform"]
    tr[2] += 10.0  # the item says one pixel east of where the file is
    cube = ItemCube(lying, "ndvi", gb, aoi=aoi)
    assert cube._paste is not None
    got = cube.read(slice(0, gb.shape[0]), slice(0, gb.shape[1]))
    assert cube._paste is None  # the file's own georeferencing wins, as with odc-stac
    ref = ItemCube(items, "ndvi", gb, aoi=aoi)
    np.testing.assert_array_equal(got, _odc_read(ref, slice(0, gb.shape[0]), slice(0, gb.shape[1])))


def test_scl_mask_of_uint8_equals_the_general_rule():
    from yvy.cube.mask import scl_invalid

    codes = np.arange(256, dtype=np.uint8).reshape(16, 16)
    np.testing.assert_array_equal(scl_invalid(codes), scl_invalid(codes.astype(np.int16)))
    assert scl_invalid(codes).dtype == bool and scl_invalid(codes).shape == (16, 16)
    assert scl_invalid(np.array([0, 4, 8, 3, 5], np.uint8)).tolist() == [True, False, True, True, False]
