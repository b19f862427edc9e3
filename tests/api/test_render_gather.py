"""Drawing a web-mercator box by index (yvy.api._gather) against rio-tiler's GDAL warp of the same
box: over-zoomed (full resolution), under-zoomed (from the overview GDAL picks) and at the edge of
the data, for true colour (one pass per band) and NDVI (through the quality mask)."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    """A 1024 x 1024 S2-like scene at 10 m (COGs with overviews 2x and 4x), noisy reflectance
    and some cloud in its quality band."""
    from yvy.testing.scenes import write_s2_scene

    rng = np.random.default_rng(7)
    shape = (1024, 1024)
    refl = {k: np.clip(base + rng.normal(0, 0.02, shape), 0.001, 1) for k, base in
            (("red", 0.05), ("green", 0.07), ("blue", 0.04), ("nir", 0.3))}
    scl = np.full(shape, 4, np.uint8)
    scl[100:300, 600:900] = 9
    return write_s2_scene(tmp_path_factory.mktemp("gather"), "2024-05-09", refl, scl=scl, shape=shape,
                          origin=(500000.0, 7500000.0))


def _reference(item, layer, bounds, width, height):
    """The layer through rio-tiler (one GDAL warp per band)."""
    from rasterio.crs import CRS

    from yvy.api._render import _layer_rgba, _read, layers_for_item

    merc = CRS.from_epsg(3857)

    def call(src, idx=1):
        return src.part(bounds, dst_crs=merc, bounds_crs=merc, width=width, height=height, indexes=idx,
                        max_size=None)

    return _layer_rgba(layers_for_item(item)[layer], item, lambda asset: _read(asset, call))


def _box(item, frac_x, frac_y, metres):
    """A web-mercator square of ``metres`` (mercator metres) centred at a fraction of the scene."""
    from rasterio.warp import transform

    minx, miny, maxx, maxy = item["bbox"]
    (x,), (y,) = transform("EPSG:4326", "EPSG:3857", [minx + frac_x * (maxx - minx)],
                           [miny + frac_y * (maxy - miny)])
    return (x - metres / 2, y - metres / 2, x + metres / 2, y + metres / 2)


@pytest.mark.parametrize("layer", ["truecolor", "ndvi"])
@pytest.mark.parametrize(("metres", "where"), [
    (600, (0.5, 0.5)),     # 2.3 m pixels: over-zoom, full resolution
    (6000, (0.5, 0.5)),    # 23 m (the data is 10.8 m in web mercator): the 2x overview
    (12000, (0.5, 0.5)),   # 47 m: the 4x overview
    (60000, (0.5, 0.5)),   # 234 m: the 4x overview, the scene a small part of the box
    (2000, (0.99, 0.5)),   # the scene's east edge: part of the box has no data
    (2000, (0.8, 0.8)),    # under the cloud (NDVI masks it)
])
def test_gather_draws_what_gdal_warps(scene, layer, metres, where):
    from yvy.api._gather import mercator_reader
    from yvy.api._render import layer_assets, layers_for_item, render_mercator

    bounds = _box(scene, *where, metres)
    spec = layers_for_item(scene)[layer]
    assert mercator_reader(layer_assets(scene, spec), bounds, 256, 256) is not None  # not the GDAL path
    mine, ref = render_mercator(scene, layer, bounds, 256, 256), _reference(scene, layer, bounds, 256, 256)
    assert mine is not None and ref is not None
    (rgb, mask), (rgb_ref, mask_ref) = mine, ref
    assert rgb.shape == rgb_ref.shape == (3, 256, 256) and rgb.dtype == np.uint8
    assert (mask != mask_ref).mean() < 0.01
    both = mask & mask_ref
    differ = (rgb != rgb_ref).any(axis=0)[both].mean()
    # GDAL interpolates source positions along each row within 1/8 pixel; the gather projects them
    # within 1/1000: the two part on nearest neighbours at a few pixel edges
    assert differ < 0.025, f"{differ:.2%} of the pixels differ"
    if where == (0.99, 0.5) or metres == 60000:
        assert 0.01 < mask.mean() < 0.8  # partly outside the scene


def test_declines_what_it_cannot_match(scene):
    """Coarser than the data but too fine for its first overview, GDAL resamples the warped data a
    second time: left to the GDAL path (which still draws it)."""
    from yvy.api._gather import mercator_reader
    from yvy.api._render import layer_assets, layers_for_item, render_mercator

    bounds = _box(scene, 0.5, 0.5, 4000)  # 15.6 m pixels: 1.44 x the data's, the 2x overview too coarse
    assert mercator_reader(layer_assets(scene, layers_for_item(scene)["truecolor"]), bounds, 256, 256) is None
    drawn = render_mercator(scene, "truecolor", bounds, 256, 256)
    ref = _reference(scene, "truecolor", bounds, 256, 256)
    assert drawn is not None and (drawn[0] == ref[0]).all() and (drawn[1] == ref[1]).all()
