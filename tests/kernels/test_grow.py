"""Spatial confirmation (:mod:`yvy.kernels.grow`) against a slow reference built on scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from yvy.kernels.grow import spatial_confirm


def reference(weak, conf, min_pixels, connectivity):
    """Alert time by definition: at each distinct time, label the members with scipy and keep the
    components holding a confirmed pixel and at least ``min_pixels`` members."""
    w = np.fmin(weak, conf)
    out = np.full(w.shape, np.nan)
    structure = np.ones((3, 3)) if connectivity == 8 else None
    times = np.unique(np.concatenate([w[np.isfinite(w)], conf[np.isfinite(conf)]]))
    for t in times:
        lab, n = ndimage.label(w <= t, structure=structure)
        sizes = np.bincount(lab.ravel(), minlength=n + 1)
        seeded = np.zeros(n + 1, bool)
        seeded[lab[conf <= t]] = True
        ok = seeded & (sizes >= min_pixels)
        ok[0] = False
        new = ok[lab] & np.isnan(out)
        out[new] = t
    return out


@pytest.mark.parametrize("connectivity", [4, 8])
@pytest.mark.parametrize("min_pixels", [1, 2, 5])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_equals_the_definition_on_random_grids(seed, min_pixels, connectivity):
    rng = np.random.default_rng(seed)
    shape = (37, 23)
    weak = np.where(rng.random(shape) < 0.45, rng.integers(0, 12, shape) / 10 + 2016, np.nan)
    conf = np.where(rng.random(shape) < 0.15, weak + rng.integers(0, 4, shape) / 10, np.nan)
    conf[rng.random(shape) < 0.02] = 2016.5  # confirmed without a weak time: its weak time is its own
    got = spatial_confirm(weak, conf, min_pixels, connectivity)
    want = reference(weak, conf, min_pixels, connectivity)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got[np.isfinite(got)], want[np.isfinite(want)])
    assert np.isfinite(got).sum() > 0


def test_causal_a_later_time_never_changes_an_earlier_alert():
    rng = np.random.default_rng(5)
    shape = (40, 40)
    weak = np.where(rng.random(shape) < 0.5, rng.integers(0, 20, shape) / 20 + 2016, np.nan)
    conf = np.where(rng.random(shape) < 0.1, weak + 0.05, np.nan)
    full = spatial_confirm(weak, conf, 3)
    cut = 2016.5
    early = spatial_confirm(np.where(weak <= cut, weak, np.nan), np.where(conf <= cut, conf, np.nan), 3)
    np.testing.assert_array_equal(early[np.isfinite(early)], full[np.isfinite(early)])
    assert np.all(full[np.isnan(early) & np.isfinite(full)] > cut)


def test_no_members_gives_nothing_and_off_is_identity():
    nan = np.full((4, 5), np.nan)
    assert np.isnan(spatial_confirm(nan, nan)).all()
    conf = np.full((4, 5), np.nan)
    conf[1, 1], conf[3, 4] = 2016.2, 2016.4
    np.testing.assert_array_equal(spatial_confirm(conf, conf), conf)
