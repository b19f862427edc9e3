"""Clouds, cirrus, cloud shadows and swath-edge nodata for one demo scene.

Cloud fields are fractal (power-law spectrum) noise drawn at 20 m, the resolution of the
real Sentinel-2 scene classification (SCL), on a domain padded around the scene so clouds
just outside it still cast shadows into it. Shadows are the cloud field displaced away from
the sun by ``height * tan(zenith)``. The Chaco's wet season (November-March) is cloudier
than the dry winter.

Imports only numpy and scipy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

__all__ = ["CLOUD_SPECTRUM", "SCL", "Sky", "apply_sky", "draw_sky"]


class SCL:
    """Sentinel-2 L2A scene classification codes used by the demo."""

    NODATA, SHADOW, VEGETATION, NOT_VEGETATED, WATER = 0, 3, 4, 5, 6
    CLOUD_MEDIUM, CLOUD_HIGH, CIRRUS = 8, 9, 10
    CLOUDY = (8, 9, 10)


# Month 1..12: chance a scene is cloud-free; mean cover of the others; chance of cirrus.
_P_CLEAR = np.array([0.22, 0.25, 0.30, 0.42, 0.50, 0.58, 0.68, 0.72, 0.62, 0.40, 0.32, 0.25])
_MEAN_COVER = np.array([0.45, 0.42, 0.38, 0.30, 0.26, 0.22, 0.16, 0.14, 0.18, 0.30, 0.36, 0.44])
_P_CIRRUS = np.array([0.30, 0.28, 0.25, 0.18, 0.12, 0.10, 0.08, 0.08, 0.12, 0.22, 0.28, 0.30])

CLOUD_SPECTRUM = np.array([0.46, 0.45, 0.45, 0.47, 0.34, 0.22], np.float32)
"""Thick cloud-top reflectance in B02 B03 B04 B08 B11 B12."""
_CIRRUS_SPECTRUM = np.array([0.11, 0.10, 0.10, 0.10, 0.07, 0.05], np.float32)
_SHADOW_DEPTH = np.array([0.50, 0.58, 0.62, 0.66, 0.66, 0.66], np.float32)
_HAZE_SPECTRUM = np.array([1.0, 0.75, 0.55, 0.30, 0.08, 0.03], np.float32)
_PAD = 150  # 20 m pixels: 3 km, more than the longest shadow offset
_MAX_GRID = 512


@dataclass(frozen=True)
class Sky:
    """Atmosphere over one scene on the 10 m grid (all arrays ``size`` x ``size``)."""

    cloud: np.ndarray
    """float32 cloud opacity, 0 (none) to 1 (opaque)."""
    cirrus: np.ndarray
    """float32 thin cirrus strength (0 to about 1)."""
    shadow: np.ndarray
    """float32 cloud shadow strength, 0 to 1."""
    code: np.ndarray
    """uint8 SCL code where the sky decides it (3, 8, 9, 10), else 0; blocky at 20 m."""
    nodata: np.ndarray
    """bool, outside the swath (all bands 0, SCL 0)."""
    brightness: float
    """Cloud-top brightness factor of this scene."""
    haze: float
    """Unflagged aerosol haze added to the blue end of the spectrum."""


def _fractal(rng: np.random.Generator, n: int, beta: float) -> np.ndarray:
    """Zero-mean unit-variance noise with a 1/f**beta power spectrum on an n x n grid."""
    spec = np.fft.rfft2(rng.standard_normal((n, n)))
    fy = np.fft.fftfreq(n)[:, None]
    fx = np.fft.rfftfreq(n)[None, :]
    f = np.hypot(fx, fy)
    f[0, 0] = 1.0
    spec *= f ** (-beta / 2)
    spec[0, 0] = 0
    field = np.fft.irfft2(spec, s=(n, n))
    return (field / (field.std() + 1e-12)).astype(np.float32)


def _field(rng: np.random.Generator, m: int, beta: float) -> np.ndarray:
    """Fractal field on an m x m grid of 20 m, drawn coarser when m is large."""
    q = max(1, math.ceil(m / _MAX_GRID))
    base = _fractal(rng, math.ceil(m / q), beta)
    if q > 1:
        base = ndimage.zoom(base, q, order=1)
    return base[:m, :m]


def _up(a20: np.ndarray, size: int) -> np.ndarray:
    """20 m grid to the 10 m grid by pixel replication (what resampled SCL looks like)."""
    return np.repeat(np.repeat(a20, 2, axis=0), 2, axis=1)[:size, :size]


def _cover(rng: np.random.Generator, month: int) -> float:
    if rng.random() < _P_CLEAR[month - 1]:
        return 0.0
    mean = _MEAN_COVER[month - 1]
    if rng.random() < 0.08:  # overcast
        return float(rng.uniform(0.9, 1.0))
    return float(np.clip(rng.beta(1.3, 1.3 * (1 - mean) / mean), 0.01, 0.97))


def draw_sky(
    rng: np.random.Generator, size: int, month: int, sun_azimuth: float, sun_elevation: float
) -> Sky:
    """Draw the clouds, cirrus, shadows and nodata of one scene."""
    half = math.ceil(size / 2)
    m = half + 2 * _PAD
    inner = (slice(_PAD, _PAD + half), slice(_PAD, _PAD + half))
    cover = _cover(rng, month)
    alpha = np.zeros((m, m), np.float32)
    if cover > 0:
        beta = rng.uniform(2.6, 3.2) if rng.random() < 0.75 else rng.uniform(3.4, 4.0)
        v = _field(rng, m, beta)
        thr = np.quantile(v[inner], 1 - cover)
        soft = rng.uniform(0.5, 1.0)
        alpha = np.clip((v - thr) / soft, 0, 1) ** 0.6
    cirrus = np.zeros((m, m), np.float32)
    if rng.random() < _P_CIRRUS[month - 1]:
        c = _field(rng, m, 4.0)
        thr = np.quantile(c[inner], 1 - rng.uniform(0.2, 0.8))
        cirrus = np.clip((c - thr) / 1.2, 0, 1).astype(np.float32) * rng.uniform(0.3, 1.0)
    height = rng.uniform(700, 2000)
    offset = height * math.tan(math.radians(90 - sun_elevation)) / 20.0
    az = math.radians(sun_azimuth)
    dr, dc = round(offset * math.cos(az)), round(-offset * math.sin(az))
    shadow = np.zeros_like(alpha)
    src = alpha[max(0, -dr) : m - max(0, dr), max(0, -dc) : m - max(0, dc)]
    shadow[max(0, dr) : max(0, dr) + src.shape[0], max(0, dc) : max(0, dc) + src.shape[1]] = src
    shadow = np.clip(1.3 * shadow, 0, 1) * 0.9

    a20, s20, c20 = alpha[inner], shadow[inner], cirrus[inner]
    code = np.zeros(a20.shape, np.uint8)
    code[c20 > 0.05] = SCL.CIRRUS
    code[(s20 > 0.2) & (a20 <= 0.05)] = SCL.SHADOW
    code[a20 > 0.05] = SCL.CLOUD_MEDIUM
    code[a20 > 0.55] = SCL.CLOUD_HIGH

    cloud10 = ndimage.gaussian_filter(_up(a20, size), 0.6)
    nodata = np.zeros((size, size), bool)
    if rng.random() < 0.03:  # the scene lies at the edge of the satellite's swath
        yy, xx = np.mgrid[0:size, 0:size]
        tilt = math.tan(math.radians(rng.uniform(-12, 12)))
        edge = xx - tilt * (yy - size / 2)
        cut = rng.uniform(0.1, 0.4) * size
        nodata = edge < cut if rng.random() < 0.5 else edge > size - cut
    return Sky(
        cloud=cloud10.astype(np.float32),
        cirrus=_up(c20, size).astype(np.float32),
        shadow=ndimage.gaussian_filter(_up(s20, size), 0.6).astype(np.float32),
        code=_up(code, size),
        nodata=nodata,
        brightness=float(rng.uniform(0.85, 1.12)),
        haze=float(rng.exponential(0.006)),
    )


def apply_sky(surface: np.ndarray, sky: Sky) -> np.ndarray:
    """Top-of-canopy reflectance (6, n, n) as the satellite sees it through ``sky``."""
    out = surface + _HAZE_SPECTRUM[:, None, None] * sky.haze
    if sky.shadow.any():
        out *= 1 - _SHADOW_DEPTH[:, None, None] * sky.shadow[None]
    if sky.cirrus.any():
        out += _CIRRUS_SPECTRUM[:, None, None] * sky.cirrus[None]
    if not sky.cloud.any():
        return out
    top = CLOUD_SPECTRUM[:, None, None] * (sky.brightness * (0.88 + 0.12 * sky.cloud[None]))
    return out * (1 - sky.cloud[None]) + top * sky.cloud[None]
