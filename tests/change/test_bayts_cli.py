"""``yvy detect --method bayts|sar``: the acceptance command on the real Bolivia stacks, linear units,
resume through the shared chunk pipeline, and one-line errors with nothing written."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner

from yvy.cli.main import cli
from yvy.config import Workspace
from yvy.storage import open_store
from yvy.testing.scenes import write_stack

from ..conftest import raw_sql

NDVI = "rasters/bayts_landsat_ndvi_bolivia_2005_2016.tif"
S1VV = "rasters/bayts_s1_vv_bolivia_2014_2016.tif"
REF = "reference/bayts_r_spatial_result_bolivia_2016.tif"


@pytest.fixture
def home(tmp_path):
    ws = Workspace.create(tmp_path / "ws")
    open_store(ws.database_url, create=True)
    return ws


def _run(home, *args, lang=None):
    return CliRunner().invoke(cli, ["--home", str(home.home), *(["--lang", lang] if lang else []), "detect", *args])


def _band(path, name):
    with rasterio.open(path) as ds:
        a = ds.read(ds.descriptions.index(name) + 1).astype(np.float64)
        if ds.nodata is not None and not np.isnan(ds.nodata):
            a[a == ds.nodata] = np.nan
        return a


def test_acceptance_command(home, tmp_path, data_file):
    """The issue's command, with the documented defaults."""
    out = tmp_path / "out"
    r = _run(home, "--method", "bayts", "--stack", str(data_file(NDVI)), "--sar-stack", str(data_file(S1VV)),
             "--monitor-start", "2016-01-01", "--out", str(out))
    assert r.exit_code == 0, r.output
    with rasterio.open(out / "breaks.tif") as ds:
        assert ds.descriptions[:5] == ("break_decimal_year", "change_flagged_decimal_year", "flag_decimal_year",
                                       "pflag", "pchange")
    got = _band(out / "breaks.tif", "break_decimal_year")
    assert 1500 < np.isfinite(got).sum() < 2500
    assert np.nanmin(got) >= 2016.0 and np.nanmax(got) <= 2016.4


def test_cli_with_r_parameters_matches_r(home, tmp_path, data_file):
    out = tmp_path / "out"
    r = _run(home, "--method", "bayts", "--stack", str(data_file(NDVI)), "--sar-stack", str(data_file(S1VV)),
             "--monitor-start", "2016-01-01", "--out", str(out), "--chunk", "64", "--chi", "0.9",
             "--bwf", "0.1", "0.9", "--pnf-min", "0.5", "--neighbour-chi", "0.9", "--min-pixels", "1")
    assert r.exit_code == 0, r.output
    assert "1.579 cambios confirmados" in r.output and "candidata(s) a alerta" in r.output
    got = _band(out / "breaks.tif", "break_decimal_year")
    with rasterio.open(data_file(REF)) as ds:
        ref = ds.read(3).astype(np.float64)
        ref[ref == ds.nodata] = np.nan
    assert (np.isfinite(got) == np.isfinite(ref)).all()
    assert np.nanmax(np.abs(got - ref)) < 1e-4
    store = open_store(home.database_url)
    item = next(it for it in store.iter_items() if it["collection"] == "yvy-detections")
    props = item["properties"]
    assert props["yvy:sar_units"] == {"radar": "db", "radar_source": "values"}
    assert props["yvy:summary"]["breaks"] == 1579
    assert {"confirm_count_optical", "confirm_count_radar", "pchange"} <= set(item["assets"])
    conf = _band(item["assets"]["confirm_count_radar"]["href"], "confirm_count_radar")
    assert (conf[np.isfinite(ref)] >= 0).all() and conf[np.isfinite(ref)].sum() > 0
    n_alerts = raw_sql(store, "SELECT COUNT(*) FROM alerts")[0][0]
    assert n_alerts >= 1


