"""bayts parity with R ``bayts::baytsSpatial`` on the real Bolivia Landsat NDVI + Sentinel-1 VV stacks.

Reference: ``reference/bayts_r_spatial_result_bolivia_2016.tif`` (R's five output bands, float32).
Parameters of the R run: NDVI pdfs F N(0, 0.1), NF N(-0.5, 0.125); S1 VV F N(-1, 0.75), NF N(-4, 1),
both on series normalised by the 95th percentile of each date; bwf (0.1, 0.9); chi 0.9;
PNFmin 0.5; monitoring from 2016-01-01.
"""

from __future__ import annotations

import numpy as np
import rasterio

from yvy.change.timebase import decimal_year
from yvy.kernels.bayts import BaytsParams, SensorPdf, bayts, spatial_normalise

NDVI = "rasters/bayts_landsat_ndvi_bolivia_2005_2016.tif"
S1VV = "rasters/bayts_s1_vv_bolivia_2014_2016.tif"
REF = "reference/bayts_r_spatial_result_bolivia_2016.tif"
BANDS = ("flag", "change_flagged", "change_confirmed", "pflag", "pchange")


def _read(path):
    with rasterio.open(path) as ds:
        a = ds.read().astype(np.float64)
        a[a == ds.nodata] = np.nan
        return a, list(ds.descriptions)


def test_same_pixels_and_dates_as_r(data_file):
    ndvi, dl = _read(data_file(NDVI))
    vv, ds = _read(data_file(S1VV))
    ref, _ = _read(data_file(REF))
    res = bayts([spatial_normalise(vv, 0.95), spatial_normalise(ndvi, 0.95)],
                [decimal_year(ds), decimal_year(dl)],
                [SensorPdf(-1, 0.75, -4, 1), SensorPdf(0, 0.1, -0.5, 0.125)],
                float(decimal_year(["2016-01-01"])[0]), BaytsParams(chi=0.9, pnf_min=0.5, bwf=(0.1, 0.9)))
    ours, r = np.isfinite(res["change_confirmed"]), np.isfinite(ref[2])
    assert r.sum() == 1579 and ours.sum() == 1579
    assert (ours == r).all()  # the same pixels confirmed, none more, none less
    for i, key in enumerate(BANDS):  # every band: same pixels set, values equal to float32 storage
        np.testing.assert_array_equal(np.isfinite(res[key]), np.isfinite(ref[i]), err_msg=key)
        diff = np.abs(res[key] - ref[i])[np.isfinite(ref[i])]
        tol = 1e-4 if i < 3 else 1e-6  # float32 of a decimal year ~2016 is good to ~6e-5 year
        assert diff.max() < tol, (key, diff.max())
    assert np.abs(res["change_confirmed"] - ref[2])[r].max() < 0.0135
