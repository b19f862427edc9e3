"""Dates and times: the one place yvy parses and prints them (pystac/dateutil underneath).

* :func:`parse_instant` - a strict RFC 3339 date-time or ISO date given by a user or a client
  (an argument, a query parameter), as an aware UTC datetime; a bad one is a one-line
  :class:`~yvy.errors.DateRangeError` naming the argument.
* :func:`parse_date` - the same for a plain date.
* :func:`parse_interval` - ``A/B``, ``A/..``, ``../B`` or one instant, as ISO UTC strings.
* :func:`find_datetime` - a lenient reader for provider metadata (``20230105``,
  ``2023:01:05 10:00:00`` TIFF tags, offsets): a datetime, or None when the text is not one.
* :func:`to_iso` and :func:`now_iso` - ``...Z`` strings.

A leaf: imports only the standard library, dateutil, pystac's utilities and :mod:`yvy.errors`.
"""

from __future__ import annotations

import datetime as dt
import re

from dateutil.parser import isoparse

from .errors import DateRangeError

__all__ = ["as_utc", "find_datetime", "now_iso", "parse_date", "parse_instant", "parse_interval", "to_iso"]

_OPEN = ("", "..")


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """``value`` as an aware UTC datetime (a naive one is taken as UTC); None stays None."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def to_iso(value: dt.datetime, timespec: str = "auto") -> str:
    """RFC 3339 UTC text with a ``Z`` suffix (a naive datetime is taken as UTC)."""
    return as_utc(value).isoformat(timespec=timespec).replace("+00:00", "Z")


def now_iso(timespec: str = "seconds") -> str:
    """The current UTC time as RFC 3339 text with ``Z`` (``timespec`` as in ``isoformat``)."""
    return to_iso(dt.datetime.now(dt.UTC), timespec)


def parse_instant(text: str, name: str = "datetime", *, end: bool = False) -> dt.datetime:
    """An ISO date or RFC 3339 date-time as an aware UTC datetime.

    A date alone is its first instant, or its last with ``end=True``.

    Examples
    --------
    >>> parse_instant("2024-01-05", end=True).isoformat()
    '2024-01-05T23:59:59.999999+00:00'
    >>> parse_instant("2024-01-05T10:00:00-03:00").isoformat()
    '2024-01-05T13:00:00+00:00'
    """
    s = str(text).strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}([Tt ].+)?", s):
        raise DateRangeError(name, f"{text!r} is not an ISO date (YYYY-MM-DD) or RFC 3339 date-time")
    try:
        value = isoparse(s.replace("t", "T").replace("z", "Z"))
    except (ValueError, OverflowError):
        raise DateRangeError(name, f"{text!r} is not a valid ISO date or date-time") from None
    if end and len(s) == 10:
        value = value.replace(hour=23, minute=59, second=59, microsecond=999999)
    return as_utc(value)


def parse_date(text: str | None, name: str = "date") -> dt.date | None:
    """An ISO date (``YYYY-MM-DD``; a date-time gives its UTC date), or None for None."""
    if text is None:
        return None
    return parse_instant(text, name).date()


def parse_interval(value: str | None, name: str = "datetime") -> tuple[str | None, str | None]:
    """``A/B``, ``A/..``, ``../B`` or a single instant as (start, end) ISO UTC text.

    Open ends are None; a single date covers its whole day. An end before the start, or an
    interval open at both ends, is a :class:`~yvy.errors.DateRangeError` naming ``name``.
    """
    if value is None or not value.strip():
        return None, None
    parts = [p.strip() for p in value.split("/")]
    if len(parts) > 2:
        raise DateRangeError(name, f"{value!r} is not an interval A/B (one '/')")
    if len(parts) == 1:
        if parts[0] in _OPEN:
            raise DateRangeError(name, "'..' alone is not a date-time")
        parts = [parts[0], parts[0]]
    start = None if parts[0] in _OPEN else parse_instant(parts[0], name)
    stop = None if parts[1] in _OPEN else parse_instant(parts[1], name, end=True)
    if start is None and stop is None:
        raise DateRangeError(name, "an interval needs at least one closed end")
    if start and stop and start > stop:
        raise DateRangeError(name, f"{value!r} ends before it starts")
    return (start and to_iso(start, "microseconds")), (stop and to_iso(stop, "microseconds"))


def find_datetime(text: object) -> dt.datetime | None:
    """A date or date-time read leniently from provider metadata, or None.

    Accepts ISO 8601 basic and extended forms (``20230105``, ``2023-01-05T10:00:00.5Z``,
    offsets) and TIFF's ``2023:01:05 10:00:00``; years outside 1950-2100 are not dates.

    Examples
    --------
    >>> find_datetime("2023:01:05 10:00:00").isoformat()
    '2023-01-05T10:00:00+00:00'
    >>> find_datetime("B4") is None
    True
    """
    if text is None:
        return None
    s = str(text).strip()
    if re.match(r"^\d{4}:\d{2}:\d{2}", s):  # TIFFTAG_DATETIME
        s = s[:10].replace(":", "-") + s[10:]
    if not re.fullmatch(r"\d{4}-?\d{2}-?\d{2}([T ][\d:.]+)?(Z|[+-]\d{2}:?\d{2})?", s):
        return None
    try:
        value = isoparse(s.replace(" ", "T"))
    except (ValueError, OverflowError):
        return None
    return as_utc(value) if 1950 <= value.year <= 2100 else None
