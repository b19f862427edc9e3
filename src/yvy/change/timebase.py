"""Dates to R's ``bfastts(type = "irregular")`` time base, and its duplicate-day rule.

R's ``bfast`` turns an irregular series into a daily ``ts`` of frequency 365 whose time
stamp is ``year + (yday365 - 1) / 365``, where ``yday365`` counts days as if every year had
365 days: 29 February gets the same stamp as 1 March (``yday365`` = 60 in both cases). When
two observations fall on the same stamp, the later one (in input order) replaces the
earlier one, a missing value included. :func:`bfast_dates` applies both rules so that
:func:`yvy.kernels.bfast.bfast_monitor` sees the series R sees.

Only numpy is imported here; dates may be ``numpy.datetime64``, ``datetime.date``,
``datetime.datetime`` or ISO strings (a time of day is dropped).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable

import numpy as np

from yvy.errors import DateRangeError, InputError

__all__ = ["DAYS_PER_YEAR", "bfast_dates", "decimal_year"]

#: Frequency of R's daily ``ts`` built by ``bfastts(type = "irregular")``.
DAYS_PER_YEAR = 365

# Cumulative days before each month in a 365-day year (bfastts' ``mdays_sum``).
_CUMDAYS = np.array([0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334], dtype=np.int64)


def _as_days(dates) -> np.ndarray:
    """Return ``datetime64[D]`` for scalar or array-like ``dates`` (time of day dropped)."""
    if isinstance(dates, (str, _dt.date, np.datetime64)):
        dates = [dates]
    if not isinstance(dates, np.ndarray):
        dates = list(dates) if isinstance(dates, Iterable) else [dates]
        items = []
        for d in dates:
            if isinstance(d, bytes):
                d = d.decode()
            if isinstance(d, str):
                d = d.strip()[:10]  # ISO date or datetime: keep the date part
            items.append(d)
        dates = items
    try:
        arr = np.asarray(dates, dtype="datetime64[D]")
    except (ValueError, TypeError) as exc:
        raise InputError("dates", f"cannot be read as dates ({exc})") from exc
    if np.isnat(arr).any():
        raise InputError("dates", "contain a missing date (NaT)")
    return arr


def decimal_year(dates) -> np.ndarray:
    """Decimal year of each date in R's ``bfastts`` time base.

    Parameters
    ----------
    dates
        A date, or a sequence/array of dates (``datetime64``, ``date``, ``datetime`` or ISO
        string). A time of day is ignored.

    Returns
    -------
    numpy.ndarray
        float64 ``year + (yday365 - 1) / 365`` per date, where ``yday365`` ignores leap
        days (29 February and 1 March share a stamp).

    Examples
    --------
    >>> decimal_year(["2010-01-01", "2010-07-12", "2012-02-29", "2012-03-01"]).round(6)
    array([2010.      , 2010.526027, 2012.161644, 2012.161644])
    """
    days = _as_days(dates)
    years = days.astype("datetime64[Y]")
    months = (days.astype("datetime64[M]") - years.astype("datetime64[M]")).astype(np.int64)
    mday = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    yday365 = _CUMDAYS[months] + mday
    return years.astype(np.int64) + 1970 + (yday365 - 1) / DAYS_PER_YEAR


def bfast_dates(dates) -> tuple[np.ndarray, np.ndarray]:
    """Time stamps and the bands R keeps, following ``bfastts(type = "irregular")``.

    The result is sorted by time with one band per stamp: where several bands share a
    stamp (the same day, or 29 February and 1 March), the one that comes last in
    ``dates`` wins, whatever its value (a missing value included), as in R.

    Parameters
    ----------
    dates
        Band dates in band order (need not be sorted).

    Returns
    -------
    t : numpy.ndarray
        float64 decimal years (:func:`decimal_year`), strictly increasing.
    keep : numpy.ndarray
        int64 indices into ``dates`` of the bands to use, in the order of ``t``: pass
        ``y[keep]`` and ``t`` to :func:`yvy.kernels.bfast.bfast_monitor`.

    Examples
    --------
    >>> t, keep = bfast_dates(["2015-12-08T10:04", "2015-12-08T10:11", "2015-11-28"])
    >>> keep
    array([2, 1])
    """
    stamps = decimal_year(dates)
    if stamps.size == 0:
        raise DateRangeError("dates", "no dates given")
    order = np.argsort(stamps, kind="stable")  # equal stamps keep band order
    sorted_stamps = stamps[order]
    last_of_run = np.ones(order.size, dtype=bool)
    last_of_run[:-1] = sorted_stamps[1:] != sorted_stamps[:-1]
    keep = order[last_of_run]
    return stamps[keep], keep.astype(np.int64)
