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


def reference_window(weak, conf, flag, min_pixels, window):
    """The windowed rule by definition: at each distinct time, a graph of the members whose
    4-neighbour edges pass the time test of that moment, labelled with scipy.sparse.csgraph."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    w = np.fmin(weak, conf)
    h, wd = w.shape
    out = np.full(w.shape, np.nan)
    times = np.unique(np.concatenate([a[np.isfinite(a)] for a in (w, conf)]))
    for t in times:
        member = w <= t
        events = [w, np.where(conf <= t, flag, np.nan)]
        rows, cols = [], []
        for dr, dc in ((0, 1), (1, 0)):
            a = np.zeros(w.shape, bool)
            a[: h - dr, : wd - dc] = member[: h - dr, : wd - dc] & member[dr:, dc:]
            near = np.zeros(w.shape, bool)
            for ep in events:
                for eq in events:
                    d = np.abs(ep[: h - dr, : wd - dc] - eq[dr:, dc:])
                    near[: h - dr, : wd - dc] |= np.nan_to_num(d, nan=np.inf) <= window
            rr, cc = np.nonzero(a & near)
            rows.append(rr * wd + cc)
            cols.append((rr + dr) * wd + cc + dc)
        rows, cols = np.concatenate(rows), np.concatenate(cols)
        graph = coo_matrix((np.ones(rows.size), (rows, cols)), shape=(h * wd, h * wd))
        _, lab = connected_components(graph, directed=False)
        lab = np.where(member.ravel(), lab, -1)
        sizes = np.bincount(lab[lab >= 0], minlength=lab.max() + 1)
        seeded = np.zeros(sizes.size, bool)
        seeded[lab[(conf <= t).ravel()]] = True
        ok = np.append(seeded & (sizes >= min_pixels), False)  # index -1: not a member
        new = ok[lab].reshape(w.shape) & np.isnan(out)
        out[new] = t
    return out


def _windowed_grid(seed, shape=(31, 29)):
    """Random weak / confirmed / flag times in 2016 (tenths of a year), some confirmed pixels
    with an early false start (weak long before their flag)."""
    rng = np.random.default_rng(seed)
    weak = np.where(rng.random(shape) < 0.6, rng.integers(0, 12, shape) / 10 + 2016, np.nan)
    flag = weak + rng.integers(0, 3, shape) / 10
    early = rng.random(shape) < 0.2
    weak[early] -= 0.5  # a false start half a year before
    conf = np.where(rng.random(shape) < 0.15, flag + rng.integers(0, 3, shape) / 10, np.nan)
    return weak, conf, flag


@pytest.mark.parametrize("window", [0.0, 0.15, 0.35])
@pytest.mark.parametrize("min_pixels", [1, 3])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_window_equals_the_definition(seed, min_pixels, window):
    weak, conf, flag = _windowed_grid(seed)
    got = spatial_confirm(weak, conf, min_pixels, flagged=flag, window=window)
    want = reference_window(weak, conf, flag, min_pixels, window)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got[np.isfinite(got)], want[np.isfinite(want)])
    # the window only removes edges: never more alerts than without it
    assert (np.isfinite(got) <= np.isfinite(spatial_confirm(weak, conf, min_pixels))).all()


def test_window_keeps_two_touching_clearings_apart_and_stops_percolation():
    nan = np.nan
    # left pair cleared early 2016, right pair late 2016; only the left one is confirmed
    weak = np.array([[2016.1, 2016.1, 2016.8, 2016.8]])
    conf = np.array([[2016.2, nan, nan, nan]])
    flag = np.array([[2016.1, nan, nan, nan]])
    assert np.isfinite(spatial_confirm(weak, conf)).all()  # no window: one component
    got = spatial_confirm(weak, conf, flagged=flag, window=0.25)
    np.testing.assert_array_equal(np.isfinite(got), [[True, True, False, False]])
    # a confirmed pixel whose first weak evidence was a false start joins by its flag time
    weak = np.array([[2015.5, 2016.5]])
    conf = np.array([[2016.6, nan]])
    flag = np.array([[2016.45, nan]])
    assert np.isfinite(spatial_confirm(weak, conf, flagged=flag, window=0.1)).all()
    # noise: 70 % of pixels weak at random times, one confirmed pixel; without a window the
    # confirmed pixel's component spans most of the grid, with a 60-day window it stays small
    rng = np.random.default_rng(3)
    weak = np.where(rng.random((200, 200)) < 0.7, 2016 + rng.random((200, 200)) * 1.5, np.nan)
    conf = np.full(weak.shape, nan)
    conf[100, 100] = weak[100, 100] = 2016.7
    flag = conf.copy()
    assert np.isfinite(spatial_confirm(weak, conf)).sum() > 10_000
    assert np.isfinite(spatial_confirm(weak, conf, flagged=flag, window=60 / 365.25)).sum() < 100
