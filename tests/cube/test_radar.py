"""Radar cube helpers and kernels: ground truth by construction, slow references, real stack."""

from __future__ import annotations

import numpy as np
import pytest

from yvy.cube import radar
from yvy.errors import InputError
from yvy.kernels.radar import box_mean, date_percentiles, quegan_filter, temporal_median
from yvy.testing.radar import speckled


def naive_quegan(power, window, half=None):
    t_n, ny, nx = power.shape
    h = window // 2
    means = np.full(power.shape, np.nan)
    for t in range(t_n):
        for y in range(ny):
            for x in range(nx):
                block = power[t, max(0, y - h):y + h + 1, max(0, x - h):x + h + 1]
                if np.isfinite(block).any():
                    means[t, y, x] = np.nanmean(block)
    out = np.full(power.shape, np.nan)
    for t in range(t_n):
        lo, hi = (0, t_n) if half is None else (max(0, t - half), min(t_n, t + half + 1))
        for y in range(ny):
            for x in range(nx):
                if np.isnan(power[t, y, x]):
                    continue
                ratios = [power[i, y, x] / means[i, y, x] for i in range(lo, hi)
                          if np.isfinite(power[i, y, x])]
                out[t, y, x] = means[t, y, x] * np.mean(ratios)
    return out


@pytest.fixture
def noisy():
    rng = np.random.default_rng(3)
    a = rng.gamma(1.0, 0.1, (6, 9, 11))
    a[rng.random(a.shape) < 0.15] = np.nan
    a[:, 4, 5] = np.nan  # a pixel with no data at all
    return a


@pytest.mark.parametrize("half", [None, 1])
def test_quegan_matches_naive(noisy, half):
    np.testing.assert_allclose(quegan_filter(noisy, 3, half), naive_quegan(noisy, 3, half),
                               rtol=1e-10, equal_nan=True)


def test_box_mean_ignores_nan(noisy):
    got = box_mean(noisy, 3)
    assert got[2, 4, 5] == pytest.approx(np.nanmean(noisy[2, 3:6, 4:7]))


def test_quegan_reduces_speckle_and_keeps_the_mean():
    truth = np.full((24, 40, 40), 0.08)
    truth[:, :, 20:] = 0.01  # cleared half: -20 dB
    power = speckled(truth, looks=1.0, seed=5)
    out = radar.speckle_filter(power, window=7)
    for cols, level in ((slice(3, 16), 0.08), (slice(24, 37), 0.01)):
        raw = power[:, 3:-3, cols]
        filt = out[:, 3:-3, cols]
        enl_raw = (raw.mean() / raw.std()) ** 2
        enl = (filt.mean() / filt.std()) ** 2
        assert enl_raw == pytest.approx(1.0, rel=0.1)
        assert enl > 12  # 24 dates x 49-pixel means: close to the 24 looks of the temporal sum
        assert filt.mean() == pytest.approx(level, rel=0.03)


def test_units_round_trip():
    db = np.array([-20.0, -10.0, 0.0, np.nan])
    lin = radar.to_linear(db, "dB")
    np.testing.assert_allclose(lin, [0.01, 0.1, 1.0, np.nan])
    np.testing.assert_allclose(radar.to_db(lin, "linear"), db, equal_nan=True)
    np.testing.assert_allclose(radar.to_db(np.sqrt(lin), "amplitude"), db, equal_nan=True)
    assert np.isnan(radar.to_db(np.array([0.0, -1.0]), "linear")).all()
    with pytest.raises(InputError, match="calibrate the GRD"):
        radar.to_db(lin, "dn")
    with pytest.raises(InputError, match="unknown backscatter unit 'furlongs'"):
        radar.to_linear(lin, "furlongs")


def test_temporal_median_and_percentiles_match_numpy(noisy):
    use = np.array([1, 1, 0, 1, 1, 1], bool)
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        ref = np.nanmedian(noisy[use], axis=0)
    np.testing.assert_allclose(temporal_median(noisy, use), ref, equal_nan=True)
    lo, hi = 0.02, 0.3
    clipped = np.where((noisy >= lo) & (noisy <= hi), noisy, np.nan)
    ref = np.nanpercentile(clipped.reshape(6, -1), 95, axis=1)  # numpy linear == R type 7
    np.testing.assert_allclose(date_percentiles(noisy, 0.95, lo, hi), ref)


def test_normalise_orbits_removes_geometry_offsets():
    rng = np.random.default_rng(7)
    field = rng.normal(-9.0, 1.5, (1, 12, 12))
    orbits = [("ascending", 44), ("descending", 95)] * 10
    offset = np.array([2.5 if o[0] == "ascending" else -1.0 for o in orbits])[:, None, None]
    db = field + offset + rng.normal(0, 0.05, (20, 12, 12))
    db[16:, :6, :6] -= 6.0  # a clearing in the monitoring period (last 4 dates)
    history = np.arange(20) < 16
    out = radar.normalise_orbits(db, orbits, history=history)
    stable = out[:16]
    assert np.abs(stable - stable.mean(axis=0)).max() < 0.3  # orbits now comparable
    assert np.allclose(stable.mean(axis=0), field[0] + 0.75, atol=0.1)  # level kept
    assert (out[16:, :6, :6] - stable.mean(axis=0)[:6, :6]).mean() == pytest.approx(-6.0, abs=0.1)
    raw_gap = np.abs(db[0] - db[1]).mean()
    assert raw_gap == pytest.approx(3.5, abs=0.1)


