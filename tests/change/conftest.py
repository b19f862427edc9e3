"""Fixtures for the change-detection tests: workspaces, synthetic scenes and stacks."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from yvy.config import Workspace
from yvy.storage import open_store
from yvy.testing.scenes import s2_collection, s2_series, write_stack


@pytest.fixture
def ws_store(tmp_path):
    """A fresh workspace and its store."""
    ws = Workspace.create(tmp_path / "ws")
    return ws, open_store(ws.database_url, create=True)


@pytest.fixture(scope="session")
def s2_items(tmp_path_factory):
    """30 synthetic S2 scenes (2018-01-03, every 30 days; upper-left quarter cleared from 2020-03)."""
    return s2_series(tmp_path_factory.mktemp("s2series"), 30)


def add_items(store, items):
    store.upsert_collection(s2_collection())
    for it in items:
        store.upsert_item(it)


def stack_values(n_dates: int, shape=(40, 40), seed=1):
    """(dates, float32 NDVI stack) with a seasonal signal, gaps and a drop in one corner."""
    rng = np.random.default_rng(seed)
    d0 = date(2016, 1, 5)
    dates = [(d0 + timedelta(days=int(11 * k + rng.integers(0, 3)))).isoformat() for k in range(n_dates)]
    t = np.array([date.fromisoformat(d).year + (date.fromisoformat(d).timetuple().tm_yday - 1) / 365
                  for d in dates])
    y = 0.6 + 0.15 * np.sin(2 * np.pi * t)[:, None, None] + rng.normal(0, 0.03, (n_dates, *shape))
    y[t >= 2019.3, : shape[0] // 3, : shape[1] // 3] -= 0.3
    y[rng.random(y.shape) < 0.2] = np.nan
    return dates, y.astype(np.float32)


@pytest.fixture(scope="session")
def small_stack(tmp_path_factory):
    """A 40 x 40 synthetic NDVI stack, 130 dates 2016-01 .. 2019-12 (NaN = missing)."""
    dates, y = stack_values(130)
    return write_stack(tmp_path_factory.mktemp("stack") / "ndvi.tif", dates, y)
