"""Fixed-size exact running median: the values of the ranks nearest the median, plus two counts.

The median of a growing set needs, in general, every value. What it needs *exactly* is far less:
the values whose rank lies near the median's rank, plus how many values lie below and above
them. A *rank window* keeps, per pixel, up to ``B`` values in ascending order (``buf[:, j]``,
NaN-padded at the end) and the counts ``lo[j]`` / ``hi[j]`` of values known to lie below the
smallest and above the largest kept one. The kept values are the ranks ``lo .. lo + nbuf - 1``
of the whole set, contiguous, so the median is exact whenever its rank(s) fall inside them; a new
value is placed when it falls inside (or on an open side, ``lo == 0`` / ``hi == 0``), counted
otherwise, and when the window is full the value farthest from the median's rank is counted away.

Each new value moves the median's rank by half a rank and a value counted away on one side moves
the window by one, so a window centred on the median (as :func:`window_fill` leaves it, and as
values landing inside it keep it) stays exact for about ``B`` further values all on one side, and
indefinitely while the values stay around the median. When the median's rank has left the window the
reported value is the nearest kept value (a bound: the true median is below ``buf[0]`` or above
``buf[nbuf - 1]``) and :func:`window_median` says so.

Imports numpy, numba and math only.
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import jit

__all__ = ["CAPACITY", "window_count", "window_fill", "window_insert", "window_median", "window_medians"]

CAPACITY = 32
"""Values kept per pixel and window (``B``)."""


@jit
def window_count(buf, j):
    """Values kept in pixel ``j``'s window (a scan; callers that know it pass it instead)."""
    n = 0
    while n < buf.shape[0] and not math.isnan(buf[n, j]):
        n += 1
    return n


@jit
def window_insert(buf, lo, hi, j, n, v):
    """Add value ``v`` (not NaN) to pixel ``j``'s window of ``n`` kept values, in place; return
    the new number kept. A full window drops the value farthest from the median's rank (maybe
    ``v``), moving only the values between the dropped end and ``v``'s place."""
    cap = buf.shape[0]
    if n > 0 and v < buf[0, j] and lo[j] > 0:
        lo[j] += 1
        return n
    if n > 0 and v > buf[n - 1, j] and hi[j] > 0:
        hi[j] += 1
        return n
    if n < cap:
        i = n
        while i > 0 and buf[i - 1, j] > v:
            buf[i, j] = buf[i - 1, j]
            i -= 1
        buf[i, j] = v
        return n + 1
    if 0.5 * (lo[j] + n + hi[j]) - lo[j] < 0.5 * n:  # the median's rank is in the lower half
        hi[j] += 1  # the largest goes
        if v >= buf[n - 1, j]:
            return n
        i = n - 1
        while i > 0 and buf[i - 1, j] > v:
            buf[i, j] = buf[i - 1, j]
            i -= 1
    else:
        lo[j] += 1  # the smallest goes
        if v <= buf[0, j]:
            return n
        i = 0
        while i < n - 1 and buf[i + 1, j] < v:
            buf[i, j] = buf[i + 1, j]
            i += 1
    buf[i, j] = v
    return n


@jit
def window_median(buf, lo, hi, j, n):
    """``(median, exact)`` of pixel ``j``'s window of ``n`` kept values (R's median: mean of the
    two middle values); ``(nan, True)`` when empty; ``exact`` False when the median's rank has
    left the window (the value is then the nearest kept one, a bound)."""
    total = lo[j] + n + hi[j]
    if total == 0:
        return np.nan, True
    r1 = (total - 1) // 2 - lo[j]
    r2 = total // 2 - lo[j]
    if r1 < 0:
        return buf[0, j], False
    if r2 >= n:
        return buf[n - 1, j], False
    if r1 == r2:
        return buf[r1, j], True
    return 0.5 * (buf[r1, j] + buf[r2, j]), True


@jit
def window_medians(buf, lo, hi, out):
    """``out[j]`` = the median of every pixel's window (as :func:`window_median`)."""
    for j in range(out.shape[0]):
        out[j] = window_median(buf, lo, hi, j, window_count(buf, j))[0]


@jit
def window_fill(resid, row0, start, buf, lo, hi, scratch):
    """Set each pixel's window from its residual rows ``resid[:, j]`` of date index ``>= start[j]``
    (``row0`` is the date index of row 0; ``start[j] < 0`` means no window: left empty).

    The kept values are the ``B`` ranks centred on the median, so the window starts exact.
    """
    n_rows, n_pix = resid.shape
    cap = buf.shape[0]
    for j in range(n_pix):
        for i in range(cap):
            buf[i, j] = np.nan
        lo[j] = 0
        hi[j] = 0
        if start[j] < 0:
            continue
        n = 0
        for r in range(max(start[j] - row0, 0), n_rows):
            v = resid[r, j]
            if not math.isnan(v):
                scratch[n] = v
                n += 1
        if n == 0:
            continue
        vals = np.sort(scratch[:n])
        first = (n - cap) // 2 if n > cap else 0
        keep = min(n, cap)
        for i in range(keep):
            buf[i, j] = vals[first + i]
        lo[j] = first
        hi[j] = n - first - keep
