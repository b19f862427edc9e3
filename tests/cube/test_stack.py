"""Time-stack GeoTIFFs as cubes: real stacks (Slovenia S2 + cloud mask, Bolivia Landsat) and
synthetic ones."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio

from yvy.cube.build import bbox_geometry
from yvy.cube.stack import StackCube
from yvy.errors import DateRangeError, EmptyAOIError
from yvy.testing.scenes import write_stack

SLOVENIA = "rasters/eolearn_s2_l1c_ndvi_slovenia_2015_2017.tif"
SLOVENIA_CLM = "rasters/eolearn_s2_cloudmask_slovenia_2015_2017.tif"
BOLIVIA = "rasters/bayts_landsat_ndvi_bolivia_2005_2016.tif"


def test_slovenia_with_cloud_mask(data_file):
    cube = StackCube(str(data_file(SLOVENIA)), mask=str(data_file(SLOVENIA_CLM)))
    assert len(cube.times) == 68 and cube.geobox.shape == (101, 100)
    assert cube.times[7].date() == cube.times[8].date()  # the duplicated day is kept here
    v = cube.read(slice(10, 40), slice(20, 60))
    with rasterio.open(data_file(SLOVENIA)) as a, rasterio.open(data_file(SLOVENIA_CLM)) as m:
        raw = a.read(window=((10, 40), (20, 60)))
        clm = m.read(window=((10, 40), (20, 60)))
    expect = np.where(clm == 1, np.nan, raw)
    np.testing.assert_array_equal(v, expect)
    assert np.isnan(v).sum() > 0


def test_bolivia_nodata_becomes_nan(data_file):
    cube = StackCube(str(data_file(BOLIVIA)))
    assert len(cube.times) == 291 and str(cube.times[0].date()) == "2005-01-03"
    v = cube.read(slice(0, 100), slice(0, 100))
    assert np.nanmin(v) > -1 and np.nanmax(v) <= 1.0
    with rasterio.open(data_file(BOLIVIA)) as ds:
        raw = ds.read()
    assert np.isnan(v).sum() == (raw < -1e30).sum()


def test_bolivia_bbox_crop(data_file):
    # lon -62.107..-62.078, lat -18.086..-18.059: the western half
    cube = StackCube(str(data_file(BOLIVIA)), aoi=bbox_geometry((-62.11, -18.09, -62.0925, -18.05)))
    assert cube.geobox.crs.epsg == 32720
    assert cube.geobox.shape[0] == 100 and 45 <= cube.geobox.shape[1] <= 55
    with pytest.raises(EmptyAOIError):
        StackCube(str(data_file(BOLIVIA)), aoi=bbox_geometry((10, 10, 11, 11)))


def test_reprojected_grid(tmp_path):
    p = write_stack(tmp_path / "s.tif", ["2020-01-01", "2020-02-01"],
                    np.arange(2 * 8 * 8, dtype=np.float32).reshape(2, 8, 8))
    cube = StackCube(str(p), resolution=60.0)
    gb = cube.geobox
    assert gb.resolution.x == 60 and gb.affine.c % 60 == 0  # pixel edges on multiples of 60 m
    assert gb.extent.contains(cube_extent(p).buffer(-1))
    v = cube.read(slice(0, gb.shape[0]), slice(0, gb.shape[1]))
    assert v.shape == (2, *gb.shape) and np.isfinite(v).any()


def cube_extent(p):
    from odc.geo.geobox import GeoBox

    with rasterio.open(p) as ds:
        return GeoBox.from_rio(ds).extent


def test_bad_band_description(tmp_path):
    p = write_stack(tmp_path / "bad.tif", ["2020-01-01", "yesterday"], np.zeros((2, 4, 4), np.float32))
    with pytest.raises(DateRangeError, match="band 2 description 'yesterday' is not an ISO date"):
        StackCube(str(p))
