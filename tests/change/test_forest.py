"""The history forest criterion (yvy.change.forest) and the detection options that go with it:
direction of the monitoring test and the forest_history layer of the product."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner

from yvy.change.detect import DetectRequest, run_detection
from yvy.change.forest import FOREST, NOT_FOREST, RULES, UNKNOWN, ForestRule, forest_from_model, history_phenology
from yvy.cli.main import cli
from yvy.errors import InputError
from yvy.kernels.bfast import BfastParams, fit_history
from yvy.testing.scenes import write_stack

from .conftest import stack_values

#: (name, level, half-range, dry-season trough sharpness, is forest) of known NDVI years.
COVERS = [
    ("evergreen-ish Chaco forest", 0.66, 0.10, 0.0, True),
    ("deciduous Chiquitano forest", 0.60, 0.19, 0.0, True),
    ("sown pasture", 0.45, 0.22, 0.0, False),
    ("soy, bare between crops", 0.38, 0.32, 0.0, False),
    ("bare soil", 0.16, 0.01, 0.0, False),
    ("water", -0.2, 0.03, 0.0, False),
]


def synthetic_years(n_pix=40, years=4, seed=0):
    """(t, y (T, covers * n_pix), truth) with one block of pixels per entry of COVERS."""
    rng = np.random.default_rng(seed)
    t = 2018 + np.sort(rng.choice(np.arange(years * 365), years * 60, replace=False)) / 365
    cols, truth = [], []
    for _, level, half, _, forest in COVERS:
        season = level + half * np.cos(2 * np.pi * (t - 0.15))  # peak in late February
        cols.append(season[:, None] + rng.normal(0, 0.02, (t.size, n_pix)))
        truth += [forest] * n_pix
    y = np.concatenate(cols, axis=1)
    y[rng.random(y.shape) < 0.3] = np.nan  # clouds
    return t, y, np.array(truth)


def test_phenology_from_coefficients():
    t, y, _ = synthetic_years()
    model = fit_history(y, t, 2030.0)
    ph = history_phenology(model["coef"], 3, True)
    for i, (name, level, half, _, _) in enumerate(COVERS):
        block = slice(40 * i, 40 * (i + 1))
        assert np.median(ph["mean"][block]) == pytest.approx(level, abs=0.01), name
        assert np.median(ph["amplitude"][block]) == pytest.approx(2 * half, abs=0.02), name
        assert np.median(ph["dry"][block]) == pytest.approx(level - half, abs=0.02), name
    # without a trend the coefficients are shifted by one; the phenology is the same
    no_trend = fit_history(y, t, 2030.0, BfastParams(trend=False))
    ph2 = history_phenology(no_trend["coef"], 3, False)
    np.testing.assert_allclose(ph2["amplitude"], ph["amplitude"], atol=0.02)


def test_ndvi_rule_on_known_covers():
    t, y, truth = synthetic_years()
    y[:, 0] = np.nan  # no history: unknown
    model = fit_history(y, t, 2030.0)
    forest = forest_from_model(model["coef"], model["status"], 3, True, RULES["ndvi"])
    assert forest.dtype == np.uint8 and forest[0] == UNKNOWN
    got = forest[1:] == FOREST
    assert (got == truth[1:]).mean() > 0.97
    for i, (name, *_rest, is_forest) in enumerate(COVERS):
        block = forest[max(1, 40 * i):40 * (i + 1)]
        assert np.mean(block == (FOREST if is_forest else NOT_FOREST)) > 0.9, name
    # each limit of the rule can reject on its own
    strict = forest_from_model(model["coef"], model["status"], 3, True, ForestRule(0.45, 0.30, 0.25))
    assert np.mean(strict[40:80] == FOREST) < 0.1  # the deciduous forest swings 0.38


def test_detect_direction_and_forest_layer(ws_store, small_stack):
    ws, store = ws_store
    base = dict(history_start="2016-01-01", monitor_start="2019-01-01", stack=str(small_stack), chunk=20)
    both = run_detection(store, ws, DetectRequest(**base))
    neg = run_detection(store, ws, DetectRequest(**base, direction="negative"))
    assert both["id"] != neg["id"]
    assert both["properties"]["yvy:params"]["direction"] == "both"
    assert neg["properties"]["yvy:params"]["direction"] == "negative"
    assert neg["properties"]["yvy:forest_rule"] == RULES["ndvi"].to_dict()
    with rasterio.open(neg["assets"]["forest_history"]["href"]) as ds:
        fh = ds.read(1)
        assert ds.dtypes[0] == "uint8" and ds.nodata == 255
    assert np.mean(fh == FOREST) > 0.95  # the stack is an evergreen-like 0.6 +- 0.15 year
    with rasterio.open(neg["assets"]["status"]["href"]) as ds:
        status = ds.read(1)
    assert (status[:13, :13] == 1).mean() > 0.9  # the drop in the corner is found either way
    with pytest.raises(InputError, match="^direction: "):
        DetectRequest(**base, direction="down").params()


def test_negative_direction_update_equals_full_run(tmp_path):
    dates, y = stack_values(130)
    y[100:, 20:, 20:] += 0.2  # a greening late in the series: a positive break only
    short = write_stack(tmp_path / "short.tif", dates[:110], y[:110])
    full = write_stack(tmp_path / "full.tif", dates, y)
    home = str(tmp_path / "ws")
    run = CliRunner().invoke
    assert run(cli, ["--home", home, "init"]).exit_code == 0
    common = ["--history-start", "2016-01-01", "--monitor-start", "2019-01-01", "--chunk", "20",
              "--direction", "negative", "--json"]
    r1 = run(cli, ["--home", home, "detect", "--stack", str(short), *common])
    assert r1.exit_code == 0, r1.output
    pid = json.loads(r1.output)["id"]
    r2 = run(cli, ["--home", home, "monitor", "update", "--product", pid, "--stack", str(full), "--json"])
    assert r2.exit_code == 0, r2.output
    r3 = run(cli, ["--home", home, "detect", "--stack", str(full), *common])
    upd, ref = json.loads(r2.output), json.loads(r3.output)
    assert upd["properties"]["yvy:params"]["direction"] == "negative"
    for key in ref["assets"]:
        with rasterio.open(upd["assets"][key]["href"]) as a, rasterio.open(ref["assets"][key]["href"]) as b:
            np.testing.assert_array_equal(a.read(), b.read(), err_msg=key)
    with rasterio.open(ref["assets"]["status"]["href"]) as ds:
        assert (ds.read(1)[25:, 25:] == 1).mean() < 0.1  # the greening is no break


def test_cli_direction_help_and_choice(tmp_path):
    r = CliRunner().invoke(cli, ["--lang", "en", "detect", "--help"])
    assert r.exit_code == 0 and "--direction" in r.output and "not R's default" in " ".join(r.output.split())
    r = CliRunner().invoke(cli, ["--home", str(tmp_path), "detect", "--stack", __file__, "--history-start",
                                 "2016-01-01", "--monitor-start", "2019-01-01", "--direction", "down"])
    assert r.exit_code == 2 and "down" in r.output
