"""Causal per-orbit radar preparation of ``yvy detect --method bayts|sar``: ``--orbit-normalise`` and
``--speckle-filter N`` (:func:`yvy.cube.radar.causal_radar`), and ``yvy monitor update`` with them on."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner

from yvy.change.monitor import model_array
from yvy.cli.main import cli
from yvy.config import Workspace
from yvy.cube.radar import band_orbit, causal_radar
from yvy.kernels.radar import causal_quegan, quegan_filter
from yvy.storage import open_store
from yvy.testing.scenes import write_stack

from .test_bayts_incremental import _product_rasters

SIZE = 40
COMPARED = ("break_decimal_year", "change_flagged_decimal_year", "flag_decimal_year", "pflag", "pchange",
            "break_days", "status", "confirm_count_radar", "monitor_valid_count")


def _gamma_stack(rng, t=12, size=12):
    return rng.gamma(4.0, 0.025, (t, size, size)) * np.linspace(0.5, 1.5, size)[None, None, :]


def test_causal_filter_never_uses_later_dates():
    rng = np.random.default_rng(0)
    power = _gamma_stack(rng)
    power[3, 2:5, 2:5] = np.nan
    out = causal_quegan(power, 5, np.full((3, 12, 12), np.nan))
    for t in range(power.shape[0]):
        later = power.copy()
        later[t + 1:] = rng.gamma(4.0, 0.5, later[t + 1:].shape)  # any later dates
        got = causal_quegan(later, 5, np.full((3, 12, 12), np.nan))
        np.testing.assert_array_equal(got[:t + 1], out[:t + 1])
    assert np.isnan(out[3, 2:5, 2:5]).all() and np.isfinite(out[4]).all()
    # a date with no previous one is its own local mean times its ratio: itself
    np.testing.assert_allclose(out[0], power[0], rtol=1e-12)
    # it filters: the spread of a speckled flat field drops
    flat = rng.gamma(4.0, 0.025, (20, 12, 12))
    filt = causal_quegan(flat, 5, np.full((6, 12, 12), np.nan))
    assert filt[10:].std() < 0.6 * flat[10:].std()


def test_causal_filter_in_two_calls_equals_one_and_matches_quegan_window():
    rng = np.random.default_rng(1)
    power = _gamma_stack(rng, t=10)
    one = causal_quegan(power, 5, np.full((4, 12, 12), np.nan))
    buf = np.full((4, 12, 12), np.nan)
    a = causal_quegan(power[:6], 5, buf)
    b = causal_quegan(power[6:], 5, buf)
    np.testing.assert_array_equal(np.concatenate([a, b]), one)
    # with every previous date in the buffer, the last date is Quegan's filter over all dates
    full = causal_quegan(power, 5, np.full((9, 12, 12), np.nan))
    np.testing.assert_allclose(full[-1], quegan_filter(power, 5)[-1], rtol=1e-12)
    # a window read with a halo gives the pixels of the whole grid
    inner = causal_quegan(power[:, 2:10, 3:11], 5, np.full((4, 4, 4), np.nan), (2, 2))
    np.testing.assert_array_equal(inner, one[:, 4:8, 5:9])


def test_orbit_normalise_is_causal_and_per_orbit():
    rng = np.random.default_rng(2)
    db = -8 + rng.normal(0, 0.3, (16, 6, 6))
    orbits = ["A", "D"] * 8
    db[1::2] -= 4.0  # the descending orbit is 4 dB darker
    history = np.arange(16) < 8
    out, offsets, _ = causal_radar(db, "dB", orbits, history, orbit_normalise=True)
    assert abs(np.median(out[0::2]) - np.median(out[1::2])) < 0.2
    changed = db.copy()
    changed[8:] += 5.0  # monitoring dates never change the reference
    again, offsets2, _ = causal_radar(changed, "dB", orbits, history, orbit_normalise=True)
    np.testing.assert_array_equal(offsets2["A"], offsets["A"])
    np.testing.assert_allclose(again[8:] - out[8:], 5.0)
    # continued from the stored offsets, the monitoring dates come out the same
    cont, _, _ = causal_radar(db[8:], "dB", orbits[8:], np.zeros(8, bool), orbit_normalise=True, offsets=offsets)
    np.testing.assert_array_equal(cont, out[8:])
    # an orbit first seen after the history has no reference: no data
    new, _, _ = causal_radar(db[8:10], "dB", ["A", "X"], np.zeros(2, bool), orbit_normalise=True, offsets=offsets)
    assert np.isfinite(new[0]).all() and np.isnan(new[1]).all()


def test_band_orbit_labels():
    assert band_orbit({"ORBIT": "D83"}) == "D83"
    assert band_orbit({"sat:orbit_state": "Ascending", "sat:relative_orbit": "10"}) == "ascending/10"
    assert band_orbit({"relative_orbit": 37}) == "37"
    assert band_orbit({"STATISTICS_MEAN": "1"}) is None


def two_orbit_stack(path, *, seed=3, until=None, enl=50.0, tags=True, slope_desc=-4.0, slope_asc=1.0):
    """Sentinel-1-like VV dB: 12-day ascending and descending passes 6 days apart from 2023 on, the
    ascending ones ending on 2024-02-01 (as after a satellite loss); columns 0-14 are a slope that
    the descending orbit sees ``slope_desc`` dB darker and the ascending ``slope_asc`` brighter; a
    clearing (rows and columns 25-34) on 2024-03-01. Band tag ``orbit`` on every band (``tags``)."""
    rng = np.random.default_rng(seed)
    dates, orbits = [], []
    d = date(2023, 1, 1)
    while d <= date(2024, 6, 30):
        for off, orb in ((0, "ascending/10"), (6, "descending/83")):
            dd = d + timedelta(days=off)
            if not (orb.startswith("asc") and dd >= date(2024, 2, 1)):
                dates.append(dd)
                orbits.append(orb)
        d += timedelta(days=12)
    slope = np.zeros((SIZE, SIZE), bool)
    slope[:, :15] = True
    clear = np.zeros((SIZE, SIZE), bool)
    clear[25:35, 25:35] = True
    vv = np.empty((len(dates), SIZE, SIZE), np.float32)
    for i, (dd, orb) in enumerate(zip(dates, orbits, strict=True)):
        base = np.where(clear & (dd >= date(2024, 3, 1)), -11.0, -7.5) + rng.normal(0, 0.2, (SIZE, SIZE))
        base = base + np.where(slope, slope_asc if orb.startswith("asc") else slope_desc, 0.0)
        vv[i] = base + 10 * np.log10(rng.gamma(enl, 1 / enl, (SIZE, SIZE)))
    keep = [i for i, dd in enumerate(dates) if until is None or dd.isoformat() < until]
    p = write_stack(path, [dates[i].isoformat() for i in keep], vv[keep], resolution=20.0)
    if tags:
        with rasterio.open(p, "r+") as ds:
            for j, i in enumerate(keep, start=1):
                ds.update_tags(j, orbit=orbits[i])
    return p, clear, slope


def _ws(path):
    ws = Workspace.create(path)
    open_store(ws.database_url, create=True)
    return ws


def _detect(ws, sar, *extra, method="sar", stack=None, code=0):
    args = ["--home", str(ws.home), "detect", "--method", method, "--sar-stack", str(sar),
            "--monitor-start", "2024-01-01", "--chunk", "16", "--no-alerts", *extra]
    if stack:
        args += ["--stack", str(stack)]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == code, r.output
    return r


def _product(ws):
    return _product_rasters(ws, COMPARED)


def test_orbit_offset_false_alerts_without_orbit_normalise_none_with_it(tmp_path):
    sar, clear, slope = two_orbit_stack(tmp_path / "vv.tif", enl=400.0)
    runs = {}
    for name, extra in (("plain", ()), ("orbit", ("--orbit-normalise",))):
        ws = _ws(tmp_path / name)
        _detect(ws, sar, *extra)
        item, got = _product(ws)
        runs[name] = (item, got["status"] == 1)
    plain, orbit = runs["plain"][1], runs["orbit"][1]
    # four descending passes in a row on the slope look like clearings without the orbit's own level
    assert plain[slope & ~clear].mean() > 0.9
    assert not orbit[~clear].any()  # none with it
    assert orbit[clear].all() and plain[clear].all()
    prep = runs["orbit"][0]["properties"]["yvy:radar_preparation"]
    assert prep["orbits"] == ["ascending/10", "descending/83"] and prep["orbit_source"] == "band tags"
    assert prep["state"] == ["state__radar_offsets"]
    assert "yvy:radar_preparation" not in runs["plain"][0]["properties"]


def test_speckle_filter_lowers_false_alerts_of_noisy_passes(tmp_path):
    sar, clear, _ = two_orbit_stack(tmp_path / "vv.tif", enl=8.0, slope_desc=0.0, slope_asc=0.0)
    alerts = {}
    for name, extra in (("plain", ()), ("filtered", ("--speckle-filter", "4"))):
        ws = _ws(tmp_path / name)
        _detect(ws, sar, *extra)
        alerts[name] = _product(ws)[1]["status"] == 1
    assert alerts["filtered"][~clear].sum() < 0.5 * alerts["plain"][~clear].sum()
    assert alerts["filtered"][clear].mean() > 0.95


def test_stack_without_orbit_tags_is_one_orbit_and_partial_tags_are_refused(tmp_path):
    sar, _, _ = two_orbit_stack(tmp_path / "vv.tif", tags=False)
    ws = _ws(tmp_path / "ws")
    _detect(ws, sar, "--orbit-normalise", "--speckle-filter", "2")
    prep = _product(ws)[0]["properties"]["yvy:radar_preparation"]
    assert prep["orbits"] == ["single"] and prep["orbit_source"] == "assumed"
    with rasterio.open(sar, "r+") as ds:
        ds.update_tags(1, orbit="A10")
    r = _detect(ws, sar, "--orbit-normalise", code=1)
    assert "banda 2" in r.output and "órbita" in r.output  # Spanish by default
    r = _detect(ws, sar, "--speckle-filter", "-1", code=2)


@pytest.mark.parametrize("method", ["sar", "bayts"])
def test_update_with_radar_preparation_equals_one_run(tmp_path, method):
    sar, clear, _ = two_orbit_stack(tmp_path / "vv.tif")
    head, _, _ = two_orbit_stack(tmp_path / "vv_head.tif", until="2024-03-05")
    opt = head_opt = None
    if method == "bayts":  # NDVI every 10 days, clouded from December to April
        dates = [date(2023, 1, 2) + timedelta(days=10 * i) for i in range(55)]
        rng = np.random.default_rng(5)
        nd = np.stack([np.where(clear & (d >= date(2024, 3, 1)), 0.25, 0.75) + rng.normal(0, 0.03, (SIZE, SIZE))
                       for d in dates]).astype(np.float32)
        nd[[i for i, d in enumerate(dates) if d.month in (12, 1, 2, 3, 4)]] = np.nan
        opt = write_stack(tmp_path / "ndvi.tif", [d.isoformat() for d in dates], nd, resolution=20.0)
        early = [i for i, d in enumerate(dates) if d.isoformat() < "2024-03-05"]
        head_opt = write_stack(tmp_path / "ndvi_head.tif", [dates[i].isoformat() for i in early], nd[early],
                               resolution=20.0)
    opts = ("--orbit-normalise", "--speckle-filter", "3", "--bwf", "0", "1")
    full = _ws(tmp_path / "full")
    _detect(full, sar, *opts, method=method, stack=opt)
    whole, want = _product(full)
    inc = _ws(tmp_path / "inc")
    _detect(inc, head, *opts, method=method, stack=head_opt)
    first, before = _product(inc)
    base = ["--home", str(inc.home), "monitor", "update", "--no-alerts", "--sar-stack", str(sar)]
    r = CliRunner().invoke(cli, base + (["--stack", str(opt)] if opt else []))
    assert r.exit_code == 0, r.output
    item, got = _product(inc)
    assert item["properties"]["yvy:version"] == 2 and item["properties"]["yvy:updates"][-1]["new_dates"] >= 10
    for name in COMPARED:
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)
    assert (got["status"] == 1)[clear].mean() > 0.9
    assert not np.array_equal(before["break_decimal_year"], got["break_decimal_year"], equal_nan=True)
    assert item["properties"]["yvy:radar_preparation"] == whole["properties"]["yvy:radar_preparation"]
    # model state: the same per-orbit offsets and filter buffers as the one run
    models = {ws: next(it for it in open_store(ws.database_url).iter_items() if it["collection"] == "yvy-models")
              for ws in (full, inc)}
    for key in ("state__radar_offsets", "state__radar_buffers"):
        arrs = [model_array(models[ws], key) for ws in (full, inc)]
        np.testing.assert_array_equal(arrs[1], arrs[0], err_msg=key)
