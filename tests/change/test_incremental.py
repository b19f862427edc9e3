"""Fit once, monitor incrementally: detect on the first dates then update == detect on all."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner

from yvy.change._engine import FIXED_KEYS, FIXED_OUTPUTS
from yvy.change.detect import DetectRequest, run_detection
from yvy.change.monitor import update_monitoring
from yvy.cli.main import cli
from yvy.kernels._rank_window import CAPACITY
from yvy.testing.scenes import write_stack

from .conftest import add_items, stack_values


def _arrays(item):
    return {k: rasterio.open(a["href"]).read() for k, a in item["assets"].items()}


def _assert_same(a, b):
    x, y = _arrays(a), _arrays(b)
    assert set(x) == set(y)
    for k in x:
        np.testing.assert_array_equal(x[k], y[k], err_msg=k)


def test_items_first_dates_then_update_equals_all(ws_store, s2_items):
    ws, store = ws_store
    add_items(store, s2_items[:22])
    bbox = tuple(s2_items[0]["bbox"])
    req = DetectRequest(history_start="2018-01-01", monitor_start="2019-08-01", bbox=bbox, chunk=256)
    first = run_detection(store, ws, req)
    assert first["properties"]["yvy:last_processed"][:10] == s2_items[21]["properties"]["datetime"][:10]
    model = store.get_item("yvy-models", first["id"])
    assert {"model__coef", "model__sigma", "model__window",
            "state__confirm_count"} <= set(model["assets"])
    layout1 = model["properties"]["yvy:model_arrays"]

    add_items(store, s2_items[22:])
    updated = update_monitoring(store, ws)  # the latest product by default
    assert updated["id"] == first["id"]
    props = updated["properties"]
    assert props["yvy:version"] == 2 and props["yvy:summary"]["new_dates"] == 8
    model = store.get_item("yvy-models", first["id"])
    # fixed arrays keep their v1 files; the rest is rewritten, the same size whatever the period
    assert "/v1/" in model["assets"]["model__coef"]["href"] and "/v2/" in model["assets"]["model__status"]["href"]
    layout = model["properties"]["yvy:model_arrays"]
    assert "model__residuals" not in layout and not any(k.startswith("model__residuals") for k in model["assets"])
    assert {k: layout["model__mag_window"][k] for k in ("lead", "dtype")} == {"lead": [CAPACITY], "dtype": "float64"}
    assert layout == layout1  # no array grew
    assert props["yvy:summary"]["median_bounded"] == 0
    assert props["yvy:last_processed"][:10] == s2_items[-1]["properties"]["datetime"][:10]
    assert len(props["yvy:inputs"]["items"]) == 30
    # of the old version only the files the history fit set stay (referenced by version 2)
    v1 = ws.assets / "detections" / first["id"] / "v1"
    assert sorted(f.stem for f in v1.iterdir()) == sorted(FIXED_OUTPUTS)
    assert all(props_href.startswith(str(v1)) for props_href in
               (updated["assets"][k]["href"] for k in FIXED_OUTPUTS))
    # of the old model: the history fit's arrays, and arrays these dates left unchanged (not rewritten)
    v1m = ws.assets / "models" / first["id"] / "v1"
    assert {f"model__{k}" for k in FIXED_KEYS} <= {f.stem for f in v1m.iterdir()}
    hrefs = {a["href"] for a in model["assets"].values()}
    assert all(str(f.absolute()) in hrefs for f in v1m.iterdir())

    full = run_detection(store, ws, req)
    assert full["id"] != first["id"]
    _assert_same(updated, full)
    status = _arrays(full)["status"][0]
    assert (status[:8, :8] == 1).mean() > 0.9  # the cleared quarter
    confirm = _arrays(full)["confirm_count"][0]
    assert (confirm[:8, :8] >= 1).all() or (confirm[:8, :8][status[:8, :8] == 1] >= 1).all()

    again = update_monitoring(store, ws, first["id"])
    assert again["properties"]["yvy:summary"]["new_dates"] == 0


def test_stack_update_equals_full_run_via_cli(tmp_path):
    dates, y = stack_values(130)
    short = write_stack(tmp_path / "short.tif", dates[:110], y[:110])
    full = write_stack(tmp_path / "full.tif", dates, y)
    home = str(tmp_path / "ws")
    run = CliRunner().invoke
    assert run(cli, ["--home", home, "init"]).exit_code == 0
    common = ["--history-start", "2016-01-01", "--monitor-start", "2019-01-01", "--chunk", "20", "--json"]
    r1 = run(cli, ["--home", home, "detect", "--stack", str(short), *common])
    assert r1.exit_code == 0, r1.output
    pid = json.loads(r1.output)["id"]
    r2 = run(cli, ["--home", home, "monitor", "update", "--product", pid, "--stack", str(full), "--json"])
    assert r2.exit_code == 0, r2.output
    upd = json.loads(r2.output)
    assert upd["properties"]["yvy:summary"]["new_dates"] == 20
    r3 = run(cli, ["--home", home, "detect", "--stack", str(full), *common])
    _assert_same(upd, json.loads(r3.output))
    r4 = run(cli, ["--home", home, "monitor", "update", "--product", pid, "--stack", str(full)])
    assert r4.exit_code == 0 and "al día" in r4.output
    r5 = run(cli, ["--home", home, "monitor", "list", "--json"])
    assert {row["id"] for row in json.loads(r5.output)} >= {pid}


def test_new_history_dates_need_a_refit(ws_store, s2_items):
    from yvy.errors import InputError

    ws, store = ws_store
    add_items(store, s2_items[:22])
    req = DetectRequest(history_start="2018-01-01", monitor_start="2019-12-01",
                        bbox=tuple(s2_items[0]["bbox"]), chunk=256)
    first = run_detection(store, ws, req)  # no monitoring date yet: the model is stored
    assert first["properties"]["yvy:summary"]["breaks"] == 0
    add_items(store, s2_items[22:])
    with pytest.raises(InputError, match="2 new dates fall before the monitoring start 2019-12-01"):
        update_monitoring(store, ws)


def test_update_unknown_product(ws_store):
    from yvy.errors import NotFoundError

    ws, store = ws_store
    with pytest.raises(NotFoundError):
        update_monitoring(store, ws)


class _KeepResiduals(dict):
    """A kernel model whose ``residuals`` survive the pipeline's ``pop``: detection then stores them
    as models did before the state was fixed-size."""

    def pop(self, key, *default):
        return self[key] if key == "residuals" else super().pop(key, *default)


def test_old_layout_model_converts_on_update(ws_store, s2_items, monkeypatch):
    """A model stored the old way (every monitoring residual, no rank windows) is continued exactly
    and written back in the fixed-size layout."""
    from yvy.kernels import bfast

    ws, store = ws_store
    add_items(store, s2_items[:22])
    req = DetectRequest(history_start="2018-01-01", monitor_start="2019-08-01",
                        bbox=tuple(s2_items[0]["bbox"]), chunk=256)
    fit = bfast.fit_history

    def old_fit(*a, **kw):
        model = fit(*a, **kw)
        return _KeepResiduals({k: v for k, v in model.items() if not k.startswith(("mag_", "bmag_"))})

    monkeypatch.setattr(bfast, "fit_history", old_fit)
    first = run_detection(store, ws, req)
    monkeypatch.undo()
    model = store.get_item("yvy-models", first["id"])
    layout = model["properties"]["yvy:model_arrays"]
    assert "model__residuals" in model["assets"] and "model__mag_window" not in layout
    layout["model__residuals"]["batches"] = ["model__residuals"]  # the old layout's batch list
    store.upsert_item(model)

    add_items(store, s2_items[22:])
    updated = update_monitoring(store, ws, first["id"])
    model = store.get_item("yvy-models", first["id"])
    layout = model["properties"]["yvy:model_arrays"]
    assert "model__residuals" not in layout and "model__residuals" not in model["assets"]
    assert {k: layout["model__mag_window"][k] for k in ("lead", "dtype")} == {"lead": [CAPACITY], "dtype": "float64"}
    assert updated["properties"]["yvy:summary"]["median_bounded"] == 0
    _assert_same(updated, run_detection(store, ws, req))
