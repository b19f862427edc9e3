"""Covariates on the model grid: resampled rasters, distance and inside rasters from vectors."""

import json

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from yvy.errors import InputError
from yvy.risk.covariates import WindowReader, covariates_from_paths, prepare
from yvy.risk.grid import Grid

CRS = "EPSG:32721"


def _grid(n=200, res=30.0):
    return Grid(rasterio.crs.CRS.from_string(CRS).to_wkt(), tuple(from_origin(500000, 7000000, res, res))[:6], n, n)


def _write(path, a, res, nodata=None):
    with rasterio.open(path, "w", driver="GTiff", width=a.shape[1], height=a.shape[0], count=1, dtype=a.dtype,
                       crs=CRS, transform=from_origin(500000, 7000000, res, res), nodata=nodata) as ds:
        ds.write(a, 1)


def test_coarse_raster_resampled_and_nodata_is_nan(tmp_path):
    coarse = np.arange(40 * 40, dtype="uint32").reshape(40, 40) + 1
    coarse[0, 0] = 0  # nodata
    _write(tmp_path / "c.tif", coarse, 150.0, nodata=0)
    covs = covariates_from_paths([tmp_path / "c.tif"])
    assert covs[0].resampling == "bilinear"
    with WindowReader(covs, _grid()) as r:
        a = r.read(slice(0, 200), slice(0, 200))[0]
    assert np.isnan(a[0, 0])
    # the centre pixel of each 5x5 block falls on the coarse pixel centre: bilinear gives its value
    np.testing.assert_allclose(a[12::5, 12::5][:30, :30], coarse[2:32, 2:32], rtol=1e-6)


def test_vector_distance_and_inside(tmp_path):
    grid = _grid()
    x0, y0 = 500000 + 100 * 30 + 15, 7000000 - 100 * 30 - 15  # centre of pixel (100, 100)
    sq = [[x0 + 600, y0 - 600], [x0 + 1500, y0 - 600], [x0 + 1500, y0 - 1500], [x0 + 600, y0 - 1500]]
    fc = {"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32721"}},
          "features": [{"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [x0, y0]}}]}
    (tmp_path / "towns.geojson").write_text(json.dumps(fc))
    fc["features"][0]["geometry"] = {"type": "Polygon", "coordinates": [sq + [sq[0]]]}
    (tmp_path / "park.geojson").write_text(json.dumps(fc))
    covs = prepare(covariates_from_paths([tmp_path / "towns.geojson", tmp_path / "park.geojson"]), grid,
                   tmp_path / "cache")
    assert [c.name for c in covs] == ["dist_towns", "dist_park", "inside_park"]
    with WindowReader(covs, grid) as r:
        a = r.read(slice(0, 200), slice(0, 200))
    rr, cc = np.mgrid[0:200, 0:200]
    truth = np.hypot(rr - 100, cc - 100) * 30
    assert np.abs(a[0] - truth).max() <= 30 * 1.5  # burned pixel + half a pixel
    assert a[2, 130, 130] == 1 and a[2, 100, 100] == 0 and a[1, 130, 130] == 0
    assert a[1, 100, 100] == pytest.approx(600 * np.sqrt(2), abs=45)


def test_unknown_file_type_is_one_line_error(tmp_path):
    p = tmp_path / "notes.txt"
    p.write_text("x")
    with pytest.raises(InputError, match="notes.txt: not a raster"):
        covariates_from_paths([p])


@pytest.mark.parametrize("resampling", ["bilinear", "nearest"])
def test_fast_resampling_matches_gdal_warp(tmp_path, resampling):
    """The numba path for coarser same-CRS rasters gives what GDAL's WarpedVRT gives."""
    from rasterio.enums import Resampling
    from rasterio.vrt import WarpedVRT

    from yvy.risk.covariates import Covariate

    rng = np.random.default_rng(0)
    coarse = rng.uniform(0, 1000, size=(45, 45)).astype("float32")
    coarse[10, 10] = -1  # nodata
    with rasterio.open(tmp_path / "c.tif", "w", driver="GTiff", width=45, height=45, count=1, dtype="float32",
                       crs=CRS, transform=from_origin(499910, 7000090, 150, 150), nodata=-1) as ds:
        ds.write(coarse, 1)
    grid = _grid()
    cov = [Covariate("c", str(tmp_path / "c.tif"), "raster", resampling)]
    with WindowReader(cov, grid) as r:
        assert isinstance(r._open[0][1], str)  # the fast path is taken
        fast = np.concatenate([r.read(slice(0, 97), slice(0, 200))[0], r.read(slice(97, 200), slice(0, 200))[0]])
    with rasterio.open(tmp_path / "c.tif") as src, WarpedVRT(
            src, crs=CRS, transform=grid.affine, width=200, height=200, resampling=Resampling[resampling],
            src_nodata=-1, nodata=np.nan, dtype="float32") as vrt:
        ref = vrt.read(1)
    inner = (slice(10, 190), slice(10, 190))
    both = np.isfinite(fast[inner]) & np.isfinite(ref[inner])
    assert both.mean() > 0.95
    assert (np.isnan(fast[inner]) == np.isnan(ref[inner])).mean() > 0.995  # nodata handled alike
    close = np.isclose(fast[inner][both], ref[inner][both], rtol=1e-3, atol=0.5)
    assert close.mean() > 0.99
