"""Chunks are the unit of progress: a run killed after k chunks resumes and equals a clean run."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio

from yvy.change.detect import DetectRequest, run_detection
from yvy.config import Workspace
from yvy.storage import open_store

from ..conftest import raw_sql


class Killed(Exception):
    pass


def _request(stack, **kw):
    return DetectRequest(history_start="2016-01-01", monitor_start="2019-01-01", stack=str(stack),
                         chunk=16, **kw)


def _read_assets(item):
    return {k: rasterio.open(a["href"]).read() for k, a in item["assets"].items()}


def test_resume_after_kill_equals_uninterrupted(ws_store, small_stack, tmp_path):
    ws, store = ws_store
    calls = []

    def die_after_3(done, total):
        calls.append((done, total))
        if done == 3:
            raise Killed

    with pytest.raises(Killed):
        run_detection(store, ws, _request(small_stack), progress=die_after_3)
    assert calls == [(0, 9), (1, 9), (2, 9), (3, 9)]
    (job_id,), = raw_sql(store, "SELECT id FROM jobs")
    job = store.get_job(job_id)
    assert job.state == "running" and job.progress["done"] == [0, 1, 2]
    scratch = next((ws.assets / "detections").iterdir()) / ".scratch"
    assert len(list(scratch.glob("chunk_*.npz"))) == 3
    assert store.count_items() == 0  # nothing published

    seen = []
    item = run_detection(store, ws, _request(small_stack, resume=True),
                         progress=lambda d, n: seen.append(d))
    assert seen == [3, 4, 5, 6, 7, 8, 9]  # only the 6 missing chunks were computed
    assert store.get_job(job_id).state == "done"
    assert not scratch.exists()

    ws2 = Workspace.create(tmp_path / "clean")
    clean = run_detection(open_store(ws2.database_url, create=True), ws2, _request(small_stack))
    assert clean["id"] == item["id"]
    a, b = _read_assets(item), _read_assets(clean)
    assert set(a) == set(b)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    assert item["properties"]["yvy:summary"]["breaks"] > 50


def test_without_resume_starts_again(ws_store, small_stack):
    ws, store = ws_store
    with pytest.raises(Killed):
        run_detection(store, ws, _request(small_stack),
                      progress=lambda d, n: (_ for _ in ()).throw(Killed) if d == 2 else None)
    seen = []
    run_detection(store, ws, _request(small_stack), progress=lambda d, n: seen.append(d))
    assert seen[0] == 0 and seen[-1] == 9
