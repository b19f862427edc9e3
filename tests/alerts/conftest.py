"""Builders for the alert tests: detection layers known by construction, stores, context files."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from affine import Affine
from pyproj import Transformer

from yvy.alerts import DetectionLayers

CHACO = (-60.6, -22.3)  # Boquerón, Western Region
ORIENTAL = (-55.6, -25.6)  # Caazapá area, Eastern Region


@dataclass
class Patch:
    rows: slice
    cols: slice
    day: float = 19000.0
    magnitude: float = -0.3
    confirm: float = 3
    prev: float | None = None


def grid_at(lonlat, size=30.0, crs="EPSG:32721"):
    """Affine transform of a 30 m grid whose top-left corner is at lonlat (snapped to 30 m)."""
    x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(*lonlat)
    return Affine(size, 0, round(x / size) * size, 0, -size, round(y / size) * size)


def make_layers(patches, shape=(60, 60), lonlat=CHACO, crs="EPSG:32721", product_id="det-1",
                observed_until=19300.0) -> DetectionLayers:
    bd = np.full(shape, np.nan)
    mag = np.full(shape, np.nan)
    conf = np.full(shape, -1.0)
    prev = np.full(shape, np.nan)
    mag[:] = 0.01
    for p in patches:
        bd[p.rows, p.cols] = p.day
        mag[p.rows, p.cols] = p.magnitude
        conf[p.rows, p.cols] = p.confirm
        prev[p.rows, p.cols] = p.day - 16 if p.prev is None else p.prev
    return DetectionLayers(crs, grid_at(lonlat, crs=crs), bd, mag, conf, prev, product_id, observed_until)


@pytest.fixture
def astore(tmp_path, store_url):
    """A fresh SQLAlertStore in a temporary workspace database."""
    from yvy.storage import open_store
    from yvy.storage.alerts import SQLAlertStore

    s = open_store(store_url(tmp_path / "yvy.db"), create=True)
    yield SQLAlertStore(s)
    s.close()
