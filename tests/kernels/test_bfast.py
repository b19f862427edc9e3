"""BFAST Monitor kernel: against the naive reference, dtypes, shapes, edge cases, state."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import yvy.kernels._rank_window as rw
import yvy.kernels.bfast as bfast_module
from tests.kernels.naive import bfast_monitor_naive
from yvy.errors import DateRangeError, InputError
from yvy.kernels.bfast import (
    OUTPUT_KEYS,
    BfastParams,
    bfast_monitor,
    fit_history,
    monitor_update,
)

START = 2014.0


def make_cube(n=120, T=150, seed=1, missing=0.3):
    """Season + trend + noise; 40 % of pixels drop by 0.15 after 2014.6; awkward pixels."""
    rng = np.random.default_rng(seed)
    t = 2010 + np.sort(rng.choice(np.arange(6 * 365), T, replace=False)) / 365
    y = (0.5 + 0.2 * np.sin(2 * np.pi * t)[:, None] + 0.01 * (t - 2010)[:, None]
         + rng.normal(0, 0.03, (T, n)))
    y[(t >= 2014.6)[:, None] & (rng.random(n) < 0.4)[None, :]] -= 0.15
    y[(t < 2011.5)[:, None] & (np.arange(n) % 7 == 0)[None, :]] += 0.2  # unstable history
    y[rng.random((T, n)) < missing] = np.nan
    y[rng.random((T, n)) < 0.01] = np.inf
    y[rng.random((T, n)) < 0.01] = -np.inf
    y[:, 0] = np.nan  # all missing
    y[:100, 1:4] = np.nan  # too little history
    y[t >= START, 4] = np.nan  # nothing to monitor
    return y, t


def assert_same(a, b, rtol=1e-9, atol=1e-12):
    for key in OUTPUT_KEYS:
        x, z = np.asarray(a[key]), np.asarray(b[key])
        assert x.shape == z.shape, key
        if x.dtype.kind == "f":
            np.testing.assert_allclose(x, z, rtol=rtol, atol=atol, equal_nan=True, err_msg=key)
        else:
            np.testing.assert_array_equal(x, z, err_msg=key)


@pytest.mark.parametrize("history", ["all", "roc"])
@pytest.mark.parametrize("trend", [True, False])
def test_matches_naive(history, trend):
    y, t = make_cube(n=80 if history == "roc" else 160)
    ours = bfast_monitor(y, t, START, BfastParams(trend=trend, history=history))
    ref = bfast_monitor_naive(y, t, START, trend=trend, history=history)
    assert_same(ours, ref, atol=1e-10)
    assert set(np.unique(ours["status"])) == {-2, 0, 1}


@pytest.mark.parametrize("order,h,level", [(1, 0.5, 0.05), (2, 1.0, 0.01), (3, 0.25, 0.0125)])
def test_matches_naive_other_params(order, h, level):
    y, t = make_cube(n=60, seed=2)
    ours = bfast_monitor(y, t, START, BfastParams(order=order, h=h, level=level))
    ref = bfast_monitor_naive(y, t, START, order=order, h=h, level=level)
    assert_same(ours, ref, atol=1e-10)


def test_special_pixels():
    y, t = make_cube(n=10)
    out = bfast_monitor(y, t, START)
    assert out["status"][0] == -2 and out["n_history"][0] == 0
    assert np.isnan(out["history_start"][0]) and np.isnan(out["magnitude"][0])
    assert np.all(out["status"][1:4] == -2)
    assert np.all(out["break_index"][:4] == -1) and np.all(np.isnan(out["break_time"][:4]))
    # nothing to monitor: a result (status 0), but no statistic and no magnitude, as R
    assert out["status"][4] == 0 and np.isnan(out["statistic"][4])
    assert np.isnan(out["magnitude"][4])


def test_all_missing_and_no_history():
    t = 2010 + np.arange(50) / 23
    out = bfast_monitor(np.full((50, 2, 2), np.nan, np.float32), t, 2011.0)
    assert out["status"].shape == (2, 2) and np.all(out["status"] == -2)
    y = np.random.default_rng(0).normal(size=(50, 3))
    out = bfast_monitor(y, t, 1999.0)  # no date before the start
    assert np.all(out["status"] == -2) and np.all(out["n_history"] == 0)


def test_rank_deficient_history_never_breaks():
    """Dates a few days apart in a short window: R's lm drops a column (NA coefficient),
    its MOSUM process is NA and R never reports a break; yvy does the same."""
    t = np.concatenate([2012.0 + np.arange(12) / 365, 2012.2 + np.arange(20) / 23])
    y = 0.5 + 0.01 * np.random.default_rng(0).normal(size=(t.size, 2))
    y[12:, 1] -= 0.5  # an obvious drop
    out = bfast_monitor(y, t, 2012.1)
    assert np.all(out["status"] == 0) and np.all(np.isnan(out["statistic"]))
    assert np.all(np.isfinite(out["magnitude"]))  # from the reduced model, like R's predict


@pytest.mark.parametrize("dtype", [np.int16, np.uint16, np.float32])
def test_dtypes_and_nodata(dtype):
    y, t = make_cube(n=70, missing=0.2)
    y = np.where(np.isfinite(y), y, np.nan)
    scaled = np.round(y * 10000)
    nodata = -9999 if dtype == np.int16 else (65535 if dtype == np.uint16 else None)
    if nodata is not None:
        raw = np.where(np.isnan(scaled), nodata, scaled).astype(dtype)
    else:
        raw = scaled.astype(dtype)
    ours = bfast_monitor(raw, t, START, nodata=nodata)
    ref = bfast_monitor(scaled, t, START)
    assert_same(ours, ref)


def test_float_nodata_value_is_missing():
    y, t = make_cube(n=30)
    y2 = np.where(np.isnan(y), -1.0, y)
    assert_same(bfast_monitor(y2, t, START, nodata=-1.0), bfast_monitor(y, t, START))


def test_shapes_views_threads():
    y, t = make_cube(n=300)
    flat = bfast_monitor(y, t, START)
    cube = bfast_monitor(y.reshape(len(t), 15, 20), t, START, threads=2)
    assert cube["status"].shape == (15, 20)
    assert_same({k: v.ravel() for k, v in cube.items()}, flat, rtol=0, atol=0)
    serial = bfast_monitor(y, t, START, threads=1)
    assert_same(serial, flat, rtol=0, atol=0)
    wide = np.full((len(t), 600), np.nan)
    wide[:, ::2] = y
    view = bfast_monitor(wide[:, ::2], t, START)  # strided (T, N) view, no copy
    assert_same(view, flat, rtol=0, atol=0)


def test_input_errors():
    y, t = make_cube(n=5)
    with pytest.raises(InputError):
        bfast_monitor(y[:, 0], t, START)
    with pytest.raises(InputError):
        bfast_monitor(y, t[:-1], START)
    with pytest.raises(DateRangeError):
        bfast_monitor(y, t[::-1], START)
    with pytest.raises(InputError):
        bfast_monitor(y.astype(np.complex128), t, START)
    with pytest.raises(InputError):
        bfast_monitor(y, t, START, threads=0)
    for bad in ({"h": 0.3}, {"level": 0.1}, {"history": "bp"}, {"order": 0}):
        with pytest.raises(InputError):
            BfastParams(**bad)
    assert BfastParams(history="ROC").history == "roc"
    assert BfastParams(trend=False).n_coef == 7


# --------------------------------------------------------------------------- incremental


@pytest.mark.parametrize("history", ["all", "roc"])
@pytest.mark.parametrize("steps", [1, 2, "many"])
def test_incremental_equals_one_shot(history, steps):
    y, t = make_cube(n=130, T=160, seed=3)
    params = BfastParams(history=history)
    ref = bfast_monitor(y, t, START, params)
    cut = int(np.searchsorted(t, START)) + 5  # some monitoring dates in the first call
    model = fit_history(y[:cut], t[:cut], START, params)
    rest = np.arange(cut, len(t))
    pieces = {1: [rest], 2: np.array_split(rest, 2), "many": np.array_split(rest, len(rest))}
    out = None
    for piece in pieces[steps]:
        out, model = monitor_update(model, y[piece], t[piece])
    np.testing.assert_array_equal(out["break_index"], ref["break_index"])
    np.testing.assert_array_equal(out["status"], ref["status"])
    for key in ("magnitude", "statistic", "break_time", "history_start"):
        np.testing.assert_allclose(out[key], ref[key], rtol=1e-12, atol=1e-12, equal_nan=True)
    assert model["meta"]["n_dates"] == len(t)


def test_fit_history_before_monitoring_and_state_layout():
    y, t = make_cube(n=48, T=150, seed=4)
    cube = y.reshape(len(t), 6, 8)
    th = int(np.searchsorted(t, START))
    model = fit_history(cube[:th], t[:th], START)
    p = model["meta"]["n_coef"]
    B = rw.CAPACITY
    assert model["coef"].shape == (p, 6, 8) and model["mag_window"].shape == (B, 6, 8)
    assert "residuals" not in model
    for key, value in model.items():
        if key != "meta":
            assert isinstance(value, np.ndarray) and value.shape[-2:] == (6, 8), key
    assert all(np.isscalar(v) or isinstance(v, dict) for v in model["meta"].values())
    out, model2 = monitor_update(model, cube[th:], t[th:])
    ref = bfast_monitor(cube, t, START)
    assert_same(out, ref, rtol=1e-12, atol=1e-12)
    # fixed-size state: the same arrays and shapes after monitoring; the input is not modified
    assert {k: v.shape for k, v in model2.items() if k != "meta"} == \
        {k: v.shape for k, v in model.items() if k != "meta"}
    assert np.isnan(model["mag_window"]).all()
    assert out["residuals"].shape == (len(t) - th, 6, 8)
    out2, model3 = monitor_update(model2, cube[-3:], t[-3:])
    assert_same(out2, out, rtol=0, atol=0)
    assert model3["meta"]["n_dates"] == len(t)


def test_update_errors():
    y, t = make_cube(n=6)
    th = int(np.searchsorted(t, START))
    model = fit_history(y[: th - 10], t[: th - 10], START)
    with pytest.raises(DateRangeError):
        monitor_update(model, y[th - 10:], t[th - 10:])  # history dates after the fit
    with pytest.raises(InputError):
        monitor_update(model, y[th:, :3], t[th:])


def test_doctests():
    assert doctest.testmod(bfast_module).failed == 0


# --------------------------------------------------------------------------- direction


def make_two_way_cube(n=120, T=150, seed=5):
    """As :func:`make_cube`, plus 30 % of pixels that green up by 0.15 after 2014.3, some of
    which are cleared later: a one-sided test must see through the greening to the drop."""
    y, t = make_cube(n=n, T=T, seed=seed)
    rng = np.random.default_rng(seed + 100)
    up = rng.random(n) < 0.3
    y[(t >= 2014.3)[:, None] & up[None, :]] += 0.15
    return y, t


@pytest.mark.parametrize("direction", ["both", "negative", "positive"])
@pytest.mark.parametrize("history", ["all", "roc"])
def test_direction_matches_naive(direction, history):
    y, t = make_two_way_cube(n=70 if history == "roc" else 140)
    ours = bfast_monitor(y, t, START, BfastParams(history=history, direction=direction))
    ref = bfast_monitor_naive(y, t, START, history=history, direction=direction)
    assert_same(ours, ref, atol=1e-10)


def test_direction_semantics():
    y, t = make_two_way_cube(n=200)
    both = bfast_monitor(y, t, START)
    neg = bfast_monitor(y, t, START, BfastParams(direction="negative"))
    pos = bfast_monitor(y, t, START, BfastParams(direction="positive"))
    assert bfast_monitor(y, t, START, BfastParams(direction="both"))["break_index"].tolist() == \
        both["break_index"].tolist()
    # the statistic is R's max |MOSUM| whatever the direction; so are magnitude and history
    for key in ("statistic", "magnitude", "history_start", "n_history"):
        np.testing.assert_array_equal(neg[key], both[key])
        np.testing.assert_array_equal(pos[key], both[key])
    # |MOSUM| crosses first: a one-sided break is never earlier than the two-sided one, and
    # every two-sided break is the first one-sided break of one of the two directions
    for one in (neg, pos):
        hit = one["break_index"] >= 0
        assert np.all(both["break_index"][hit] >= 0)
        assert np.all(one["break_index"][hit] >= both["break_index"][hit])
    first = np.where(neg["break_index"] < 0, pos["break_index"],
                     np.where(pos["break_index"] < 0, neg["break_index"],
                              np.minimum(neg["break_index"], pos["break_index"])))
    np.testing.assert_array_equal(first, both["break_index"])
    # greened-up pixels: both directions' breaks, only the positive test fires on a pure rise
    assert (neg["status"] == 1).sum() < (both["status"] == 1).sum()
    assert (pos["status"] == 1).sum() > 0 and (neg["status"] == 1).sum() > 0


@pytest.mark.parametrize("direction", ["negative", "positive"])
@pytest.mark.parametrize("steps", [1, "many"])
def test_incremental_equals_one_shot_direction(direction, steps):
    y, t = make_two_way_cube(n=130, T=160, seed=6)
    params = BfastParams(direction=direction)
    ref = bfast_monitor(y, t, START, params)
    cut = int(np.searchsorted(t, START)) + 5
    model = fit_history(y[:cut], t[:cut], START, params)
    assert model["meta"]["params"]["direction"] == direction  # kept for monitor_update
    rest = np.arange(cut, len(t))
    out = None
    for piece in ([rest] if steps == 1 else np.array_split(rest, len(rest))):
        out, model = monitor_update(model, y[piece], t[piece])
    assert_same(out, ref, rtol=1e-12, atol=1e-12)


def test_direction_errors_and_old_models():
    with pytest.raises(InputError, match="direction"):
        BfastParams(direction="down")
    assert BfastParams(direction="NEGATIVE").direction == "negative"
    y, t = make_cube(n=20)
    th = int(np.searchsorted(t, START))
    model = fit_history(y[:th], t[:th], START)
    del model["meta"]["params"]["direction"]  # a model stored before directions existed
    out, _ = monitor_update(model, y[th:], t[th:])
    assert_same(out, bfast_monitor(y, t, START), rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------- fixed-size state


def test_update_medians_and_old_layout_models():
    """Break magnitude after scene-by-scene updates equals the one over all residuals, and a model
    stored with every monitoring residual (the old layout) continues to the same numbers."""
    from yvy.kernels.confirm import break_magnitude

    y, t = make_cube(n=90, T=160, seed=8)
    th = int(np.searchsorted(t, START))
    full = fit_history(y, t, START, keep_residuals=True)
    ref_bmag = break_magnitude(full["residuals"], th, full["break_index"])
    model = fit_history(y[:th + 4], t[:th + 4], START, keep_residuals=True)
    old = {k: v for k, v in model.items() if not k.startswith(("mag_", "bmag_"))}
    out_old, _ = monitor_update(old, y[th + 4:], t[th + 4:])
    del model["residuals"]
    for i in range(th + 4, len(t)):
        out, model = monitor_update(model, y[i:i + 1], t[i:i + 1])
    for o in (out, out_old):
        assert_same(o, full, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(o["break_magnitude"], ref_bmag, rtol=1e-12, atol=1e-12, equal_nan=True)
        assert not o["median_bounded"].any()


def test_rank_window_is_exact_or_says_so():
    rng = np.random.default_rng(0)
    exact = 0
    for trial in range(60):
        drift = 0.2 * (trial % 3 - 1)  # stationary, rising and falling series
        cap = rw.CAPACITY if drift == 0 else 8
        buf, lo, hi = np.full((cap, 1), np.nan), np.zeros(1, np.int64), np.zeros(1, np.int64)
        vals, n = [], 0
        for k in range(50):
            vals.append(rng.normal() + drift * k)
            n = rw.window_insert(buf, lo, hi, 0, n, vals[-1])
            m, ok = rw.window_median(buf, lo, hi, 0, n)
            assert n == rw.window_count(buf, 0) == np.isfinite(buf).sum() == len(vals) - lo[0] - hi[0]
            assert np.all(np.diff(buf[:n, 0]) >= 0)
            if ok:
                exact += 1
                assert m == np.median(vals)
            else:  # a bound: the true median lies beyond the nearest kept value
                assert (np.median(vals) <= m) if m == buf[0, 0] else (np.median(vals) >= m)
        if drift == 0:
            assert ok  # stationary values keep the median inside a full-size window
        else:
            assert not ok  # 50 values drifting one way leave an 8-value window behind
    assert exact > 0.5 * 60 * 50
