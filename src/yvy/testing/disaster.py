"""Synthetic disaster inputs whose truth is known by construction: Sentinel-1 flood scenes with
speckle, and FIRMS-like hotspot tables.

Imports numpy and rasterio only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["firms_rows", "s1_flood_scene", "water_shapes", "write_firms_csv"]


def water_shapes(shape: tuple[int, int], fraction: float, seed: int = 0) -> np.ndarray:
    """A boolean water mask: a meandering river plus round lakes, about ``fraction`` of the area."""
    ny, nx = shape
    yy, xx = np.mgrid[0:ny, 0:nx]
    rng = np.random.default_rng(seed)
    centre = nx / 2 + nx / 6 * np.sin(yy / ny * 3 * np.pi)
    half = max(fraction * nx / 4, 1.0)
    mask = np.abs(xx - centre) < half
    while mask.mean() < fraction:
        cy, cx, r = rng.uniform(0, ny), rng.uniform(0, nx), rng.uniform(5, max(ny, nx) / 12)
        mask |= (yy - cy) ** 2 + (xx - cx) ** 2 < r * r
    return mask


def s1_flood_scene(path: str | Path, water: np.ndarray, *, water_db: float = -23.0, land_db: float = -14.0,
                   looks: float = 4.4, seed: int = 0, crs: str = "EPSG:32721", res: float = 10.0) -> Path:
    """Write a 2-band (VV, VH dB) Sentinel-1-like GeoTIFF with gamma speckle of ``looks`` looks.

    Water pixels have mean VH ``water_db``, others ``land_db`` (VV 6 dB brighter); an all-False
    ``water`` gives a scene without water contrast.
    """
    import rasterio
    from rasterio.transform import from_origin

    rng = np.random.default_rng(seed)
    mean_vh = np.where(water, water_db, land_db)
    bands = []
    for offset in (6.0, 0.0):
        lin = 10 ** ((mean_vh + offset) / 10) * rng.gamma(looks, 1 / looks, water.shape)
        bands.append((10 * np.log10(lin)).astype(np.float32))
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    profile = {"driver": "GTiff", "width": water.shape[1], "height": water.shape[0], "count": 2,
               "dtype": "float32", "crs": crs, "transform": from_origin(500000, 7400000, res, res),
               "nodata": float("nan"), "tiled": True, "blockxsize": 256, "blockysize": 256}
    with rasterio.open(p, "w", **profile) as ds:
        ds.write(np.stack(bands))
        ds.descriptions = ("VV", "VH")
    return p


def firms_rows(n: int, *, fires: int = 50, seed: int = 0, sensor: str = "VIIRS",
               bbox=(-62.0, -23.0, -57.0, -19.5), start: str = "2020-10-02", days: int = 2) -> list[dict]:
    """``n`` FIRMS-like rows around ``fires`` ignition points (about 1 km spread, over ``days``).

    Returns dict rows with the FIRMS column names of ``sensor`` (``VIIRS`` or ``MODIS``) and a
    ``truth`` key: the index of the fire each row belongs to.
    """
    from datetime import date, timedelta

    rng = np.random.default_rng(seed)
    lon0 = rng.uniform(bbox[0], bbox[2], fires)
    lat0 = rng.uniform(bbox[1], bbox[3], fires)
    which = rng.integers(0, fires, n)
    d0 = date.fromisoformat(start)
    rows = []
    for k in which:
        day = d0 + timedelta(days=int(rng.integers(0, days)))
        hhmm = int(rng.integers(0, 24)) * 100 + int(rng.integers(0, 60))
        row = {"latitude": round(float(lat0[k] + rng.normal(0, 0.006)), 5),
               "longitude": round(float(lon0[k] + rng.normal(0, 0.006)), 5),
               "scan": 0.4, "track": 0.4, "acq_date": day.isoformat(), "acq_time": f"{hhmm:04d}",
               "frp": round(float(rng.gamma(2.0, 5.0)), 1), "daynight": "D" if 1000 <= hhmm < 2200 else "N",
               "truth": int(k)}
        if sensor == "VIIRS":
            row.update(bright_ti4=330.0, bright_ti5=295.0, satellite="N", instrument="VIIRS",
                       confidence=str(rng.choice(["l", "n", "h"])), version="2.0NRT")
        else:
            row.update(brightness=320.0, bright_t31=295.0, satellite=str(rng.choice(["T", "A"])),
                       confidence=int(rng.integers(0, 101)), version="6.1NRT")
        rows.append(row)
    return rows


def write_firms_csv(path: str | Path, rows: list[dict]) -> Path:
    """Write :func:`firms_rows` rows as a FIRMS CSV (the ``truth`` key left out)."""
    import csv

    p = Path(path)
    with open(p, "w", newline="") as fh:
        w = csv.DictWriter(fh, [c for c in rows[0] if c != "truth"], extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return p