@pytest.mark.parametrize("days", [None, 45], ids=["no-window", "window-45d"])
def test_spatial_rule_across_chunks_equals_the_rule_on_the_whole_grid(home, tmp_path, data_file, days):
    """The spatial rule (0.5, 2 px; with and without a time window), applied after 32-px chunks,
    equals the kernel run on the whole stacks followed by :func:`yvy.kernels.grow.spatial_confirm`
    on the whole grid."""
    from yvy.change.timebase import decimal_year
    from yvy.kernels.bayts import BaytsParams, SensorPdf, bayts, spatial_normalise
    from yvy.kernels.grow import spatial_confirm

    out = tmp_path / "out"
    r = _run(home, "--method", "bayts", "--stack", str(data_file(NDVI)), "--sar-stack", str(data_file(S1VV)),
             "--monitor-start", "2016-01-01", "--out", str(out), "--chunk", "32", "--no-alerts",
             "--neighbour-chi", "0.5", "--min-pixels", "2", "--neighbour-days", str(days or 0))
    assert r.exit_code == 0, r.output
    ys, ts = [], []
    for path in (NDVI, S1VV):
        with rasterio.open(data_file(path)) as ds:
            a = ds.read().astype(np.float64)
            a[a == ds.nodata] = np.nan
            ys.append(spatial_normalise(a, 0.95))
            ts.append(decimal_year(list(ds.descriptions)))
    o = bayts(ys, ts, [SensorPdf(0.0, 0.1, -0.5, 0.125), SensorPdf(-1.0, 0.75, -4.0, 1.0)],
              float(decimal_year(["2016-01-01"])[0]), BaytsParams(chi=0.9, pnf_min=0.5, bwf=(0.1, 0.95), chi_weak=0.5))
    want = spatial_confirm(o["change_weak"], o["change_confirmed"], min_pixels=2, flagged=o["change_flagged"],
                           window=None if days is None else days / 365)
    got = _band(out / "breaks.tif", "break_decimal_year")
    assert (np.isfinite(got) == np.isfinite(want)).all()
    assert np.nanmax(np.abs(got - want)) < 1e-9
    grown = np.isfinite(want) & np.isnan(o["change_confirmed"])
    dropped = np.isnan(want) & np.isfinite(o["change_confirmed"])
    assert grown.sum() > 0 and dropped.sum() > 0  # the rule did both here
    status = _band(out / "breaks.tif", "status")
    assert (status[grown] == 1).all() and (status[dropped] == 2).all()
    assert np.isfinite(_band(out / "breaks.tif", "pchange")[grown]).all()


def _pair(tmp_path, sar_values=None, shift=0.0, n=40):
    rng = np.random.default_rng(0)
    dates = [f"2015-{m:02d}-{d:02d}" for m in range(1, 13) for d in (5, 17)] + \
            [f"2016-{m:02d}-{d:02d}" for m in range(1, 6) for d in (5, 17)]
    T = len(dates)
    ndvi = rng.normal(0.8, 0.03, (T, 20, 20)).astype(np.float32)
    db = rng.normal(-7.0, 0.7, (T, 20, 20)).astype(np.float32)
    late = np.array([d >= "2016-02-01" for d in dates])
    ndvi[late, :10, :10] = 0.3
    db[late, :10, :10] = -12.0
    opt = write_stack(tmp_path / "ndvi.tif", dates, ndvi)
    sv = db if sar_values is None else sar_values(db)
    sar = write_stack(tmp_path / "vv.tif", dates, sv, origin=(500000.0 + shift, 7300000.0))
    return opt, sar


def test_linear_units_and_sar_method(home, tmp_path):
    opt, sar_db = _pair(tmp_path)
    lin_dir = tmp_path / "lin"
    lin_dir.mkdir()
    _, sar_lin = _pair(lin_dir, sar_values=lambda d: (10 ** (d / 10)).astype(np.float32))
    a = _run(home, "--method", "bayts", "--stack", str(opt), "--sar-stack", str(sar_db), "--monitor-start",
             "2016-01-01", "--out", str(tmp_path / "a"), "--no-alerts")
    b = _run(home, "--method", "bayts", "--stack", str(opt), "--sar-stack", str(sar_lin), "--monitor-start",
             "2016-01-01", "--out", str(tmp_path / "b"), "--no-alerts", "--json")
    assert a.exit_code == 0 and b.exit_code == 0, a.output + b.output
    assert json.loads(b.output)["properties"]["yvy:sar_units"]["radar"] == "linear"
    ta = _band(tmp_path / "a" / "breaks.tif", "break_decimal_year")
    tb = _band(tmp_path / "b" / "breaks.tif", "break_decimal_year")
    np.testing.assert_allclose(ta, tb, equal_nan=True)
    assert np.isfinite(ta[:10, :10]).mean() > 0.9 and np.isfinite(ta[10:, 10:]).mean() < 0.05
    s = _run(home, "--method", "sar", "--sar-stack", str(sar_db), "--monitor-start", "2016-01-01",
             "--out", str(tmp_path / "s"), "--no-alerts")
    assert s.exit_code == 0, s.output
    ts = _band(tmp_path / "s" / "breaks.tif", "break_decimal_year")
    assert np.isfinite(ts[:10, :10]).mean() > 0.9


