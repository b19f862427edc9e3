"""The disaster part of the demo: the burnt paddock seen from space, and a flood in radar scenes.

* :func:`firms_hotspots` writes a VIIRS 375 m active-fire CSV in NASA FIRMS's own columns: the
  day and night passes of Suomi NPP and NOAA-20 over the paddock that the demo scenes show burnt
  (``fire_truth.geojson``), on the fire day and the day after, hotspots on a 375 m lattice over
  the burning grass with FIRMS-like brightness, FRP and confidence classes.
* :func:`flood_scenes` writes two Sentinel-1 RTC-like scenes of the demo site (VV and VH in dB,
  10 m, band descriptions ``VV``/``VH``, 4.4-look gamma speckle as in single 20 m RTC products):
  a dry-season reference (only the tajamar and a permanent marsh hold water) and a wet-season
  scene in which low-lying grassland and fields are flooded. Backscatter levels per land cover are
  typical C-band values (forest -7 / -12.5 dB, pasture -10 / -17 dB, open water -21 / -27 dB).

Same seed, same files. Imports numpy, scipy, rasterio and pyproj only.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from ..io import atomic_path
from ._landscape import BARE, CLEARED, CROP, FOREST, PASTURE, RETAINED, WATER

__all__ = ["FloodDemo", "firms_hotspots", "flood_scenes"]

FIRMS_COLUMNS = ("latitude", "longitude", "bright_ti4", "scan", "track", "acq_date", "acq_time", "satellite",
                 "instrument", "confidence", "version", "bright_ti5", "frp", "daynight")
# (satellite, UTC time, day/night): afternoon and night passes over 22 S 60 W
_PASSES = (("N", "0548", "N"), ("1", "0636", "N"), ("N", "1742", "D"), ("1", "1830", "D"))
_LATTICE_M = 375.0
# dB means (VV, VH) per land cover, C band
_BACKSCATTER = {FOREST: (-7.0, -12.5), RETAINED: (-7.0, -12.5), PASTURE: (-10.0, -17.0), CROP: (-9.0, -15.5),
                BARE: (-11.5, -19.5), CLEARED: (-11.0, -18.5), WATER: (-21.0, -27.0)}
_WATER_DB = (-21.0, -27.0)
_LOOKS = 4.4


def firms_hotspots(fire_path: str | Path, out_csv: str | Path, *, seed: int = 11) -> Path:
    """Write the FIRMS VIIRS CSV of the demo's pasture fire; returns its path."""
    from pyproj import Transformer
    from shapely import contains_xy
    from shapely.geometry import shape
    from shapely.ops import transform

    feature = json.loads(Path(fire_path).read_text())["features"][0]
    day = date.fromisoformat(feature["properties"]["date"])
    to_utm = Transformer.from_crs(4326, 32720, always_xy=True)
    to_ll = Transformer.from_crs(32720, 4326, always_xy=True)
    area = transform(to_utm.transform, shape(feature["geometry"]))
    rng = np.random.default_rng(seed)
    rows = []
    for d in (day, day + timedelta(days=1)):
        for sat, hhmm, dn in _PASSES:
            if d == day and dn == "N" or (d > day and dn == "D" and rng.random() < 0.5):
                continue  # the fire starts in the afternoon and is out by the second afternoon
            x, y = _lattice(area.bounds, rng)
            inside = contains_xy(area, x, y)
            if not inside.any():
                x, y, inside = np.array([area.centroid.x]), np.array([area.centroid.y]), np.array([True])
            lon, lat = to_ll.transform(x[inside], y[inside])
            for lo, la in zip(lon, lat, strict=True):
                hot = dn == "D"
                rows.append({"latitude": f"{la:.5f}", "longitude": f"{lo:.5f}",
                             "bright_ti4": f"{rng.uniform(335, 367) if hot else rng.uniform(300, 330):.1f}",
                             "scan": "0.45", "track": "0.39", "acq_date": d.isoformat(), "acq_time": hhmm,
                             "satellite": sat, "instrument": "VIIRS",
                             "confidence": str(rng.choice(["n", "h"], p=[0.6, 0.4]) if hot else "n"),
                             "version": "2.0NRT", "bright_ti5": f"{rng.uniform(288, 300):.1f}",
                             "frp": f"{rng.gamma(2.0, 3.0 if hot else 1.2):.2f}", "daynight": dn})
    out = Path(out_csv)
    with atomic_path(out) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.DictWriter(fh, FIRMS_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return out


def _lattice(bounds, rng):
    """VIIRS pixel centres (375 m lattice, random phase) over ``bounds``."""
    x0, y0, x1, y1 = bounds
    ox, oy = rng.uniform(0, _LATTICE_M, 2)
    xs = np.arange(x0 - _LATTICE_M + ox, x1 + _LATTICE_M, _LATTICE_M)
    ys = np.arange(y0 - _LATTICE_M + oy, y1 + _LATTICE_M, _LATTICE_M)
    gx, gy = np.meshgrid(xs, ys)
    return gx.ravel(), gy.ravel()


@dataclass(frozen=True)
class FloodDemo:
    """Paths and truth of the flood scenes."""

    reference: Path
    """Dry-season scene (VV, VH dB)."""
    flooded: Path
    """Wet-season scene (VV, VH dB)."""
    truth: Path
    """uint8 raster: 1 open water in the flooded scene and not in the reference, 0 otherwise."""
    reference_date: date
    flood_date: date


def flood_scenes(landcover: str | Path, out_dir: str | Path, *, flood_date: date, seed: int = 13) -> FloodDemo:
    """Write the reference and flooded Sentinel-1-like scenes on the grid of ``landcover``."""
    import rasterio
    from scipy import ndimage

    with rasterio.open(landcover) as ds:
        cover, profile = ds.read(1), ds.profile
    rng = np.random.default_rng(seed)
    low = ndimage.gaussian_filter(rng.standard_normal(cover.shape), 30, mode="reflect")
    open_land = np.isin(cover, (PASTURE, CROP, BARE, CLEARED))
    marsh = open_land & (low <= np.quantile(low[open_land], 0.12))  # wet all year (estero)
    flood = open_land & (low <= np.quantile(low[open_land], 0.35)) & ~marsh
    out = Path(out_dir)
    ref_date = flood_date - timedelta(days=180)
    ref = _write_s1(out / f"S1_demo_{ref_date:%Y%m%d}_reference.tif", cover, (cover == WATER) | marsh,
                    profile, rng)
    wet = _write_s1(out / f"S1_demo_{flood_date:%Y%m%d}_flood.tif", cover, (cover == WATER) | marsh | flood,
                    profile, rng)
    truth = out / "flood_truth.tif"
    with atomic_path(truth) as tmp, rasterio.open(tmp, "w", **_gtiff(profile, 1, "uint8")) as ds:
        ds.write(flood.astype(np.uint8), 1)
    return FloodDemo(ref, wet, truth, ref_date, flood_date)


def _gtiff(profile: dict, count: int, dtype: str) -> dict:
    """A deflated, striped GeoTIFF profile on the grid of ``profile`` (the demo's COG profile)."""
    keep = {k: v for k, v in profile.items() if k not in ("blockxsize", "blockysize", "tiled", "compress")}
    return {**keep, "driver": "GTiff", "count": count, "dtype": dtype, "nodata": None, "compress": "deflate"}


def _write_s1(path: Path, cover: np.ndarray, water: np.ndarray, profile: dict, rng) -> Path:
    import rasterio

    bands = []
    for k in range(2):
        mean = np.full(cover.shape, -12.0 if k == 0 else -18.0, np.float32)
        for code, db in _BACKSCATTER.items():
            mean[cover == code] = db[k]
        mean[water] = _WATER_DB[k]
        speckle = rng.gamma(_LOOKS, 1 / _LOOKS, cover.shape)
        bands.append((mean + 10 * np.log10(speckle)).astype(np.float32))
    with atomic_path(path) as tmp, rasterio.open(tmp, "w", **_gtiff(profile, 2, "float32")) as ds:
        ds.write(np.stack(bands))
        ds.descriptions = ("VV", "VH")
    return path
