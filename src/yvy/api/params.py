"""Shared query parameters: bbox, datetime intervals and limit/offset paging.

Parsers raise :class:`~yvy.errors.InputError` (400) with the parameter named.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query

from ..errors import InputError

__all__ = [
    "MAX_LIMIT",
    "BBox",
    "Datetime",
    "Limit",
    "Offset",
    "iso_utc",
    "parse_bbox",
    "parse_datetime",
]

MAX_LIMIT = 1000
"""Largest page a client may ask for (bigger asks are cropped to this)."""

BBox = Annotated[str | None, Query(description="minx,miny,maxx,maxy in WGS84 lon/lat",
                                   examples=["-58.5,-23.5,-57.5,-22.5"])]
Datetime = Annotated[str | None, Query(
    description="RFC 3339 instant or interval (`start/end`, `../end`, `start/..`)",
    examples=["2024-01-01T00:00:00Z/2024-12-31T23:59:59Z"])]
Limit = Annotated[int, Query(ge=1, description=f"page size (cropped to {MAX_LIMIT})")]
Offset = Annotated[int, Query(ge=0, le=10**9, description="items to skip")]


def parse_bbox(value: str | None, name: str = "bbox") -> tuple[float, float, float, float] | None:
    """``minx,miny,maxx,maxy`` (or a 6-value 3D box) as a 2D tuple, or None."""
    if value is None or value == "":
        return None
    try:
        parts = [float(v) for v in value.split(",")]
    except ValueError:
        raise InputError(name, f"{value!r} is not a list of numbers") from None
    if len(parts) == 6:
        parts = [parts[0], parts[1], parts[3], parts[4]]
    if len(parts) != 4:
        raise InputError(name, "needs 4 (or 6) comma-separated numbers: minx,miny,maxx,maxy")
    minx, miny, maxx, maxy = parts
    if not all(abs(v) < float("inf") for v in parts):
        raise InputError(name, "values must be finite")
    if miny > maxy or not (-90 <= miny <= 90 and -90 <= maxy <= 90):
        raise InputError(name, "latitudes must satisfy -90 <= miny <= maxy <= 90")
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180) or minx > maxx:
        raise InputError(name, "longitudes must satisfy -180 <= minx <= maxx <= 180")
    return minx, miny, maxx, maxy


def _instant(text: str, name: str, *, end: bool = False) -> datetime:
    s = text.strip()
    try:
        if len(s) == 10:
            dt = datetime.fromisoformat(s + ("T23:59:59.999999" if end else "T00:00:00"))
        else:
            dt = datetime.fromisoformat(s.replace("z", "Z").replace("Z", "+00:00").replace("t", "T"))
    except ValueError:
        raise InputError(name, f"{text!r} is not an RFC 3339 date-time") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def iso_utc(dt: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.ffffffZ``."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_datetime(value: str | None, name: str = "datetime") -> tuple[str | None, str | None]:
    """(start, end) ISO UTC strings of an instant or interval; open ends are None."""
    if value is None or value.strip() == "":
        return None, None
    if "/" in value:
        parts = value.split("/")
        if len(parts) != 2:
            raise InputError(name, "an interval has exactly one '/'")
        a, b = (p.strip() for p in parts)
        start = None if a in ("", "..") else _instant(a, name)
        stop = None if b in ("", "..") else _instant(b, name, end=True)
        if start is None and stop is None:
            raise InputError(name, "an interval needs at least one closed end")
        if start and stop and start > stop:
            raise InputError(name, "interval start is after its end")
        return (start and iso_utc(start)), (stop and iso_utc(stop))
    if value.strip() == "..":
        raise InputError(name, "'..' alone is not a date-time")
    start = _instant(value, name)
    stop = _instant(value, name, end=True) if len(value.strip()) == 10 else start
    return iso_utc(start), iso_utc(stop)
