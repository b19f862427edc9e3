"""Per-pixel kernels of the risk model: binning and the additive (binned logistic) score.

``bin_index`` gives, for each value, the number of bin edges it is at or above (numpy's
``searchsorted(edges, v, side="right")``); ``additive_score`` sums a weight table over the bins of
every covariate, the logit of a binned logistic model, then maps it through a monotone calibration
curve (linear interpolation between knots, constant outside). Pixels with any NaN covariate give
NaN. numpy + numba only.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import jit, jit_parallel

__all__ = ["additive_score", "bin_index"]


@jit(inline="always")
def _search_right(edges, n, v):
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi) >> 1
        if edges[mid] <= v:
            lo = mid + 1
        else:
            hi = mid
    return lo


@jit
def bin_index(edges: np.ndarray, n_edges: int, values: np.ndarray) -> np.ndarray:
    """Bin of each value for the first ``n_edges`` sorted ``edges`` (side="right")."""
    out = np.empty(values.size, np.int64)
    for i in range(values.size):
        out[i] = _search_right(edges, n_edges, values[i])
    return out


@jit(inline="always")
def _interp(xk, yk, v):
    n = xk.size
    if v <= xk[0]:
        return yk[0]
    if v >= xk[n - 1]:
        return yk[n - 1]
    j = _search_right(xk, n, v)  # xk[j-1] <= v < xk[j]
    x0, x1 = xk[j - 1], xk[j]
    if x1 == x0:
        return yk[j]
    return yk[j - 1] + (yk[j] - yk[j - 1]) * (v - x0) / (x1 - x0)


@jit_parallel
def additive_score(x: np.ndarray, edges: np.ndarray, n_edges: np.ndarray, weights: np.ndarray,
                   intercept: float, cal_x: np.ndarray, cal_y: np.ndarray) -> np.ndarray:
    """Calibrated probability for covariates ``x`` (k, n) float32.

    Parameters
    ----------
    edges
        (k, m) float64 bin edges per covariate, the first ``n_edges[j]`` used.
    weights
        (k, m + 1) logit weight of each bin.
    cal_x, cal_y
        Calibration knots: logit -> probability (increasing ``cal_x``); empty: return the logit.
    """
    k, n = x.shape
    out = np.empty(n, np.float32)
    for i in prange(n):
        s = intercept
        bad = False
        for j in range(k):
            v = x[j, i]
            if np.isnan(v):
                bad = True
                break
            s += weights[j, _search_right(edges[j], n_edges[j], v)]
        if bad:
            out[i] = np.nan
        elif cal_x.size == 0:
            out[i] = s
        else:
            out[i] = _interp(cal_x, cal_y, s)
    return out
