"""Bounding boxes in WGS84 lon/lat: the one parser and validator (CLI, API, domain).

:func:`parse_bbox` takes ``"minx,miny,maxx,maxy"`` text (commas or spaces; a 6-value 3D box
loses its heights) or a sequence of four numbers and returns a 4-tuple of floats. Each rule
broken is one :class:`~yvy.errors.InputError` line naming the argument: not four numbers,
NaN or infinite values, longitudes outside -180..180 or latitudes outside -90..90, a minimum
above its maximum.

A leaf: imports only :mod:`yvy.errors`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .errors import InputError

__all__ = ["BBox", "parse_bbox"]

BBox = tuple[float, float, float, float]
"""``(minx, miny, maxx, maxy)`` in WGS84 degrees."""

FORM = "minx,miny,maxx,maxy (lon/lat)"


def _numbers(value: str | Sequence[float], name: str) -> list[float]:
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    try:
        parts = [float(v) for v in items]
    except (TypeError, ValueError):
        parts = []
    if len(parts) == 6:
        parts = [parts[0], parts[1], parts[3], parts[4]]
    if len(parts) != 4:
        raise InputError(name, f"{_show(value)} is not a valid bounding box; use {FORM}")
    return parts


def _show(value) -> str:
    return repr(value) if isinstance(value, str) else repr(list(value))


def parse_bbox(value: str | Sequence[float] | None, name: str = "bbox") -> BBox | None:
    """The validated box, or None for None / empty text.

    Examples
    --------
    >>> parse_bbox("-60.5,-22.5,-60,-22")
    (-60.5, -22.5, -60.0, -22.0)
    >>> parse_bbox([0, 0, 1, float("nan")])
    Traceback (most recent call last):
    ...
    yvy.errors.InputError: bbox: [0, 0, 1, nan] has a value that is not a finite number
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    minx, miny, maxx, maxy = parts = _numbers(value, name)
    if not all(math.isfinite(v) for v in parts):
        raise InputError(name, f"{_show(value)} has a value that is not a finite number")
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180):
        raise InputError(name, f"{_show(value)}: longitudes must be within -180..180")
    if not (-90 <= miny <= 90 and -90 <= maxy <= 90):
        raise InputError(name, f"{_show(value)}: latitudes must be within -90..90")
    if minx > maxx or miny > maxy:
        raise InputError(name, f"{_show(value)}: a minimum is above its maximum; use {FORM}")
    return minx, miny, maxx, maxy
