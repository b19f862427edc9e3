"""The stored model of an update: narrower storage dtypes where exact, files kept for unchanged
arrays, state tiles that do not pad the grid, headers read without the arrays."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner

from yvy.change._engine import FIXED_KEYS
from yvy.change._publish import DATE_COUNTS, DAY_STATE, model_specs, storage_dtype
from yvy.change.monitor import unchanged_arrays
from yvy.change.product import (
    RasterSpec,
    _chunk_array,
    _state_block,
    chunk_headers,
    load_chunk,
    save_chunk,
)
from yvy.cli.main import cli
from yvy.testing.scenes import write_stack

from .conftest import stack_values


@pytest.mark.parametrize(("n", "chunk", "block"), [(208, 512, 208), (1035, 512, 64), (1100, 512, 128),
                                                   (10980, 512, 512), (1035, 256, 64), (2000, 300, 512)])
def test_state_tiles_pad_little_and_divide_the_chunk(n, chunk, block):
    b = _state_block(n, chunk)
    assert b == block
    if n > 512 and chunk % 64 == 0:
        assert chunk % b == 0
        assert -(-n // b) * b - n <= n / 16


def test_storage_dtypes():
    f64, i32 = np.dtype("float64"), np.dtype("int32")
    assert all(storage_dtype(k, f64, 300) == "float32" for k in DAY_STATE)
    assert all(storage_dtype(k, i32, 300) == "int16" for k in DATE_COUNTS)
    assert storage_dtype("model__n_valid", i32, 40_000) == "int32"  # more dates than int16 holds
    assert storage_dtype("model__n_valid", i32, None) == "int32"  # no date count: left as it is
    assert storage_dtype("model__statistic", f64, 300) == "float64"  # a running maximum: exact float64
    assert storage_dtype("model__mag_window", f64, 300) == "float64"
    assert storage_dtype("model__status", np.dtype(bool), 300) == "uint8"


def test_narrowed_raster_refuses_a_value_it_cannot_hold(tmp_path):
    path = tmp_path / "c.npz"
    days = np.array([[18000.0, np.nan], [19000.0, 20000.0]])
    save_chunk(path, {"state__break_days": days, "model__n_valid": np.array([[1, 40_000], [3, 4]], np.int32)})
    with load_chunk(path) as z:
        ok = _chunk_array(z, RasterSpec("state__break_days", ("state__break_days",), "float32", np.nan, ("d",),
                                        exact=True))
        np.testing.assert_array_equal(ok[0].astype(np.float64), days)
        with pytest.raises(ValueError, match="do not fit int16"):
            _chunk_array(z, RasterSpec("model__n_valid", ("model__n_valid",), "int16", None, ("n",), exact=True))
        assert chunk_headers(z) == {"state__break_days": ((2, 2), np.dtype("float64")),
                                    "model__n_valid": ((2, 2), np.dtype("int32"))}


def test_model_specs_reads_headers_only(tmp_path):
    path = tmp_path / "c.npz"
    save_chunk(path, {"model__window": np.zeros((5, 3, 4)), "state__confirm_count": np.zeros((3, 4), np.int32),
                      "magnitude": np.zeros((3, 4), np.float32), "meta_json": np.array(json.dumps({"n_dates": 90}))})
    specs, meta, layout = model_specs(path)
    assert meta == {"n_dates": 90}
    assert layout == {"model__window": {"lead": [5], "dtype": "float64"},
                      "state__confirm_count": {"lead": [], "dtype": "int32"}}
    by = {s.name: s for s in specs}
    assert by["model__window"].dtype == "float64" and not by["model__window"].exact
    assert by["model__window"].descriptions == tuple(f"model__window[{b}]" for b in range(5))
    assert by["state__confirm_count"].dtype == "int16" and by["state__confirm_count"].exact


def test_unchanged_arrays_are_bitwise_equal_ones():
    kmodel = {"meta": {}, "window": np.arange(8.0).reshape(2, 4), "n_valid": np.arange(4, dtype=np.int32)}
    state = {"break_days": np.array([np.nan, 1.0, 2.0, 3.0])}
    arrays = {"model__window": np.arange(8.0).reshape(2, 2, 2), "model__n_valid": np.array([[0, 1], [2, 5]], np.int32),
              "state__break_days": np.array([[np.nan, 1.0], [2.0, 3.0]]), "magnitude": np.zeros((2, 2))}
    assert unchanged_arrays(arrays, kmodel, state) == ["model__window", "state__break_days"]
    arrays["state__break_days"] = np.array([[np.nan, 1.0], [2.0, 3.0000001]])
    assert unchanged_arrays(arrays, kmodel, state) == ["model__window"]


def _rasters(item: dict) -> dict[str, np.ndarray]:
    out = {}
    for k, a in item["assets"].items():
        with rasterio.open(a["href"]) as ds:
            out[k] = ds.read()
    return out


def test_update_stores_narrow_state_and_keeps_unchanged_files(tmp_path):
    """detect on 120 dates, update to 125 then to 130 (the second update reads the narrowed rasters and
    the files the first kept) == detect on 130."""
    from yvy.config import Workspace
    from yvy.storage import open_store

    dates, y = stack_values(130)
    stacks = {n: write_stack(tmp_path / f"s{n}.tif", dates[:n], y[:n]) for n in (120, 125, 130)}
    home = str(tmp_path / "ws")
    run = CliRunner().invoke
    assert run(cli, ["--home", home, "init"]).exit_code == 0
    common = ["--history-start", "2016-01-01", "--monitor-start", "2019-01-01", "--chunk", "20", "--json"]
    r1 = run(cli, ["--home", home, "detect", "--stack", str(stacks[120]), *common])
    assert r1.exit_code == 0, r1.output
    pid = json.loads(r1.output)["id"]
    r2 = run(cli, ["--home", home, "monitor", "update", "--product", pid, "--stack", str(stacks[125]), "--json"])
    assert r2.exit_code == 0, r2.output
    store = open_store(Workspace.open(tmp_path / "ws").database_url)
    model = store.get_item("yvy-models", pid)
    layout = model["properties"]["yvy:model_arrays"]
    hrefs = {k: a["href"] for k, a in model["assets"].items()}
    for key in DAY_STATE:
        assert layout[key]["dtype"] == "float64"
        with rasterio.open(hrefs[key]) as ds:
            assert ds.dtypes[0] == "float32" and model["assets"][key]["raster:bands"][0]["data_type"] == "float32"
            days = ds.read(1)
        assert np.array_equal(days[np.isfinite(days)], np.round(days[np.isfinite(days)]))
    for key in ("model__n_valid", "model__window_pos", "state__confirm_count"):
        with rasterio.open(hrefs[key]) as ds:
            assert ds.dtypes[0] == "int16"
    with rasterio.open(hrefs["model__n_valid"]) as ds:
        assert ds.block_shapes[0] == (48, 48)  # one tile (a multiple of 16) for the whole 40 x 40 grid
    # the history fit's arrays stay in v1, and so do the arrays these five dates left unchanged
    assert "/v1/" in hrefs["model__coef"] and "/v2/" in hrefs["model__window"]
    kept = {k for k, h in hrefs.items() if "/v1/" in h} - {f"model__{k}" for k in FIXED_KEYS}
    assert {"model__bmag_lo", "model__bmag_hi"} <= kept

    r3 = run(cli, ["--home", home, "monitor", "update", "--product", pid, "--stack", str(stacks[130]), "--json"])
    assert r3.exit_code == 0, r3.output
    r4 = run(cli, ["--home", home, "detect", "--stack", str(stacks[130]), *common])
    assert r4.exit_code == 0, r4.output
    got, want = _rasters(json.loads(r3.output)), _rasters(json.loads(r4.output))
    assert set(got) == set(want)
    for k in got:
        np.testing.assert_array_equal(got[k], want[k], err_msg=k)
