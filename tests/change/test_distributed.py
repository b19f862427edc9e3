"""Chunks on a real Dask LocalCluster: identical results to the single-process run, and a worker
killed mid-run loses and duplicates nothing."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner

from yvy.change.detect import DetectRequest, run_detection
from yvy.cli.main import cli
from yvy.cluster import chunk_executor
from yvy.config import Workspace
from yvy.storage import open_store

SLOVENIA = "rasters/eolearn_s2_l1c_ndvi_slovenia_2015_2017.tif"
SLOVENIA_CLM = "rasters/eolearn_s2_cloudmask_slovenia_2015_2017.tif"


def _rasters(item: dict) -> dict[str, np.ndarray]:
    out = {}
    for key, asset in item["assets"].items():
        with rasterio.open(asset["href"]) as ds:
            out[key] = ds.read()
    return out


def _assert_bitwise_equal(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert a[key].dtype == b[key].dtype, key
        assert a[key].tobytes() == b[key].tobytes(), f"{key} differs"


def _alerts(home) -> list[dict]:
    import json

    r = CliRunner().invoke(cli, ["--home", str(home), "alerts", "list", "--json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert rows, "the run made alerts to compare"
    keep = ("id", "area_ha", "first_detected", "last_clear", "confidence", "confirm_count", "magnitude")
    return sorted(({k: row.get(k) for k in keep} for row in rows), key=lambda d: d["id"])


def _detect_cli(home, data_file, *extra):
    run = CliRunner().invoke
    assert run(cli, ["--home", str(home), "init"]).exit_code == 0
    r = run(cli, ["--home", str(home), "detect", "--stack", str(data_file(SLOVENIA)), "--stack-mask",
                  str(data_file(SLOVENIA_CLM)), "--history-start", "2015-01-01", "--monitor-start",
                  "2017-01-01", "--chunk", "32", "--json", "--no-forest-filter", *extra])
    assert r.exit_code == 0, r.output
    import json

    return json.loads(r.output[r.output.index("{"):])


@pytest.mark.slow
def test_local_cluster_equals_single_process(tmp_path, data_file):
    serial = _detect_cli(tmp_path / "a", data_file)
    dist = _detect_cli(tmp_path / "b", data_file, "--workers", "2")
    assert serial["id"] == dist["id"]
    _assert_bitwise_equal(_rasters(serial), _rasters(dist))
    assert _alerts(tmp_path / "a") == _alerts(tmp_path / "b")


@pytest.mark.slow
def test_worker_killed_mid_run_loses_and_duplicates_nothing(tmp_path, data_file):
    from distributed import Client, LocalCluster

    req = DetectRequest(history_start="2015-01-01", monitor_start="2017-01-01", stack=str(data_file(SLOVENIA)),
                        stack_mask=str(data_file(SLOVENIA_CLM)), chunk=16)
    ws0 = Workspace.create(tmp_path / "serial")
    serial = run_detection(open_store(ws0.database_url, create=True), ws0, req)

    ws = Workspace.create(tmp_path / "dist")
    store = open_store(ws.database_url, create=True)
    seen: list[int] = []
    killed: list[int] = []
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=40) as cluster, Client(cluster) as client:
        pids = client.run(os.getpid)
        victim = sorted(pids.values())[0]

        def progress(done, total):
            seen.append(done)
            if done == 3 and not killed:  # a few chunks in: kill one worker process outright
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)

        with chunk_executor(client=client) as runner:
            dist = run_detection(store, ws, req, progress=progress, runner=runner)
        assert killed, "the worker was killed during the run"
    # progress rose by one per chunk result written: each chunk recorded exactly once, none lost
    n_chunks = len(seen) - 1
    assert n_chunks > 3 and seen == list(range(n_chunks + 1))
    assert store.get_job(f"detect:{dist['id']}").state == "done"
    _assert_bitwise_equal(_rasters(serial), _rasters(dist))
