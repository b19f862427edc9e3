"""assemble(): rasters from chunk files; in an update a raster whose values did not change keeps
the previous version's file (no rewrite, no new COG)."""

from __future__ import annotations

import numpy as np
import rasterio
from affine import Affine
from odc.geo.geobox import GeoBox

from yvy.change.product import RasterSpec, assemble, save_chunk

SPECS = [RasterSpec("steady", ("steady",), "float32", np.nan, ("steady",)),
         RasterSpec("moving", ("moving",), "int16", -1, ("moving",)),
         RasterSpec("bands", ("bands",), "float64", np.nan, ("bands[0]", "bands[1]"))]


def _chunks(scratch, windows, arrays):
    scratch.mkdir(parents=True, exist_ok=True)
    for i, (rows, cols) in enumerate(windows):
        save_chunk(scratch / f"chunk_{i:06d}.npz", {k: v[..., rows, cols] for k, v in arrays.items()})
    return lambda i: scratch / f"chunk_{i:06d}.npz"


def test_unchanged_rasters_keep_their_file(tmp_path):
    geobox = GeoBox((40, 70), Affine(10, 0, 500000, 0, -10, 7200000), "EPSG:32721")
    windows = [(slice(r, min(r + 32, 40)), slice(c, min(c + 32, 70))) for r in (0, 32) for c in (0, 32, 64)]
    rng = np.random.default_rng(3)
    steady = rng.normal(size=(40, 70)).astype("float32")
    steady[5:9, 60:] = np.nan
    moving = rng.integers(0, 50, (40, 70)).astype("int16")
    bands = rng.normal(size=(2, 40, 70))
    first = assemble(tmp_path / "s1", windows, geobox, tmp_path / "v1", SPECS,
                     _chunks(tmp_path / "s1", windows, {"steady": steady, "moving": moving, "bands": bands}))
    moved = moving.copy()
    moved[39, 69] += 1  # one pixel, in the last window
    bands2 = bands.copy()
    bands2[1, 0, 0] = -0.0 if bands[1, 0, 0] == 0 else -bands[1, 0, 0]  # a sign flip in the second band only
    second = assemble(tmp_path / "s2", windows, geobox, tmp_path / "v2", SPECS,
                      _chunks(tmp_path / "s2", windows, {"steady": steady, "moving": moved, "bands": bands2}),
                      previous={k: str(v) for k, v in first.items()})
    assert second["steady"] == first["steady"]  # equal everywhere (NaNs included): not rewritten
    assert not (tmp_path / "v2" / "steady.tif").exists()
    assert second["moving"] == tmp_path / "v2" / "moving.tif" and second["bands"] == tmp_path / "v2" / "bands.tif"
    with rasterio.open(second["moving"]) as ds:
        np.testing.assert_array_equal(ds.read(1), moved)
    with rasterio.open(second["bands"]) as ds:
        assert ds.read().tobytes() == bands2.tobytes()
    with rasterio.open(second["steady"]) as ds:
        assert ds.read(1).tobytes() == steady.tobytes()
    # no previous version: everything is written
    third = assemble(tmp_path / "s3", windows, geobox, tmp_path / "v3", SPECS,
                     _chunks(tmp_path / "s3", windows, {"steady": steady, "moving": moved, "bands": bands2}))
    assert all(p.parent == tmp_path / "v3" for p in third.values())
