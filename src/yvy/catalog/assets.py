"""Asset keys of the products yvy reads and writes: the one place their names are spelled.

Canonical keys follow Earth Search v1 (``blue green red nir nir08 swir16 swir22 scl`` for
Sentinel-2, ``... qa_pixel`` for Landsat), so items from a public STAC API and local products
look alike. :data:`KEY_ALIASES` lists the keys other providers use for the same band, for
readers of items yvy did not write.

Imports nothing (a leaf of the domain).
"""

from __future__ import annotations

__all__ = [
    "AOT", "BLUE", "COASTAL", "GREEN", "KEY_ALIASES", "NIR", "NIR08", "QA_AEROSOL", "QA_PIXEL",
    "QUALITY_ASSETS", "RED", "SCL", "SWIR16", "SWIR22", "VISUAL", "WVP", "asset_for",
]

COASTAL = "coastal"
BLUE = "blue"
GREEN = "green"
RED = "red"
NIR = "nir"
"""Broad near infrared (Sentinel-2 B08)."""
NIR08 = "nir08"
"""Narrow near infrared (Sentinel-2 B8A, Landsat OLI band 5, TM/ETM+ band 4)."""
SWIR16 = "swir16"
SWIR22 = "swir22"
SCL = "scl"
"""Sentinel-2 L2A scene classification."""
QA_PIXEL = "qa_pixel"
"""Landsat Collection 2 pixel quality bits."""
QA_AEROSOL = "qa_aerosol"
AOT = "aot"
WVP = "wvp"
VISUAL = "visual"
"""A true-colour 8-bit rendering (Sentinel-2 TCI)."""

QUALITY_ASSETS = (SCL, QA_PIXEL)
"""Assets that say which pixels are clear (see :mod:`yvy.cube.mask`)."""

KEY_ALIASES: dict[str, tuple[str, ...]] = {
    BLUE: (BLUE, "B02", "B2", "SR_B2"),
    GREEN: (GREEN, "B03", "B3", "SR_B3"),
    RED: (RED, "B04", "B4", "SR_B4"),
    NIR: (NIR, NIR08, "B08", "B8", "B8A", "SR_B5"),
    SWIR16: (SWIR16, "swir1", "B11", "SR_B6"),
    SWIR22: (SWIR22, "swir2", "B12", "SR_B7"),
    SCL: (SCL, "SCL"),
    QA_PIXEL: (QA_PIXEL, "QA_PIXEL", "qa"),
}
"""Canonical key -> keys that may hold the same band in items from other providers, in order."""


def asset_for(assets: dict, key: str) -> str | None:
    """The first key of ``assets`` holding the canonical asset ``key`` (aliases included)."""
    for k in KEY_ALIASES.get(key, (key,)):
        if k in assets:
            return k
    return None
