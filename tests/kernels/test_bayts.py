"""bayts kernel: against the naive R transcription, incremental equality, inputs, edge cases."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import yvy.kernels.bayts as bayts_module
from tests.kernels.naive import bayts_naive
from yvy.errors import InputError
from yvy.kernels.bayts import (
    BaytsParams,
    SensorPdf,
    bayts,
    bayts_update,
    init_state,
    outputs,
    spatial_normalise,
)

PDF_S1 = SensorPdf(-1.0, 0.75, -4.0, 1.0)
PDF_NDVI = SensorPdf(0.0, 0.1, -0.5, 0.125)
KEYS = ("flag", "change_flagged", "change_confirmed", "pflag", "pchange")


def make_fused(n=400, seed=3):
    """Normalised S1 (12-day) and NDVI (8-day, 60 % cloudy) series; 45 % of pixels cleared in 2016.

    Shared dates (every 24 days) exercise same-day fusion; noise makes flags that get rejected.
    """
    rng = np.random.default_rng(seed)
    ts = 2015.0 + np.arange(0, 1.6, 12 / 365)
    tl = 2015.0 + np.arange(0, 1.6, 8 / 365)
    tclear = np.where(rng.random(n) < 0.45, 2016.0 + rng.random(n) * 0.4, np.inf)
    s = rng.normal(-1.0, 1.1, (ts.size, n))
    s = np.where(ts[:, None] >= tclear, rng.normal(-4.0, 1.2, (ts.size, n)), s)
    v = rng.normal(0.0, 0.12, (tl.size, n))
    v = np.where(tl[:, None] >= tclear, rng.normal(-0.5, 0.15, (tl.size, n)), v)
    v[rng.random(v.shape) < 0.6] = np.nan
    s[rng.random(s.shape) < 0.05] = np.nan
    s[:, 0] = np.nan
    v[:, 0] = np.nan  # no data at all
    s[ts >= 2016.0, 1] = np.nan
    v[tl >= 2016.0, 1] = np.nan  # nothing to monitor
    v[:, 2] = np.nan  # radar only
    return (s.astype(np.float32), v.astype(np.float32)), (ts, tl)


def assert_same(a, b, keys=KEYS):
    """Dates and counts exactly; probabilities to 1e-8 (the kernel takes PNF from the log density
    ratio, the transcription from the two densities, as R)."""
    for k in keys:
        atol = 1e-8 if k in ("pflag", "pchange") else 1e-12
        np.testing.assert_allclose(a[k], b[k], rtol=0, atol=atol, equal_nan=True, err_msg=k)


@pytest.mark.parametrize("bwf", [(0.1, 0.9), (0.0, 1.0), (0.2, 0.8)])
def test_matches_naive_r_transcription(bwf):
    ys, times = make_fused()
    params = BaytsParams(chi=0.9, pnf_min=0.5, bwf=bwf)
    got = bayts(list(ys), list(times), [PDF_S1, PDF_NDVI], 2016.0, params, max_chains=64)
    want = bayts_naive(ys, times, [PDF_S1.as_row(), PDF_NDVI.as_row()], 2016.0, chi=0.9, pnf_min=0.5, bwf=bwf)
    assert_same(got, want)
    confirmed = np.isfinite(got["change_confirmed"])
    assert 100 < confirmed.sum() < 300  # a real mix of outcomes, not a trivial case
    assert np.isfinite(got["flag"]).any()
    assert (got["status"][confirmed] == 2).all()
    assert got["status"][0] == -2 and got["status"][1] == -1


def test_counts_and_single_sensor():
    ys, times = make_fused()
    got = bayts(list(ys), list(times), [PDF_S1, PDF_NDVI], 2016.0)
    conf = got["status"] == 2
    # every confirmed change has at least one date of some sensor; the radar-only pixel has no NDVI
    assert (got["counts"][:, conf].sum(axis=0) >= 1).all()
    assert got["counts"][1, 2] == 0
    only = bayts([ys[0][:, 2:3]], [times[0]], [PDF_S1], 2016.0)
    assert only["status"][0] == got["status"][2]
    np.testing.assert_equal(only["change_confirmed"][0], got["change_confirmed"][2])


@pytest.mark.parametrize("cuts", [(2015.5,), (2016.05,), (2016.1, 2016.2, 2016.33)])
def test_incremental_equals_one_run(cuts):
    ys, times = make_fused()
    params = BaytsParams()
    full = bayts(list(ys), list(times), [PDF_S1, PDF_NDVI], 2016.0, params)
    state = init_state(ys[0].shape[1], 2)
    edges = (-np.inf, *cuts, np.inf)
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        sel = [(t >= lo) & (t < hi) for t in times]
        bayts_update(state, [y[m] for y, m in zip(ys, sel, strict=True)],
                     [t[m] for t, m in zip(times, sel, strict=True)], [PDF_S1, PDF_NDVI], 2016.0, params)
    inc = outputs(state)
    assert_same(inc, full, KEYS + ("status", "counts", "n_monitor"))


def test_max_chains_overflow_is_counted():
    ys, times = make_fused()
    one = bayts(list(ys), list(times), [PDF_S1, PDF_NDVI], 2016.0, max_chains=1)
    assert one["overflow"].sum() > 0


def test_spatial_normalise_is_r_quantile_type7():
    y = np.array([[[1.0, 2.0], [3.0, np.nan]], [[np.nan, np.nan], [np.nan, np.nan]]])
    out = spatial_normalise(y, 0.95)
    # type 7 on (1, 2, 3): 2 + 0.9 * (3 - 2) = 2.9
    np.testing.assert_allclose(out[0].ravel()[:3], [1 - 2.9, 2 - 2.9, 3 - 2.9])
    assert np.isnan(out[1]).all() and np.isnan(out[0, 1, 1])


@pytest.mark.parametrize("kw", [{"bwf": (0.9, 0.1)}, {"chi": 1.0}, {"pnf_min": 0.0}])
def test_bad_params(kw):
    with pytest.raises(InputError):
        BaytsParams(**kw)


def test_bad_inputs():
    with pytest.raises(InputError, match="standard deviations"):
        SensorPdf(0, 0, 1, 1)
    with pytest.raises(InputError, match="strictly increasing"):
        bayts([np.zeros((2, 3))], [np.array([2016.2, 2016.1])], [PDF_NDVI], 2016.0)
    with pytest.raises(InputError, match="dates"):
        bayts([np.zeros((2, 3))], [np.array([2016.1])], [PDF_NDVI], 2016.0)


def test_doctests():
    assert doctest.testmod(bayts_module, raise_on_error=False).failed == 0