def _errors(tmp_path):
    opt, sar = _pair(tmp_path)
    shifted = tmp_path / "shifted"
    shifted.mkdir()
    _, moved = _pair(shifted, shift=300.0)
    odd = tmp_path / "odd"
    odd.mkdir()
    _, big = _pair(odd, sar_values=lambda d: (d * -10).astype(np.float32))  # 40..140: neither dB nor linear
    return {
        "misaligned grids": (["--method", "bayts", "--stack", str(opt), "--sar-stack", str(moved)],
                             "does not match the optical stack's"),
        "unknown units": (["--method", "sar", "--sar-stack", str(big)], "unknown backscatter units"),
        "bayts without optical": (["--method", "bayts", "--sar-stack", str(sar)], "--stack: method bayts needs"),
        "sar without radar": (["--method", "sar", "--stack", str(opt)], "--sar-stack: method sar needs"),
        "bad bwf": (["--method", "sar", "--sar-stack", str(sar), "--bwf", "0.9", "0.1"], "--bwf: needs 0 <= low"),
        "bad chi": (["--method", "sar", "--sar-stack", str(sar), "--chi", "1.5"], "--chi: must be in (0, 1)"),
        "bad neighbour chi": (["--method", "sar", "--sar-stack", str(sar), "--neighbour-chi", "0"],
                              "--neighbour-chi: must be in (0, 1]"),
    }


def test_one_line_errors_nothing_written(home, tmp_path):
    for name, (args, message) in _errors(tmp_path).items():
        r = _run(home, *args, "--monitor-start", "2016-01-01", "--out", str(tmp_path / "o"), lang="en")
        lines = [ln for ln in r.output.splitlines() if ln.strip()]
        assert r.exit_code == 1, (name, r.output)
        assert len(lines) == 1 and message in lines[0], (name, lines)
    store = open_store(home.database_url)
    assert raw_sql(store, "SELECT COUNT(*) FROM jobs")[0][0] == 0
    assert not (tmp_path / "o").exists()


def test_bfast_still_needs_history_start(home, tmp_path):
    opt, sar = _pair(tmp_path)
    r = _run(home, "--stack", str(opt), "--monitor-start", "2016-01-01")
    assert r.exit_code == 2 and "--history-start" in r.output
    r = _run(home, "--stack", str(opt), "--history-start", "2015-01-01", "--monitor-start", "2016-01-01",
             "--sar-stack", str(sar))
    assert r.exit_code == 2 and "--sar-stack" in r.output


def test_cli_defaults_are_the_documented_ones():
    from yvy.change import fusion
    from yvy.cli import detect

    assert detect.OPTICAL_PDF == fusion.DEFAULT_OPTICAL_PDF and detect.SAR_PDF == fusion.DEFAULT_SAR_PDF
    assert detect.SPATIAL == fusion.SPATIAL_DEFAULTS
    assert (detect.CHI, detect.PNF_MIN, detect.BWF) == (fusion.DEFAULT_CHI, fusion.DEFAULT_PNF_MIN,
                                                        fusion.DEFAULT_BWF)
    assert fusion.FusionRequest("2016-01-01").params() == fusion.kb.BaytsParams(0.9, 0.5, (0.1, 0.95), chi_weak=0.4)
    assert fusion.FusionRequest("2016-01-01").spatial() == {"neighbour_chi": 0.4, "min_pixels": 3, "neighbour_days": 45,
                                                            "grow": True, "on": True}
    sar = fusion.FusionRequest("2016-01-01", method="sar")
    assert (sar.spatial()["neighbour_chi"], sar.params().chi_weak) == (0.3, 0.3)
    off = fusion.FusionRequest("2016-01-01", neighbour_chi=0.9, min_pixels=1).spatial()
    assert off == {"neighbour_chi": None, "min_pixels": 1, "neighbour_days": None, "grow": False, "on": False}
    assert fusion.FusionRequest("2016-01-01", neighbour_days=0).spatial()["neighbour_days"] is None
