"""One masking rule (:data:`yvy.cube.mask.SENSORS`) for the cube, the evidence series and the
served index tiles: a scene whose left half is cloud, shadow, snow or cirrus (SCL) and whose
right half is clear vegetation must count only its right half as clear everywhere."""

from __future__ import annotations

import io

import numpy as np
import pytest
import rasterio

from yvy.alerts.evidence import index_value
from yvy.api._render import layers_for_item, render_bbox
from yvy.cube.mask import SCL_INVALID, SENSORS, clear_mask, quality_band
from yvy.testing.scenes import write_s2_scene

SHAPE = (40, 40)


@pytest.fixture(params=sorted(SCL_INVALID))
def half_invalid(request, tmp_path):
    scl = np.full(SHAPE, 4, np.uint8)
    scl[:, :20] = request.param  # class 0 is also the file's nodata: unread is not clear either
    item = write_s2_scene(tmp_path, "2023-05-01", {"red": 0.04, "nir": 0.4, "green": 0.06, "blue": 0.03},
                          scl=scl, shape=SHAPE)
    return item, request.param


def test_clear_mask_follows_the_table():
    spec = SENSORS["sentinel-2"]
    values = np.arange(0, 12, dtype=float)
    assert [int(v) for v in values[~clear_mask(spec, values)]] == sorted(SCL_INVALID)
    lq = SENSORS["landsat"]
    words = np.array([21824, 1 << 5, 1 << 3, 1 << 4, 1 << 1, 1 << 2, 1], float)  # clear, snow, cloud, ...
    assert clear_mask(lq, words).tolist() == [True] + [False] * 6


def test_evidence_counts_only_the_clear_half(half_invalid):
    item, cls = half_invalid
    spec, key = quality_band(item)
    assert key == "scl" and spec.name == "sentinel-2"
    from shapely.geometry import shape

    geom = shape(item["geometry"]).buffer(-1e-6)
    value, frac = index_value(item, geom, "ndvi")
    assert value == pytest.approx((0.4 - 0.04) / (0.4 + 0.04), abs=1e-3)
    assert frac == pytest.approx(0.5, abs=0.06), cls


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")  # a PNG has no CRS
def test_index_tile_hides_what_the_cube_masks(half_invalid):
    item, _ = half_invalid
    assert set(layers_for_item(item)) >= {"ndvi", "truecolor"}
    png = render_bbox(item, "ndvi", tuple(item["bbox"]), size=64)
    with rasterio.open(io.BytesIO(png)) as ds:
        alpha = ds.read(ds.count)
    cols = alpha.mean(axis=0)
    assert cols[: 64 // 2 - 6].max() == 0  # the invalid half is transparent...
    assert cols[64 // 2 + 6:].min() > 0  # ...the clear half is drawn