def test_layover_shadow_masks():
    stack = np.ones((2, 2, 3))
    mask = np.array([[0, 1, 2], [3, 255, 0]], "uint8")
    out = radar.apply_layover_shadow(stack, mask)
    assert np.isnan(out).sum(axis=0).tolist() == [[0, 2, 2], [2, 2, 0]]
    with pytest.raises(ValueError, match="does not match"):
        radar.apply_layover_shadow(stack, mask[:, :2])


def test_deseasonalize_removes_a_common_seasonal_term():
    rng = np.random.default_rng(11)
    base = rng.normal(-8.0, 0.8, (1, 30, 30))
    season = 1.5 * np.sin(np.linspace(0, 4 * np.pi, 24))[:, None, None]
    stack = base + season
    out = radar.deseasonalize(stack, 0.95)
    np.testing.assert_allclose(out, out[:1].repeat(24, axis=0), atol=1e-9)
    assert np.nanpercentile(out[0], 95) == pytest.approx(0.0, abs=1e-12)


def test_deseasonalize_bounds_and_given_percentiles():
    stack = np.array([[[-30.0, -10.0], [-8.0, 5.0]]])
    out = radar.deseasonalize(stack, 0.5, lo=-25, hi=0)
    assert np.isnan(out[0, 0, 0]) and np.isnan(out[0, 1, 1])
    assert out[0, 0, 1] == pytest.approx(-1.0) and out[0, 1, 0] == pytest.approx(1.0)
    given = radar.deseasonalize(stack, percentiles=np.array([-5.0]))
    assert given[0, 1, 1] == pytest.approx(10.0)


def test_deseasonalize_real_bayts_stack(data_file):
    """R bayts::deseasonalizeRaster's rule on the real S1 VV stack: layer minus its 95th
    percentile (R quantile type 7 == numpy linear)."""
    import rasterio

    with rasterio.open(data_file("rasters/bayts_s1_vv_bolivia_2014_2016.tif")) as ds:
        vv = ds.read(masked=True).filled(np.nan).astype("float64")
    out = radar.deseasonalize(vv, 0.95)
    for t in range(vv.shape[0]):
        valid = vv[t][np.isfinite(vv[t])]
        if valid.size:
            np.testing.assert_allclose(out[t], vv[t] - np.percentile(valid, 95), equal_nan=True)
        else:
            assert np.isnan(out[t]).all()
    assert np.nanmax(out) <= 4.0 and np.nanmedian(out) < 0  # forest sits below its 95th pct


def test_quegan_on_the_real_bayts_stack(data_file):
    """On the real (already multilooked, 30 m) S1 VV stack the filter keeps each date's mean
    power and the no-data pattern, and lowers the per-pixel temporal spread."""
    import rasterio

    with rasterio.open(data_file("rasters/bayts_s1_vv_bolivia_2014_2016.tif")) as ds:
        vv = ds.read(masked=True).filled(np.nan).astype("float64")
    power = radar.to_linear(vv, "dB")
    out = radar.speckle_filter(power, 5)
    assert np.array_equal(np.isnan(out), np.isnan(power))
    valid = np.isfinite(power).any(axis=(1, 2))
    m_in = np.nanmean(power[valid].reshape(valid.sum(), -1), axis=1)
    m_out = np.nanmean(out[valid].reshape(valid.sum(), -1), axis=1)
    np.testing.assert_allclose(m_out, m_in, rtol=0.01)
    hist = np.zeros(len(vv), bool)
    hist[:72] = True  # before 2016
    sel = hist & valid
    enough = np.isfinite(vv[sel]).sum(axis=0) >= 10  # pixels cleared before 2016 are NaN
    spread_in = np.median(np.nanstd(vv[sel][:, enough], axis=0))
    spread_out = np.median(np.nanstd(radar.to_db(out, "linear")[sel][:, enough], axis=0))
    assert spread_out < 0.95 * spread_in  # 0.95 -> 0.87 dB: the stack is already multilooked


@pytest.mark.parametrize("q", [0.95, 0.0, 1.0, 0.5, 0.37])
def test_block_percentiles_equal_whole_grid_percentiles(q):
    """Two streaming passes over windows give exactly the whole-grid type-7 percentile (ties, NaN,
    negative and positive values, an empty date, blocks of odd shapes)."""
    rng = np.random.default_rng(int(q * 100))
    for trial in range(6):
        t, h, w = 4, int(rng.integers(1, 50)), int(rng.integers(1, 50))
        a = rng.normal(-7, 3, (t, h, w)).astype(np.float32)
        if trial % 2:
            a = np.round(a)  # many ties
        a[rng.random(a.shape) < 0.3] = np.nan
        a[3] = np.nan
        got = radar.date_percentiles_blocks(lambda a=a, h=h: [a[:, i:i + 7, :] for i in range(0, h, 7)], t, q)
        np.testing.assert_array_equal(got, date_percentiles(a.astype(np.float64), q))
        ref = np.array([np.quantile(d[np.isfinite(d)].astype(np.float64), q) if np.isfinite(d).any() else np.nan
                        for d in a])
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12)
