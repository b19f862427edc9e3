"""Per-sensor pixel masks: which observations are not clear land and must become NaN.

* Sentinel-2 L2A scene classification (``scl``): 0 nodata, 1 saturated/defective, 3 cloud
  shadow, 8 cloud medium probability, 9 cloud high probability, 10 thin cirrus, 11 snow.
* Landsat Collection 2 ``qa_pixel`` bits: 0 fill, 1 dilated cloud, 2 cirrus, 3 cloud,
  4 cloud shadow, 5 snow.

Masks are boolean arrays, True = invalid. :data:`SENSORS` is the one table of these rules: the
cube, the evidence chips and series, and the served tiles and time series all mask through it
(:func:`quality_band`, :func:`clear_mask`). Pure numpy; no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from ..catalog import assets as keys

__all__ = [
    "QA_PIXEL_INVALID_BITS",
    "SCL_INVALID",
    "SENSORS",
    "SensorSpec",
    "clear_mask",
    "qa_pixel_invalid",
    "quality_band",
    "scl_invalid",
    "sensor_of",
]

SCL_INVALID: dict[int, str] = {
    0: "nodata",
    1: "saturated",
    3: "shadow",
    8: "cloud",
    9: "cloud",
    10: "cirrus",
    11: "snow",
}
"""Sentinel-2 SCL classes treated as invalid, with their reason."""

QA_PIXEL_INVALID_BITS: dict[int, str] = {
    0: "fill",
    1: "dilated cloud",
    2: "cirrus",
    3: "cloud",
    4: "shadow",
    5: "snow",
}
"""Landsat C2 QA_PIXEL bit positions treated as invalid, with their reason."""


def scl_invalid(scl: np.ndarray, classes: Iterable[int] = tuple(SCL_INVALID)) -> np.ndarray:
    """True where the Sentinel-2 SCL value is one of ``classes`` (or outside 0..255).

    Examples
    --------
    >>> scl_invalid(np.array([0, 4, 8, 3, 5], dtype=np.uint8))
    array([ True, False,  True,  True, False])
    """
    lut = np.zeros(256, dtype=bool)
    lut[list(classes)] = True
    scl = np.asarray(scl)
    if scl.dtype == np.uint8:  # the SCL band's own type: every value is a table index
        return lut[scl]
    inside = (scl >= 0) & (scl <= 255)
    return np.where(inside, lut[np.clip(scl, 0, 255).astype(np.intp)], True)


def qa_pixel_invalid(qa: np.ndarray, bits: Iterable[int] = tuple(QA_PIXEL_INVALID_BITS)) -> np.ndarray:
    """True where any of the Landsat QA_PIXEL ``bits`` is set.

    Examples
    --------
    >>> qa_pixel_invalid(np.array([21824, 1, 22280, 23888], dtype=np.uint16))
    array([False,  True,  True,  True])
    """
    word = 0
    for b in bits:
        word |= 1 << int(b)
    return (np.asarray(qa).astype(np.uint32) & word) != 0


@dataclass(frozen=True)
class SensorSpec:
    """How to mask and scale one sensor family."""

    name: str
    mask_band: str
    """Asset key of the quality band."""
    mask_kind: str
    """``"classes"`` (value in a set) or ``"bits"`` (any bit set)."""
    invalid: tuple[int, ...]
    default_scale: float
    default_offset: float
    nodata: float | None
    resolution: float
    """Native resolution (m) of the reflectance bands."""
    roles: Mapping[str, tuple[str, ...]]
    """``eo:common_name`` role -> asset keys to try, in order."""

    def invalid_mask(self, quality: np.ndarray) -> np.ndarray:
        """True where the quality band marks the observation invalid."""
        if self.mask_kind == "classes":
            return scl_invalid(quality, self.invalid)
        return qa_pixel_invalid(quality, self.invalid)


_COMMON_ROLES = {k: (k,) for k in (keys.COASTAL, keys.BLUE, keys.GREEN, keys.RED, keys.SWIR16, keys.SWIR22)}

SENSORS: dict[str, SensorSpec] = {
    "sentinel-2": SensorSpec(
        "sentinel-2", keys.SCL, "classes", tuple(SCL_INVALID), 1e-4, -0.1, 0, 10.0,
        {**_COMMON_ROLES, keys.NIR: (keys.NIR, keys.NIR08), keys.NIR08: (keys.NIR08, keys.NIR)},
    ),
    "landsat": SensorSpec(
        "landsat", keys.QA_PIXEL, "bits", tuple(QA_PIXEL_INVALID_BITS), 2.75e-5, -0.2, 0, 30.0,
        {**_COMMON_ROLES, keys.NIR: (keys.NIR08, keys.NIR), keys.NIR08: (keys.NIR08, keys.NIR)},
    ),
}
"""Sensor families the cube knows; keyed by :attr:`SensorSpec.name`."""


def sensor_of(item: Mapping) -> str | None:
    """The :data:`SENSORS` key of a STAC item dict, or None when it is not recognised.

    Looks at the quality asset first (``scl`` / ``qa_pixel``), then at ``platform``.
    """
    assets = item.get("assets", {})
    if keys.asset_for(assets, keys.SCL):
        return "sentinel-2"
    if keys.asset_for(assets, keys.QA_PIXEL):
        return "landsat"
    platform = str(item.get("properties", {}).get("platform", "")).lower()
    if platform.startswith("sentinel-2"):
        return "sentinel-2"
    if platform.startswith("landsat"):
        return "landsat"
    return None


def quality_band(item: Mapping) -> tuple[SensorSpec, str] | None:
    """``(sensor, asset key)`` of the item's quality band (SCL / QA_PIXEL), or None without one."""
    sensor = sensor_of(item)
    if sensor is None:
        return None
    spec = SENSORS[sensor]
    key = keys.asset_for(item.get("assets", {}), spec.mask_band)
    return None if key is None else (spec, key)


def clear_mask(spec: SensorSpec, quality: np.ndarray) -> np.ndarray:
    """True where the quality band says the observation is clear land.

    ``quality`` may be a float array (NaN = unread) or a masked array (masked = unread); an
    unread quality pixel is not clear.

    Examples
    --------
    >>> clear_mask(SENSORS["sentinel-2"], np.array([4.0, 8.0, np.nan, 11.0]))
    array([ True, False, False, False])
    """
    q = np.ma.filled(np.ma.asarray(quality, dtype=np.float64), np.nan)
    known = np.isfinite(q)
    return known & ~spec.invalid_mask(np.where(known, q, 0).astype(np.int64))
