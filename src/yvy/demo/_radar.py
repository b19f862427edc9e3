"""The radar part of the demo: a clearing under wet-season clouds, seen by Sentinel-1 first.

:func:`radar_scenario` writes two time stacks on one 20 m grid over the demo site (EPSG:32720):

* ``s1_vv.tif``: Sentinel-1 RTC-like VV backscatter in dB, 12-day repeat from two relative
  orbits (an ascending pass and a descending pass 6 days apart, the ascending about 0.8 dB
  brighter: incidence differs), with multiplicative gamma speckle of :data:`ENL` looks (a
  speckle-filtered product) and a weak dry-season drop; forest about -7.5 dB, cleared ground
  about -11 dB;
* ``ndvi.tif``: Sentinel-2-like NDVI every 5 days, with the wet season (December to mid-March)
  clouded over (99.5 % of each scene masked) and a seasonal NDVI cycle in the forest.

One square clearing happens on ``clearing_date`` in the middle of the wet season. Then
:func:`compare` runs ``bayts`` twice on the same pixels, fused (radar + optical) and optical
only, and reports when each first alerts the clearing and how many forest pixels each alerts
outside it.

Imports numpy, rasterio (through :mod:`yvy.testing.scenes`) and yvy's kernels only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from ..i18n import N_

__all__ = ["RadarDemo", "compare", "radar_scenario"]

SIZE = 60
CLEAR = (slice(20, 40), slice(20, 40))
ENL = 50.0
"""Equivalent number of looks of the speckle: an RTC product after multi-temporal speckle
filtering (bayts, like RADD, works on filtered backscatter; raw 20 m RTC has about 4-5 looks)."""


@dataclass(frozen=True)
class RadarDemo:
    """Paths and truth of the radar scenario."""

    s1: Path
    ndvi: Path
    clearing_date: date
    monitor_start: date


def _dates(start: date, end: date, step: int, offset: int = 0) -> list[date]:
    d, out = start + timedelta(days=offset), []
    while d <= end:
        out.append(d)
        d += timedelta(days=step)
    return out


def radar_scenario(out_dir: str | Path, seed: int = 7, clearing_date: date = date(2024, 1, 20),
                   end: date = date(2024, 5, 31)) -> RadarDemo:
    """Write the two stacks under ``out_dir`` (same seed, same files) and return their truth;
    ``end``: the last date (a later one continues the same seasons, for long-monitoring checks)."""
    from ..testing.scenes import write_stack

    rng = np.random.default_rng(seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    start = date(2023, 1, 3)
    asc = _dates(start, end, 12)
    desc = _dates(start, end, 12, offset=6)
    s1_dates = sorted(asc + desc)
    cleared = np.zeros((SIZE, SIZE), bool)
    cleared[CLEAR] = True
    vv = np.empty((len(s1_dates), SIZE, SIZE), np.float32)
    for i, d in enumerate(s1_dates):
        dry = 0.6 * np.cos(2 * np.pi * (d.timetuple().tm_yday - 220) / 365.0)  # weaker in the dry season
        base = np.where(cleared & (d >= clearing_date), -11.0, -7.5 + 0.6 - dry)
        base = base + (0.8 if d in asc else 0.0) + rng.normal(0, 0.2, (SIZE, SIZE))
        speckle = rng.gamma(ENL, 1 / ENL, (SIZE, SIZE))  # multiplicative, gamma distributed
        vv[i] = (base + 10 * np.log10(speckle)).astype(np.float32)
    s2_dates = _dates(start, end, 5)
    ndvi = np.empty((len(s2_dates), SIZE, SIZE), np.float32)
    for i, d in enumerate(s2_dates):
        season = 0.12 * np.cos(2 * np.pi * (d.timetuple().tm_yday - 30) / 365.0)  # green in summer
        v = np.where(cleared & (d >= clearing_date), 0.25, 0.72 + season) + rng.normal(0, 0.03, (SIZE, SIZE))
        wet = d.month in (12, 1, 2) or (d.month == 3 and d.day < 20)
        if wet or rng.random() < 0.35:  # a cloudy scene: (nearly) all of it masked
            v = np.where(rng.random((SIZE, SIZE)) < (0.995 if wet else 0.8), np.nan, v)
        ndvi[i] = v.astype(np.float32)
    origin = (594555.0, 8003065.0)
    s1 = write_stack(out / "s1_vv.tif", [d.isoformat() for d in s1_dates], vv, origin=origin, resolution=20.0,
                     epsg=32720)
    nd = write_stack(out / "ndvi.tif", [d.isoformat() for d in s2_dates], ndvi, origin=origin, resolution=20.0,
                     epsg=32720)
    return RadarDemo(s1, nd, clearing_date, date(2023, 12, 1))


def _read(path: Path):
    import rasterio

    from ..change.timebase import decimal_year

    with rasterio.open(path) as ds:
        return ds.read().astype(np.float64), decimal_year(list(ds.descriptions))


def compare(demo: RadarDemo, params=None, min_pixels: int | None = None, neighbour_days: int | None = None) -> dict:
    """First alert date of the clearing (median over its pixels) and false alerts, fused vs optical only.

    ``params``: :class:`yvy.kernels.bayts.BaytsParams` (its ``chi_weak``: the spatial rule's
    ``--neighbour-chi``), ``min_pixels`` the rule's smallest group, ``neighbour_days`` its time
    window (None: none); default ``yvy detect``'s
    defaults (``yvy.change.fusion.DEFAULT_*``), what a new user runs.
    """
    from ..change.fusion import (
        DEFAULT_BWF,
        DEFAULT_CHI,
        DEFAULT_OPTICAL_PDF,
        DEFAULT_PNF_MIN,
        DEFAULT_SAR_PDF,
        SPATIAL_DEFAULTS,
    )
    from ..change.timebase import DAYS_PER_YEAR, decimal_year
    from ..kernels.bayts import BaytsParams, SensorPdf, bayts, spatial_normalise
    from ..kernels.grow import rule_times

    vv, tv = _read(demo.s1)
    nd, tn = _read(demo.ndvi)
    vv, nd = spatial_normalise(vv, 0.95), spatial_normalise(nd, 0.95)
    if params is None:
        neighbour_chi, default_pixels, default_days = SPATIAL_DEFAULTS["bayts"]  # what `yvy detect` runs
        params = BaytsParams(chi=DEFAULT_CHI, pnf_min=DEFAULT_PNF_MIN, bwf=DEFAULT_BWF, chi_weak=neighbour_chi)
        min_pixels = default_pixels if min_pixels is None else min_pixels
        neighbour_days = default_days if neighbour_days is None else neighbour_days
    start = float(decimal_year([demo.monitor_start.isoformat()])[0])
    opt, sar = SensorPdf(*DEFAULT_OPTICAL_PDF), SensorPdf(*DEFAULT_SAR_PDF)
    runs = {N_("fused"): bayts([nd, vv], [tn, tv], [opt, sar], start, params),
            N_("optical only"): bayts([nd], [tn], [opt], start, params)}
    cleared = np.zeros((SIZE, SIZE), bool)
    cleared[CLEAR] = True
    t_clear = float(decimal_year([demo.clearing_date.isoformat()])[0])
    out = {}
    for name, r in runs.items():
        t = rule_times(r, params.chi, params.chi_weak, min_pixels or 1,
                       None if neighbour_days is None else neighbour_days / DAYS_PER_YEAR)
        hit = np.isfinite(t[cleared])
        med = float(np.median(t[cleared][hit])) if hit.any() else float("nan")
        out[name] = {"detected_share": float(hit.mean()), "median_alert_decimal_year": med,
                     "median_delay_days": (med - t_clear) * 365.0 if hit.any() else float("nan"),
                     "false_alert_pixels": int(np.isfinite(t[~cleared]).sum())}
    return out
