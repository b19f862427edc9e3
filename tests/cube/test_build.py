"""Items -> cube on synthetic S2 scenes with known values: grid, masks, index, laziness."""

from __future__ import annotations

import numpy as np
import pytest

from yvy.cube.build import ItemCube, bbox_geometry, build_cube, item_geometry, plan_geobox, read_aoi
from yvy.cube.mask import SENSORS
from yvy.errors import EmptyAOIError, InputError
from yvy.testing.scenes import write_s2_scene

SHAPE = (12, 12)


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("s2")
    red = np.full(SHAPE, 0.05)
    red[0, 1] = np.nan  # nodata pixel in the red band
    nir = np.linspace(0.2, 0.5, SHAPE[0] * SHAPE[1]).reshape(SHAPE)
    scl = np.full(SHAPE, 4, dtype=np.uint8)
    codes = [0, 1, 3, 8, 9, 10, 11, 2, 5, 6, 7]  # first 7 invalid, rest valid
    for i, c in enumerate(codes):
        scl[5, i] = c
    a = write_s2_scene(folder, "2021-03-01", {"red": red, "nir": nir, "blue": 0.03}, scl=scl,
                       shape=SHAPE, baseline="05.00")
    b = write_s2_scene(folder, "2021-01-10", {"red": red, "nir": nir, "blue": 0.03}, shape=SHAPE,
                       baseline="03.01")
    return [a, b], nir, codes


def _cube(items, index="ndvi", chunk=8):
    aoi = item_geometry(items[0])
    gb = plan_geobox(aoi, items, sensor=SENSORS["sentinel-2"])
    return ItemCube(items, index, gb, aoi=aoi, chunk=chunk)


def test_grid(scenes):
    items, _, _ = scenes
    cube = _cube(items)
    gb = cube.geobox
    assert gb.crs.epsg == 32721
    assert gb.resolution.x == 10 and gb.resolution.y == -10
    assert gb.affine.c % 10 == 0 and gb.affine.f % 10 == 0
    assert gb.shape == SHAPE
    assert gb.affine.c == 500000.0 and gb.affine.f == 7300000.0


def test_lazy_and_chunked_with_whole_time_axis(scenes):
    items, _, _ = scenes
    ds = _cube(items, chunk=8).dataset
    arr = ds["ndvi"].data
    assert hasattr(arr, "dask")
    assert arr.chunks[0] == (2,)  # all dates in one chunk
    assert arr.chunks[1] == (8, 4) and arr.chunks[2] == (8, 4)
    assert "invalid" in ds and ds["ndvi"].dtype == np.float32


def test_ndvi_equals_hand_calculation_and_masks(scenes):
    items, nir, _codes = scenes
    cube = _cube(items)
    assert [t.date().isoformat() for t in cube.times] == ["2021-01-10", "2021-03-01"]
    v = cube.read(slice(0, 12), slice(0, 12))
    for k, (baseline_offset) in enumerate((0.0, -0.1)):  # 03.01 then 05.00
        dn_nir = np.round((nir - baseline_offset) / 1e-4)
        dn_red = np.round((0.05 - baseline_offset) / 1e-4)
        n = dn_nir * 1e-4 + baseline_offset
        r = dn_red * 1e-4 + baseline_offset
        expect = (n - r) / (n + r)
        ok = np.ones(SHAPE, bool)
        ok[0, 1] = False
        if k == 1:
            ok[5, :7] = False
        np.testing.assert_allclose(v[k][ok], expect[ok], rtol=1e-6)
        assert np.isnan(v[k][~ok]).all()
    # SCL classes 2, 5, 6, 7 stay valid
    assert np.isfinite(v[1, 5, 7:11]).all()


def test_evi_cube(scenes):
    items, nir, _ = scenes
    v = _cube(items, "evi").read(slice(0, 12), slice(0, 12))
    n = np.round((nir + 0.1) / 1e-4) * 1e-4 - 0.1
    r, b = 0.05, 0.03
    np.testing.assert_allclose(v[1, 3], (2.5 * (n - r) / (n + 6 * r - 7.5 * b + 1))[3], rtol=1e-4)


def test_missing_bands_and_unknown_index(scenes):
    items, _, _ = scenes
    gb = plan_geobox(item_geometry(items[0]), items, sensor=SENSORS["sentinel-2"])
    with pytest.raises(InputError, match="nbr needs bands nir, swir22.*lack swir22"):
        build_cube(items, "nbr", geobox=gb)
    with pytest.raises(InputError, match="unknown index 'ndxx'; choose one of"):
        build_cube(items, "ndxx", geobox=gb)


def test_aoi_inputs(tmp_path):
    with pytest.raises(EmptyAOIError):
        bbox_geometry((1, 1, 1, 2))
    p = tmp_path / "a.geojson"
    p.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
                 '"geometry": {"type": "Polygon", "coordinates": [[[-57,-25],[-56,-25],[-56,-24],[-57,-25]]]}}]}')
    g = read_aoi(p)
    assert g.crs.epsg == 4326 and g.area > 0
    p.write_text("not json")
    with pytest.raises(InputError, match="not a GeoJSON"):
        read_aoi(p)
