"""Numba kernel of the incremental BFAST Monitor step (new scenes against a stored model).

It reuses the block loader, the residual loop and the per-pixel MOSUM step of
:mod:`yvy.kernels._bfast_core`, so that a model fitted once and advanced scene by scene
gives the same numbers as a one-shot run on the concatenated series. The medians (magnitude,
break magnitude) come from fixed-size rank windows (:mod:`yvy.kernels._rank_window`), so the
cost of a step and the size of the state do not grow with the monitoring period.

Imports numpy, numba and math only.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from yvy.kernels._bfast_core import (
    load_block,
    mosum_run,
    residuals,
    valid_positions,
)
from yvy.kernels._jit import jit, jit_parallel
from yvy.kernels._rank_window import window_count, window_insert, window_median


@jit
def _medians(col, kept, e_row, idx, nval, idx_offset, b1, mres, nres, win, mag, bmag, bounded):
    """Add the new residuals to the pixel's rank windows; set its magnitude and break magnitude.

    ``kept``: monitoring residuals before this batch (every valid one has a finite residual), so
    the magnitude window's size is known without scanning it."""
    mag_buf, mag_lo, mag_hi, bmag_buf, bmag_lo, bmag_hi = win
    n = kept - mag_lo[col] - mag_hi[col]
    for i in range(nres):
        n = window_insert(mag_buf, mag_lo, mag_hi, col, n, mres[i])
    mag[col], exact = window_median(mag_buf, mag_lo, mag_hi, col, n)
    bexact = True
    if b1 >= 0:  # few pixels: the break window's size is counted
        n = window_count(bmag_buf, col)
        for i in range(nval):
            if idx[i] + idx_offset >= b1:
                n = window_insert(bmag_buf, bmag_lo, bmag_hi, col, n, e_row[idx[i]])
        bmag[col], bexact = window_median(bmag_buf, bmag_lo, bmag_hi, col, n)
    bounded[col] = (0 if exact else 1) + (0 if bexact else 2)


@jit
def _update_block(y, c0, nb, nodata, use_nodata, XT, idx_offset, h, crit, direction, coef, sigma,
                  n_hist, status, count, ring, pos, csum, brk, stat, win, resid_new, mag, bmag, bounded,
                  ws):
    yb, mb, beta, mres, idx = ws
    tn = y.shape[0]
    p = coef.shape[0]
    load_block(y, c0, nb, nodata, use_nodata, yb, mb)
    for q in range(p):
        for j in range(nb):
            beta[q, j] = coef[q, c0 + j]
    residuals(yb, XT, beta, 0, tn, nb)
    for j in range(nb):
        col = c0 + j
        for t in range(tn):
            resid_new[t, col] = np.nan
        if status[col] == -2:
            continue
        e_row = yb[j]
        nval = valid_positions(mb[j], 0, tn, idx)
        for i in range(nval):
            resid_new[idx[i], col] = e_row[idx[i]]
        n = n_hist[col]
        k = math.floor(h * n)
        s0 = stat[col]
        kept = count[col] - n
        p1, c1, n1, s1, b1, nres = mosum_run(
            e_row, idx, 0, nval, idx_offset, n, sigma[col] * math.sqrt(n), crit, direction,
            ring[:k, col], pos[col], csum[col], count[col], -1.0 if math.isnan(s0) else s0,
            brk[col], mres, 0)
        pos[col] = p1
        csum[col] = c1
        count[col] = n1
        stat[col] = s1 if n1 > n else np.nan  # any monitoring observation so far
        brk[col] = b1
        status[col] = 1 if b1 >= 0 else 0
        _medians(col, kept, e_row, idx, nval, idx_offset, b1, mres, nres, win, mag, bmag, bounded)


@jit
def _update_chunk(y, b0, b1, block, nodata, use_nodata, XT, idx_offset, h, crit, direction, coef,
                  sigma, n_hist, status, count, ring, pos, csum, brk, stat, win, resid_new, mag, bmag, bounded):
    N = y.shape[1]
    ws = (np.zeros((block, y.shape[0])), np.zeros((block, y.shape[0])),
          np.empty((coef.shape[0], block)), np.empty(y.shape[0] + 1),
          np.empty(y.shape[0] + 1, dtype=np.int64))
    for ib in range(b0, b1):
        c0 = ib * block
        _update_block(y, c0, min(block, N - c0), nodata, use_nodata, XT, idx_offset, h, crit,
                      direction, coef, sigma, n_hist, status, count, ring, pos, csum, brk, stat,
                      win, resid_new, mag, bmag, bounded, ws)


@jit_parallel
def update_parallel(y, nchunks, block, nodata, use_nodata, XT, idx_offset, h, crit, direction, coef,
                    sigma, n_hist, status, count, ring, pos, csum, brk, stat, win, resid_new, mag, bmag,
                    bounded):
    """Advance every pixel's monitoring over the new dates; chunks of blocks in parallel."""
    nblocks = (y.shape[1] + block - 1) // block
    for ci in prange(nchunks):
        _update_chunk(y, ci * nblocks // nchunks, (ci + 1) * nblocks // nchunks, block, nodata,
                      use_nodata, XT, idx_offset, h, crit, direction, coef, sigma, n_hist, status, count,
                      ring, pos, csum, brk, stat, win, resid_new, mag, bmag, bounded)


@jit
def update_serial(y, nchunks, block, nodata, use_nodata, XT, idx_offset, h, crit, direction, coef,
                  sigma, n_hist, status, count, ring, pos, csum, brk, stat, win, resid_new, mag, bmag, bounded):
    """Single-threaded twin of :func:`update_parallel`."""
    nblocks = (y.shape[1] + block - 1) // block
    _update_chunk(y, 0, nblocks, block, nodata, use_nodata, XT, idx_offset, h, crit, direction, coef,
                  sigma, n_hist, status, count, ring, pos, csum, brk, stat, win, resid_new, mag, bmag, bounded)
