"""Reverse-ordered CUSUM (ROC) selection of a stable history, per pixel (numba).

R's ``bfast::history_roc`` reverses the history observations, computes their recursive
residuals (``strucchange::recresid``), forms the recursive CUSUM process
``cumsum(w) / (sd(w) sqrt(m))`` (``m`` residuals) and, if its ``max |W_i| / (1 + 2 i/m)``
is significant, starts the stable history right after the observation (in time order)
where ``|W_i|`` first crosses the boundary ``b (1 + 2 i / m)``. Recursive residuals are
invariant to a linear reparametrisation of the regressors, so the kernel's centred trend
gives R's values; they are computed here with a Givens-rotation QR update, which is
numerically stable where the early, nearly collinear steps are not.

Imports numpy, numba and math only.
"""

from __future__ import annotations

import math

from yvy.kernels._jit import jit


@jit
def _givens_add(rmat, zvec, xrow, yval):
    """Add one observation ``(xrow, yval)`` to the triangular factor ``rmat``, ``zvec = Q'y``.

    ``xrow`` is overwritten.
    """
    p = rmat.shape[0]
    for k in range(p):
        xk = xrow[k]
        if xk == 0.0:
            continue
        rkk = rmat[k, k]
        r = math.hypot(rkk, xk)
        c = rkk / r
        s = xk / r
        rmat[k, k] = r
        for col in range(k + 1, p):
            a = rmat[k, col]
            b = xrow[col]
            rmat[k, col] = c * a + s * b
            xrow[col] = c * b - s * a
        a = zvec[k]
        zvec[k] = c * a + s * yval
        yval = c * yval - s * a


@jit
def roc_history_start(y_col, m_col, X, th, crit, bound, rwork, rvec, ibuf):
    """Index of the first date of the ROC-stable history of one pixel.

    Parameters
    ----------
    y_col, m_col
        The pixel's values and validity (1.0 valid) per date.
    X
        Design matrix ``(T, p)``.
    th
        Number of dates before the monitoring start.
    crit, bound
        Exact critical value of the test and R's ``uniroot`` boundary level.
    rwork, rvec, ibuf
        Scratch: ``(p + 3, p)`` float64, ``(1, >= th)`` float64, ``(>= th,)`` int64.

    Returns
    -------
    int
        Date index where the stable history starts (rows before it are dropped), or
        ``-1 - n`` when the test cannot run (``n < p + 2`` valid observations: R stops
        with an error).
    """
    p = X.shape[1]
    n_all = 0
    for t in range(th - 1, -1, -1):  # valid history dates, latest first
        if m_col[t] != 0.0:
            ibuf[n_all] = t
            n_all += 1
    if n_all < p + 2:
        return -1 - n_all
    rmat = rwork[:p]
    zvec = rwork[p]
    xrow = rwork[p + 1]
    avec = rwork[p + 2]
    w = rvec[0]
    rmat[:, :] = 0.0
    zvec[:] = 0.0
    for i in range(p):
        t = ibuf[i]
        for q in range(p):
            xrow[q] = X[t, q]
        _givens_add(rmat, zvec, xrow, y_col[t])
    m = n_all - p
    for i in range(m):
        t = ibuf[p + i]
        f = 1.0
        pred = 0.0
        for r in range(p):  # solve R' a = x
            s = X[t, r]
            for k in range(r):
                s -= rmat[k, r] * avec[k]
            avec[r] = s / rmat[r, r]
            f += avec[r] * avec[r]
            pred += avec[r] * zvec[r]
        w[i] = (y_col[t] - pred) / math.sqrt(f)
        for q in range(p):
            xrow[q] = X[t, q]
        _givens_add(rmat, zvec, xrow, y_col[t])
    mean = 0.0
    for i in range(m):
        mean += w[i]
    mean /= m
    var = 0.0
    for i in range(m):
        var += (w[i] - mean) * (w[i] - mean)
    denom = math.sqrt(var / (m - 1)) * math.sqrt(m)
    stat = 0.0
    cum = 0.0
    for i in range(m):
        cum += w[i]
        v = abs(cum / denom) / (1.0 + 2.0 * (i + 1) / m)
        stat = max(stat, v)
    if not stat > crit:
        return ibuf[n_all - 1]
    cum = 0.0
    for i in range(m):
        cum += w[i]
        if abs(cum / denom) > bound + 2.0 * bound * (i + 1) / m:
            # R: y_start = m + 2 - i* (1-based, i* = i + 1), i.e. time-order position
            # q = m - i (0-based); that is ibuf[n_all - 1 - q].
            q = m - (i + 1) + 1
            return ibuf[n_all - 1 - q]
    return ibuf[n_all - 1]  # unreachable while bound < crit (see roc_boundary)
