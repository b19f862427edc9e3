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

__all__ = ["additive_score", "bin_index", "resample_window"]


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


@jit_parallel
def resample_window(src: np.ndarray, row0: float, col0: float, drow: float, dcol: float, out_h: int,
                    out_w: int, nearest: bool) -> np.ndarray:
    """Resample a source block onto a finer (or equal) axis-aligned grid.

    Output pixel (i, j) sits at source pixel-centre coordinates (row0 + i * drow, col0 + j * dcol)
    (0 = centre of the first source pixel). ``nearest`` picks the closest source pixel; otherwise
    bilinear weights over the valid (non-NaN) of the four neighbours, renormalised, as GDAL's warper
    does with nodata. Coordinates are clamped to the block; a pixel more than half a source pixel
    outside it is NaN.
    """
    h, w = src.shape
    out = np.empty((out_h, out_w), np.float32)
    for i in prange(out_h):
        r = row0 + i * drow
        for j in range(out_w):
            c = col0 + j * dcol
            if r < -0.5 or r > h - 0.5 or c < -0.5 or c > w - 0.5:
                out[i, j] = np.nan
                continue
            rc = min(max(r, 0.0), h - 1.0)
            cc = min(max(c, 0.0), w - 1.0)
            if nearest:
                out[i, j] = src[min(int(np.floor(rc + 0.5)), h - 1), min(int(np.floor(cc + 0.5)), w - 1)]
                continue
            r0 = min(int(rc), h - 1)
            c0 = min(int(cc), w - 1)
            r1 = min(r0 + 1, h - 1)
            c1 = min(c0 + 1, w - 1)
            fr = rc - r0
            fc = cc - c0
            acc = 0.0
            wsum = 0.0
            for rr, wr in ((r0, 1.0 - fr), (r1, fr)):
                for cc2, wc in ((c0, 1.0 - fc), (c1, fc)):
                    v = src[rr, cc2]
                    wt = wr * wc
                    if wt > 0.0 and not np.isnan(v):
                        acc += wt * v
                        wsum += wt
            out[i, j] = acc / wsum if wsum > 0.0 else np.nan
    return out
