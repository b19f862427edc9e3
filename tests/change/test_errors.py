"""Bad arguments are one-line errors raised before any work starts: nothing is written."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from yvy.cli.main import cli
from yvy.config import Workspace
from yvy.storage import open_store

from ..conftest import raw_sql
from .conftest import add_items


@pytest.fixture
def home(tmp_path, s2_items):
    ws = Workspace.create(tmp_path / "ws")
    add_items(open_store(ws.database_url, create=True), s2_items)
    return ws


def _bbox(items):
    return ",".join(str(v) for v in items[0]["bbox"])


CASES = {
    "monitor before history": (["--history-start", "2019-01-01", "--monitor-start", "2018-06-01"],
                               "--monitor-start: 2018-06-01 is not after the history start 2019-01-01"),
    "impossible date": (["--history-start", "2018-01-01", "--monitor-start", "2019-02-30"],
                        "--monitor-start: '2019-02-30' is not a valid ISO date"),
    "monitor after the data": (["--history-start", "2018-01-01", "--monitor-start", "2030-01-01"],
                               "--monitor-start: no data on or after 2030-01-01 (last date 2020-05-22)"),
    "too few dates": (["--history-start", "2019-06-01", "--monitor-start", "2019-10-01"],
                      ("--history-start: only 4 dates before the monitoring start 2019-10-01; the model "
                       "needs at least 9")),
    "index bands missing": (["--history-start", "2018-01-01", "--monitor-start", "2019-06-01", "--index", "nbr"],
                            "--index: nbr needs bands nir, swir22; the scenes lack swir22"),
    "unknown index": (["--history-start", "2018-01-01", "--monitor-start", "2019-06-01", "--index", "foo"],
                      "--index: unknown index 'foo'; choose one of evi, nbr"),
    "bad bandwidth": (["--history-start", "2018-01-01", "--monitor-start", "2019-06-01", "--h", "0.3"],
                      "--h: must be one of"),
    "resolution that would plan forever": (["--history-start", "2018-01-01", "--monitor-start", "2019-06-01",
                                            "--resolution", "0.001"],
                                           "--resolution: 0.001 gives"),
    "forest mask that is not a layer": (["--history-start", "2018-01-01", "--monitor-start", "2019-06-01",
                                         "--forest-mask", "__NOT_A_LAYER__"],
                                        "forest mask is neither a readable raster nor a vector layer"),
    "AOI outside the data": (["--history-start", "2018-01-01", "--monitor-start", "2019-06-01",
                              "--bbox", "10,10,11,11"],
                             "AOI: no scenes intersect the area of interest from 2018-01-01"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_one_line_error_and_nothing_written(home, s2_items, tmp_path, case):
    args, message = CASES[case]
    if "__NOT_A_LAYER__" in args:
        bad = tmp_path / "mask.tif"
        bad.write_text("not a raster")
        args = [str(bad) if a == "__NOT_A_LAYER__" else a for a in args]
    if "--bbox" not in args:
        args = [*args, "--bbox", _bbox(s2_items)]
    out_dir = tmp_path / "out"
    r = CliRunner().invoke(cli, ["--lang", "en", "--home", str(home.home), "detect", *args, "--out", str(out_dir)])
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert r.exit_code == 1, r.output
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], lines
    store = open_store(home.database_url)
    assert raw_sql(store, "SELECT COUNT(*) FROM jobs")[0][0] == 0
    assert store.count_items() == len(s2_items)  # no product registered
    assert list(home.assets.iterdir()) == [] and not out_dir.exists()


def test_stack_errors(tmp_path, small_stack):
    ws = Workspace.create(tmp_path / "ws")
    open_store(ws.database_url, create=True)
    r = CliRunner().invoke(cli, ["--lang", "en", "--home", str(ws.home), "detect", "--stack", str(small_stack),
                                 "--history-start", "2016-01-01", "--monitor-start", "2019-01-01",
                                 "--bbox", "10,10,11,11"])
    assert r.exit_code == 1 and r.output.strip().count("\n") == 0
    assert "does not overlap" in r.output
    assert list(ws.assets.iterdir()) == []
