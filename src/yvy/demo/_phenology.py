"""Surface reflectance of the demo landscape on a given day: phenology and spectra.

Every pixel is a linear mixture of six endmembers (green vegetation, dry vegetation/litter,
soil, canopy shade, water, char) whose fractions follow the Chaco's wet/dry cycle: green-up
in October-November with the first rains, peak January-March, browning April-May and a dry
season June-September. Forest varies little (NDVI about 0.55-0.8), pasture a lot, crops go
through sowing (November), peak and harvest (March), sometimes with a second autumn crop.
Cleared forest turns to felled debris (windrows), is often burnt, lies bare and is then sown
to pasture.

Imports only numpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from ._landscape import BARE, CROP, FOREST, PASTURE, RETAINED, WATER, Landscape

__all__ = ["BANDS", "ENDMEMBERS", "Climate", "draw_climate", "surface_reflectance"]

BANDS = ("B02", "B03", "B04", "B08", "B11", "B12")
GV, NPV, SOIL, SHADE, H2O, CHAR = range(6)
ENDMEMBERS = np.array(
    [  # B02    B03    B04    B08    B11    B12
        [0.030, 0.065, 0.035, 0.420, 0.200, 0.090],  # green vegetation
        [0.060, 0.090, 0.130, 0.260, 0.360, 0.250],  # dry vegetation, litter, wood
        [0.085, 0.125, 0.175, 0.245, 0.345, 0.285],  # Chaco loam/sandy soil
        [0.010, 0.015, 0.010, 0.050, 0.030, 0.015],  # canopy shade
        [0.050, 0.075, 0.065, 0.040, 0.020, 0.012],  # turbid tajamar water
        [0.030, 0.035, 0.040, 0.060, 0.085, 0.070],  # char and ash
    ],
    np.float32,
)
"""Surface reflectance of each endmember (rows) in BANDS order (columns)."""

_EPOCH = date(1970, 1, 1).toordinal()


def _logistic(x):
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60, 60)))


@dataclass(frozen=True)
class Climate:
    """Per-season timing and strength of the rains, crop calendars and daily anomalies."""

    green_up: np.ndarray
    """Day (since 1970) of mid green-up for each season (one per hydrological year)."""
    browning: np.ndarray
    """Day of mid browning at the end of each season."""
    amplitude: np.ndarray
    """Strength of each season (droughts are weaker)."""
    sow: np.ndarray
    """(field, season) sowing day of the summer crop."""
    cycle: np.ndarray
    """(field, season) summer crop length in days."""
    second: np.ndarray
    """(field, season) whether an autumn crop follows."""

    def wetness(self, t: float, lag: float = 0.0, up: float = 12.0, down: float = 22.0) -> float:
        """Seasonal greenness driver in [0, ~1] on day ``t`` (days since 1970)."""
        bumps = _logistic((t - self.green_up - lag) / up) - _logistic(
            (t - self.browning - lag) / down
        )
        return float(np.sum(self.amplitude * bumps))


def draw_climate(rng: np.random.Generator, first: date, last: date, n_fields: int) -> Climate:
    """Draw the seasons from one before ``first`` to one after ``last``."""
    years = np.arange(first.year - 2, last.year + 2)
    n = years.size
    green_up = np.array([date(int(y), 10, 28).toordinal() - _EPOCH for y in years], float)
    browning = np.array([date(int(y) + 1, 5, 12).toordinal() - _EPOCH for y in years], float)
    green_up += rng.normal(0, 9, n)
    browning += rng.normal(0, 12, n)
    amplitude = np.clip(rng.normal(0.97, 0.07, n), 0.78, 1.08)
    sow = green_up[None, :] + 14 + rng.normal(0, 4, (n_fields, 1)) + rng.normal(0, 6, (n_fields, n))
    cycle = rng.uniform(105, 128, (n_fields, n))
    second = rng.random((n_fields, n)) < 0.4
    return Climate(green_up, browning, amplitude, sow, cycle, second)


@dataclass(frozen=True)
class _Static:
    """Flat indices and per-pixel constants reused for every date."""

    forest: np.ndarray
    pasture: np.ndarray
    crop: np.ndarray
    water: np.ndarray
    bare: np.ndarray
    cleared: np.ndarray
    windrow: np.ndarray
    burned: np.ndarray


def prepare(land: Landscape) -> _Static:
    """Index the landscape once."""
    cover = land.cover.ravel()
    n = land.size
    rows, cols = np.divmod(np.arange(n * n), n)
    cleared = np.flatnonzero(land.clear_id.ravel() > 0)
    axis = np.array([0] + [c.windrow_axis for c in land.clearings], np.int8)
    along = np.where(axis[land.clear_id.ravel()[cleared]] == 0, rows[cleared], cols[cleared])
    return _Static(
        forest=np.flatnonzero((cover == FOREST) | (cover == RETAINED)),
        pasture=np.flatnonzero(cover == PASTURE),
        crop=np.flatnonzero(cover == CROP),
        water=np.flatnonzero(cover == WATER),
        bare=np.flatnonzero(cover == BARE),
        cleared=cleared,
        windrow=(along % 7 < 2).astype(np.float32),
        burned=np.flatnonzero(land.burned.ravel()) if land.burned is not None else np.zeros(0, np.int64),
    )


def _pasture(s: float, vigour, soil0, patch):
    fv = vigour * (0.10 + 0.72 * s) * (1 + 0.08 * patch)
    soil = soil0 + 0.16 * (1 - s)
    fv = np.clip(fv, 0.02, 0.92)
    soil = np.clip(soil, 0.0, 1 - fv)
    return fv, 1 - fv - soil, soil


def _crop(t: float, clim: Climate, s_grass: float):
    """Green, dry and soil fractions per field on day ``t``."""
    sow, cyc = clim.sow, clim.cycle
    harvest = sow + cyc
    fv = 0.86 * _logistic((t - sow - 35) / 7) * (1 - _logistic((t - harvest) / 5))
    sow2 = harvest + 15
    harvest2 = sow2 + 100
    fv2 = 0.58 * _logistic((t - sow2 - 30) / 7) * (1 - _logistic((t - harvest2) / 5)) * clim.second
    fv = np.max(fv + fv2, axis=1)
    since = np.where(t > harvest, t - harvest, np.inf)
    since2 = np.where(clim.second & (t > harvest2), t - harvest2, np.inf)
    residue = 0.45 * np.exp(-np.min(np.minimum(since, since2), axis=1) / 50)
    weeds = 0.06 * s_grass
    fv = np.clip(fv + weeds * (fv < 0.1), 0, 0.92)
    npv = np.clip(residue, 0, 1 - fv)
    return fv, npv, 1 - fv - npv


def surface_reflectance(
    land: Landscape, static: _Static, clim: Climate, t: int, anomaly: float
) -> np.ndarray:
    """Surface reflectance (6, size, size) float32 on day ``t`` (days since 1970).

    ``anomaly`` shifts greenness for this date (rain events, weather), shared by all pixels.
    """
    n = land.size
    frac = np.zeros((6, n * n), np.float32)
    s_forest = np.clip(clim.wetness(t) + anomaly, 0, 1.1)
    s_grass = np.clip(clim.wetness(t, lag=-6, up=8, down=16) + 1.5 * anomaly, 0, 1.1)
    tex = land.texture.ravel()
    patch = land.patchiness.ravel()

    i = static.forest
    dens = land.density.ravel()[i]
    fv = np.clip(dens * (0.42 + 0.40 * s_forest) * (1 + 0.05 * tex[i]), 0.05, 0.92)
    shade = np.clip(0.10 * dens * (1 - 0.35 * tex[i]), 0.01, 0.2)
    soil = np.clip(0.02 + 0.25 * (1.0 - dens), 0, None)
    frac[GV, i], frac[SHADE, i], frac[SOIL, i] = fv, shade, soil
    frac[NPV, i] = np.clip(1 - fv - shade - soil, 0, None)

    fid = land.field_id.ravel()
    i = static.pasture
    f = fid[i]
    frac[GV, i], frac[NPV, i], frac[SOIL, i] = _pasture(
        s_grass, land.field_vigour[f], land.field_soil[f], patch[i]
    )
    i = static.crop
    if i.size:
        cfv, cnpv, _ = _crop(t, clim, s_grass)
        f = fid[i]
        frac[GV, i] = cfv[f] * (1 + 0.04 * patch[i]) * land.field_vigour[f]
        frac[NPV, i] = cnpv[f]
        frac[SOIL, i] = 1 - frac[GV, i] - frac[NPV, i]

    i = static.water
    level = 0.35 + 0.55 * clim.wetness(t, lag=45, up=20, down=35)
    wet = land.water_depth.ravel()[i] > 1 - level
    frac[H2O, i] = wet
    frac[SOIL, i] = 0.75 * ~wet  # wet mud exposed as the tajamar shrinks
    frac[SHADE, i] = 0.25 * ~wet
    frac[SOIL, static.bare] = 1.0

    _clearings(land, static, clim, t, s_grass, frac)
    _pasture_fire(land, static, t, frac)
    frac[SOIL] *= land.soil_bright.ravel()
    refl = ENDMEMBERS.T @ frac
    return refl.reshape(6, n, n)


def _pasture_fire(land, static, t, frac) -> None:
    """Burnt paddock: a grass fire consumes the standing grass and litter, leaving char and ash over
    bare soil (7:3) for about two weeks; then the ash blows away and the grass resprouts (e-folding
    20 days)."""
    i = static.burned
    if not i.size or t < land.burn_day:
        return
    b = np.float32(np.exp(-max(t - land.burn_day - 15, 0) / 20.0))
    frac[:, i] *= 1 - b
    frac[CHAR, i] += 0.7 * b
    frac[SOIL, i] += 0.3 * b


def _clearings(land, static, clim, t, s_grass, frac) -> None:
    """Overwrite cleared pixels after their clearing date."""
    i = static.cleared
    if not i.size:
        return
    day = land.clear_day.ravel()[i]
    after = t >= day
    if not after.any():
        return
    i, dt, windrow = i[after], (t - day[after]).astype(np.float32), static.windrow[after]
    cid = land.clear_id.ravel()[i]
    burn = np.array([0] + [c.burn_delay for c in land.clearings], np.float32)[cid]
    bare = np.array([0] + [c.bare_days for c in land.clearings], np.float32)[cid]
    burnt = (burn > 0) & (dt >= burn)
    fv = 0.12 * np.exp(-dt / 10)
    npv = np.where(burnt, 0.08, (0.45 + 0.3 * windrow) * np.exp(-dt / 150) + 0.1)
    char = np.where(burnt, 0.85 * np.exp(-(dt - burn) / 45), 0.0)
    npv = np.minimum(npv, 1 - fv - char)
    soil = 1 - fv - npv - char
    ramp = np.clip((dt - bare) / 70, 0, 1)
    pfv, pnpv, psoil = _pasture(s_grass, 0.95, 0.10, land.patchiness.ravel()[i])
    frac[:, i] = 0
    frac[GV, i] = (1 - ramp) * fv + ramp * pfv
    frac[NPV, i] = (1 - ramp) * npv + ramp * pnpv
    frac[SOIL, i] = (1 - ramp) * soil + ramp * psoil
    frac[CHAR, i] = (1 - ramp) * char
