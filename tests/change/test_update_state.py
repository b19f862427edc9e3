"""The stored model of an update: one .npy per array and chunk, narrower storage dtypes where exact,
unchanged chunks hard-linked and unchanged arrays kept, any window readable."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner

from yvy.change._engine import FIXED_KEYS
from yvy.change._state import (
    DATE_COUNTS,
    DAY_STATE,
    LINKS,
    chunk_file,
    read_state_window,
    save_state,
    scratch_layout,
    state_dir,
    storage_dtype,
)
from yvy.change.monitor import unchanged_arrays
from yvy.cli.main import cli
from yvy.cube.build import chunk_windows
from yvy.testing.scenes import write_stack

from .conftest import stack_values


@pytest.mark.parametrize(("shape", "chunk"), [((7, 9), 4), ((8, 8), 4), ((5, 3), 8)])
def test_any_window_reads_back_from_chunk_files(tmp_path, shape, chunk):
    rng = np.random.default_rng(1)
    full = rng.normal(size=(3, *shape))
    for i, (rows, cols) in enumerate(chunk_windows(shape, chunk)):
        rest = save_state(tmp_path, i, {"model__w": full[:, rows, cols], "magnitude": full[0, rows, cols]})
        assert list(rest) == ["magnitude"]
    folder = state_dir(tmp_path) / "model__w"
    assert scratch_layout(tmp_path) == {"model__w": {"lead": [3], "dtype": "float64", "stored": "float64"}}
    for rows in (slice(0, shape[0]), slice(1, shape[0] - 1), slice(2, 3)):
        for cols in (slice(0, shape[1]), slice(1, 2), slice(shape[1] - 2, shape[1])):
            np.testing.assert_array_equal(read_state_window(folder, chunk, shape, rows, cols), full[:, rows, cols])


def test_storage_dtypes():
    f64, i32 = np.dtype("float64"), np.dtype("int32")
    assert all(storage_dtype(k, f64, 300) == "float32" for k in DAY_STATE)
    assert all(storage_dtype(k, i32, 300) == "int16" for k in DATE_COUNTS)
    assert storage_dtype("model__n_valid", i32, 40_000) == "int32"  # more dates than int16 holds
    assert storage_dtype("model__n_valid", i32, None) == "int32"  # no date count: left as it is
    assert storage_dtype("model__statistic", f64, 300) == "float64"  # a running maximum: exact float64
    assert storage_dtype("model__mag_window", f64, 300) == "float64"
    assert storage_dtype("model__status", np.dtype(bool), 300) == "uint8"


def test_narrowed_state_refuses_a_value_it_cannot_hold(tmp_path):
    days = np.array([[18000.0, np.nan], [19000.0, 20000.0]])
    meta = np.array(json.dumps({"n_dates": 90}))
    save_state(tmp_path, 0, {"state__break_days": days, "meta_json": meta})
    stored = np.load(chunk_file(state_dir(tmp_path) / "state__break_days", 0))
    assert stored.dtype == np.float32
    np.testing.assert_array_equal(stored.astype(np.float64), days)
    with pytest.raises(ValueError, match="do not fit int16"):
        save_state(tmp_path, 1, {"model__n_valid": np.array([[1, 40_000], [3, 4]], np.int32), "meta_json": meta})


def test_unchanged_chunks_are_hard_links(tmp_path):
    old = tmp_path / "old.npy"
    np.save(old, np.arange(4.0).reshape(2, 2))
    rest = save_state(tmp_path, 0, {"model__window": np.zeros((2, 2)), "magnitude": np.zeros((2, 2)),
                                    LINKS: np.array(json.dumps({"model__window": str(old)}))})
    assert set(rest) == {"magnitude"}
    new = chunk_file(state_dir(tmp_path) / "model__window", 0)
    assert new.stat().st_ino == old.stat().st_ino  # the previous file, not the array passed
    save_state(tmp_path, 1, {"model__window": np.ones((2, 2)),
                             LINKS: np.array(json.dumps({"model__window": str(tmp_path / "gone.npy")}))})
    np.testing.assert_array_equal(np.load(chunk_file(state_dir(tmp_path) / "model__window", 1)), np.ones((2, 2)))


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


def _stored(href: str) -> list[np.ndarray]:
    return [np.load(f) for f in sorted(Path(href).glob("c*.npy"))]


def test_update_stores_narrow_state_and_keeps_unchanged_files(tmp_path):
    """detect on 120 dates, update to 125 then to 130 (the second update reads the narrowed arrays and
    the files the first kept or linked) == detect on 130."""
    from yvy.config import Workspace
    from yvy.storage import open_store

    dates, y = stack_values(130)
    y[120:125, 20:, 20:] = np.nan  # one chunk clouded over the first update's dates: its state stays
    stacks = {n: write_stack(tmp_path / f"s{n}.tif", dates[:n], y[:n]) for n in (120, 125, 130)}
    home = str(tmp_path / "ws")
    run = CliRunner().invoke
    assert run(cli, ["--home", home, "init"]).exit_code == 0
    common = ["--history-start", "2016-01-01", "--monitor-start", "2019-01-01", "--chunk", "20", "--json"]
    r1 = run(cli, ["--home", home, "detect", "--stack", str(stacks[120]), *common])
    assert r1.exit_code == 0, r1.output
    pid = json.loads(r1.output)["id"]
    store = open_store(Workspace.open(tmp_path / "ws").database_url)
    v1 = {k: {f.name: (f.stat().st_ino, np.load(f).tobytes()) for f in Path(a["href"]).glob("c*.npy")}
          for k, a in store.get_item("yvy-models", pid)["assets"].items()}  # v1's files go once unused
    r2 = run(cli, ["--home", home, "monitor", "update", "--product", pid, "--stack", str(stacks[125]), "--json"])
    assert r2.exit_code == 0, r2.output
    model = store.get_item("yvy-models", pid)
    layout = model["properties"]["yvy:model_arrays"]
    hrefs = {k: a["href"] for k, a in model["assets"].items()}
    assert all(layout[k]["chunk"] == 20 and len(_stored(h)) == 4 for k, h in hrefs.items())  # 40 x 40 grid
    for key in DAY_STATE:
        assert layout[key]["dtype"] == "float64" and layout[key]["stored"] == "float32"
        days = np.concatenate([a.ravel() for a in _stored(hrefs[key])])
        assert days.dtype == np.float32 and np.array_equal(days[np.isfinite(days)], np.round(days[np.isfinite(days)]))
    for key in ("model__n_valid", "model__window_pos", "state__confirm_count"):
        assert {a.dtype for a in _stored(hrefs[key])} == {np.dtype("int16")}
    # the history fit's arrays stay in v1, and so do the arrays these five dates left unchanged
    assert "/v1/" in hrefs["model__coef"] and "/v2/" in hrefs["model__window"]
    kept = {k for k, h in hrefs.items() if "/v1/" in h} - {f"model__{k}" for k in FIXED_KEYS}
    assert {"model__bmag_lo", "model__bmag_hi"} <= kept
    # in a rewritten array, a chunk whose values did not change is the v1 file itself (a hard link)
    linked = rewritten = 0
    for key in (k for k, h in hrefs.items() if "/v2/" in h):
        for name, (ino, data) in v1[key].items():
            new = Path(hrefs[key]) / name
            same = np.load(new).tobytes() == data
            assert same == (new.stat().st_ino == ino), (key, name)
            linked, rewritten = linked + same, rewritten + (not same)
    assert linked and rewritten

    r3 = run(cli, ["--home", home, "monitor", "update", "--product", pid, "--stack", str(stacks[130]), "--json"])
    assert r3.exit_code == 0, r3.output
    r4 = run(cli, ["--home", home, "detect", "--stack", str(stacks[130]), *common])
    assert r4.exit_code == 0, r4.output
    got, want = _rasters(json.loads(r3.output)), _rasters(json.loads(r4.output))
    assert set(got) == set(want)
    for k in got:
        np.testing.assert_array_equal(got[k], want[k], err_msg=k)
