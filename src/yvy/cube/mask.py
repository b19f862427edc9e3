"""Per-sensor pixel masks: which observations are not clear land and must become NaN.

* Sentinel-2 L2A scene classification (``scl``): 0 nodata, 1 saturated/defective, 3 cloud
  shadow, 8 cloud medium probability, 9 cloud high probability, 10 thin cirrus, 11 snow.
* Landsat Collection 2 ``qa_pixel`` bits: 0 fill, 1 dilated cloud, 2 cirrus, 3 cloud,
  4 cloud shadow, 5 snow.

Masks are boolean arrays, True = invalid. Pure numpy; no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

__all__ = [
    "QA_PIXEL_INVALID_BITS",
    "SCL_INVALID",
    "SENSORS",
    "SensorSpec",
    "qa_pixel_invalid",
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


_COMMON_ROLES = {
    "coastal": ("coastal",),
    "blue": ("blue",),
    "green": ("green",),
    "red": ("red",),
    "swir16": ("swir16",),
    "swir22": ("swir22",),
}

SENSORS: dict[str, SensorSpec] = {
    "sentinel-2": SensorSpec(
        "sentinel-2", "scl", "classes", tuple(SCL_INVALID), 1e-4, -0.1, 0, 10.0,
        {**_COMMON_ROLES, "nir": ("nir", "nir08"), "nir08": ("nir08", "nir")},
    ),
    "landsat": SensorSpec(
        "landsat", "qa_pixel", "bits", tuple(QA_PIXEL_INVALID_BITS), 2.75e-5, -0.2, 0, 30.0,
        {**_COMMON_ROLES, "nir": ("nir08", "nir"), "nir08": ("nir08", "nir")},
    ),
}
"""Sensor families the cube knows; keyed by :attr:`SensorSpec.name`."""


def sensor_of(item: Mapping) -> str | None:
    """The :data:`SENSORS` key of a STAC item dict, or None when it is not recognised.

    Looks at the quality asset first (``scl`` / ``qa_pixel``), then at ``platform``.
    """
    assets = item.get("assets", {})
    if "scl" in assets:
        return "sentinel-2"
    if "qa_pixel" in assets:
        return "landsat"
    platform = str(item.get("properties", {}).get("platform", "")).lower()
    if platform.startswith("sentinel-2"):
        return "sentinel-2"
    if platform.startswith("landsat"):
        return "landsat"
    return None
