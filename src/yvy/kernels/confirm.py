"""Per-pixel alert helpers after BFAST Monitor: confirmations and the dates around the break.

:func:`advance_confirmation` walks a batch of dates once per pixel, in place, without any
``(T, N)`` temporary, and can be called batch after batch (a one-shot run is one batch):

* ``confirm``: +1 for each valid observation on or after the break whose residual is below
  ``-2 sigma`` (a confirmed loss);
* ``prev_obs``: the day of the last valid observation before the break (set when the break
  observation is met);
* ``break_days``: the day of the break observation;
* ``last_valid``: the day of the last valid observation so far (carried to the next batch).

:func:`break_magnitude` is the median residual on and after the break (the size of the change
itself, where BFAST Monitor's magnitude is the median over the whole monitoring period).

Imports only numpy and numba.
"""

from __future__ import annotations

import math

import numpy as np

from ._bfast_core import median_inplace
from ._jit import jit

__all__ = ["advance_confirmation", "break_magnitude"]


@jit
def _advance(y, t, days, resid, row0, sigma, break_time, break_before, last_valid, prev_obs,
             confirm, break_days):  # pragma: no cover - compiled
    n_time, n_pix = y.shape
    for j in range(n_pix):
        bt = break_time[j]
        has_break = not math.isnan(bt)
        new_hit = has_break and math.isnan(break_before[j])
        limit = -2.0 * sigma[j]
        lv = last_valid[j]
        for i in range(n_time):
            v = np.float64(y[i, j])
            if not math.isfinite(v):
                continue
            if has_break and t[i] >= bt:
                if new_hit and t[i] == bt:
                    prev_obs[j] = lv
                    break_days[j] = days[i]
                if i >= row0:
                    r = resid[i - row0, j]
                    if r < limit:  # False for NaN
                        confirm[j] += 1
            lv = days[i]
        last_valid[j] = lv


def advance_confirmation(y, t, days, resid, row0, sigma, break_time, break_before, state) -> None:
    """Update ``state`` (dict of (N,) arrays, modified in place) with a batch of dates.

    Parameters
    ----------
    y : (T, N) array
        Observations of the batch (NaN/inf = missing).
    t, days : (T,) arrays
        Decimal years (the kernel's time base) and days since 1970-01-01 of the batch.
    resid : (R, N) float64
        Residuals from the history model of rows ``row0 .. row0 + R - 1`` of the batch (the
        monitoring rows).
    sigma : (N,) float64
        Residual standard error of the history fit.
    break_time, break_before : (N,) float64
        Break date after this batch, and before it (NaN = none).
    state : dict
        ``last_valid_days``, ``prev_obs_days``, ``break_days`` (float64) and
        ``confirm_count`` (int32).

    Examples
    --------
    >>> y = np.array([[0.8], [0.2], [0.3]]); t = np.array([2020.0, 2020.5, 2020.7])
    >>> s = {"last_valid_days": np.full(1, np.nan), "prev_obs_days": np.full(1, np.nan),
    ...      "break_days": np.full(1, np.nan), "confirm_count": np.zeros(1, np.int32)}
    >>> advance_confirmation(y, t, np.array([10.0, 20.0, 30.0]), np.array([[-0.5], [-0.01]]), 1,
    ...                      np.array([0.05]), np.array([2020.5]), np.array([np.nan]), s)
    >>> s["prev_obs_days"], s["break_days"], s["confirm_count"], s["last_valid_days"]
    (array([10.]), array([20.]), array([1], dtype=int32), array([30.]))
    """
    _advance(y, np.asarray(t, np.float64), np.asarray(days, np.float64),
             np.ascontiguousarray(resid, dtype=np.float64), int(row0), np.asarray(sigma, np.float64),
             np.asarray(break_time, np.float64), np.asarray(break_before, np.float64),
             state["last_valid_days"], state["prev_obs_days"], state["confirm_count"], state["break_days"])


@jit
def _break_median(resid, row0, break_index, out):  # pragma: no cover - compiled
    n_rows, n_pix = resid.shape
    buf = np.empty(max(n_rows, 1))
    for j in range(n_pix):
        out[j] = np.nan
        b = break_index[j]
        if b < 0:
            continue
        n = 0
        for r in range(max(b - row0, 0), n_rows):
            v = resid[r, j]
            if not math.isnan(v):
                buf[n] = v
                n += 1
        if n:
            out[j] = median_inplace(buf, n)


def break_magnitude(resid, row0, break_index) -> np.ndarray:
    """Median residual of each pixel's valid monitoring dates on and after its break (NaN none).

    Parameters
    ----------
    resid : (R, N) array
        Residuals from the history model (NaN = missing) of dates ``row0 .. row0 + R - 1``.
    row0 : int
        Date index of the first row.
    break_index : (N,) int array
        Date index of the break (-1 = none), in the same numbering.

    Examples
    --------
    >>> r = np.array([[0.1, 0.1], [-0.4, 0.0], [np.nan, 0.2], [-0.3, 0.1]])
    >>> break_magnitude(r, 10, np.array([11, -1]))
    array([-0.35,   nan])
    """
    resid = np.asarray(resid, dtype=np.float64)
    out = np.empty(resid.shape[1])
    _break_median(resid, int(row0), np.asarray(break_index, np.int64), out)
    return out
