"""Index kernels and per-sensor masks, against hand calculations."""

from __future__ import annotations

import numpy as np
import pytest

from yvy.cube.mask import (
    QA_PIXEL_INVALID_BITS,
    SCL_INVALID,
    qa_pixel_invalid,
    scl_invalid,
    sensor_of,
)
from yvy.kernels.indices import INDICES, compute_index, evi, normalized_difference


def test_ndvi_applies_scale_and_offset_before_the_index():
    nir = np.array([[4000, 0, 1000]], dtype=np.uint16)  # 0 = nodata
    red = np.array([[1500, 800, 1000]], dtype=np.uint16)
    out = normalized_difference(nir, red, scale_a=1e-4, offset_a=-0.1, nodata_a=0,
                                scale_b=1e-4, offset_b=-0.1, nodata_b=0)
    n, r = 4000e-4 - 0.1, 1500e-4 - 0.1
    assert out.dtype == np.float32
    assert out[0, 0] == pytest.approx((n - r) / (n + r), rel=1e-6)
    assert np.isnan(out[0, 1])  # nodata
    assert abs(out[0, 2]) < 1e-6  # equal bands
    assert np.isnan(normalized_difference(np.array([0.0]), np.array([0.0])))[0]  # 0 / 0


def test_per_time_scale_and_offset():
    nir = np.full((2, 3), 5000, dtype=np.uint16)
    red = np.full((2, 3), 2000, dtype=np.uint16)
    out = normalized_difference(nir, red, scale_a=1e-4, scale_b=1e-4,
                                offset_a=np.array([0.0, -0.1]), offset_b=np.array([0.0, -0.1]))
    assert out[0, 0] == pytest.approx(3 / 7, rel=1e-6)
    assert out[1, 0] == pytest.approx(0.3 / 0.5, rel=1e-6)


def test_evi_and_table():
    n, r, b = 0.5, 0.1, 0.05
    assert evi(np.array([n]), np.array([r]), np.array([b]))[0] == pytest.approx(
        2.5 * (n - r) / (n + 6 * r - 7.5 * b + 1), rel=1e-6)
    assert {"ndvi", "nbr", "ndmi", "evi"} <= set(INDICES)
    bands = {"nir": np.array([0.5]), "swir22": np.array([0.1])}
    assert compute_index("nbr", bands)[0] == pytest.approx(0.4 / 0.6, rel=1e-6)


def test_nan_input_gives_nan():
    out = normalized_difference(np.array([np.nan, 0.5]), np.array([0.1, np.nan]))
    assert np.isnan(out).all()


def test_scl_codes():
    codes = np.arange(12, dtype=np.uint8)
    bad = scl_invalid(codes)
    assert set(np.flatnonzero(bad)) == {0, 1, 3, 8, 9, 10, 11} == set(SCL_INVALID)


@pytest.mark.parametrize("bit", sorted(QA_PIXEL_INVALID_BITS))
def test_qa_pixel_bits(bit):
    clear = np.uint16(1 << 6)  # bit 6 = clear
    assert not qa_pixel_invalid(np.array([clear]))[0]
    assert qa_pixel_invalid(np.array([clear | (1 << bit)], dtype=np.uint16))[0]


def test_sensor_of():
    assert sensor_of({"assets": {"scl": {}}}) == "sentinel-2"
    assert sensor_of({"assets": {"qa_pixel": {}}}) == "landsat"
    assert sensor_of({"assets": {}, "properties": {"platform": "landsat-9"}}) == "landsat"
    assert sensor_of({"assets": {"data": {}}, "properties": {}}) is None
