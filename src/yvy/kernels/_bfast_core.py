"""Numba kernels of BFAST Monitor: block loading, OLS in lockstep, residuals, MOSUM.

Pixels are processed in blocks of ``BLOCK`` columns of a ``(T, N)`` array. Inside a block
every step that is the same for all pixels (loading and masking, the normal equations
``X'X``/``X'y`` over the history dates, the Cholesky solve, the residuals) loops over the
pixels innermost, so LLVM emits SIMD code across pixels; only the steps that depend on one
pixel's own valid dates (the ROC test, the MOSUM window over the last ``K`` valid
residuals, the median) run per pixel. Scratch memory is allocated once per chunk of
blocks, never inside the pixel loop.

Conventions shared with :mod:`yvy.kernels.bfast`: the design matrix ``X`` is ``(T, p)``
with columns ``1, trend, cos(2 pi j t), sin(2 pi j t)``; ``Z`` holds the ``p (p + 1) / 2``
products ``X[t, r] X[t, c]`` (``c <= r``, packed row by row). Inside a block, values and
mask are stored pixel-major ``(B, T)`` and the design transposed (``XT``, ``ZT``, rows padded
with zeros to a multiple of 4) so the date loops are contiguous. ``Th`` is the number of
dates before the monitoring start. Status codes: 1 break, 0 no break, -2 no result.
``direction`` (an int) selects the monitoring test: 0 ``|MOSUM|`` (R), -1 drops only
(``-MOSUM``), +1 rises only.

Imports numpy, numba and math only.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from yvy.kernels._bfast_roc import roc_history_start
from yvy.kernels._jit import jit, jit_parallel

BLOCK = 64
#: Pixels per super-block: copied once from ``y`` with contiguous row reads (a
#: ``(T, N)`` array read in narrow column blocks is latency-bound).
STAGE = 1024
#: R's lm.fit drops a column when its norm, orthogonalised against the earlier columns,
#: falls below 1e-7 of its own norm (LINPACK dqrdc2, ``tol = 1e-7``); squared here.
RANK_TOL2 = 1e-14
_E = math.e


@jit
def load_block(y, c0, nb, nodata, use_nodata, yb, mb):
    """Copy columns ``c0:c0+nb`` of ``y (T, N)`` to ``yb (B, T)`` float64 (0 where
    missing) and the validity mask ``mb (B, T)`` (1.0 valid, 0.0 missing)."""
    T = y.shape[0]
    for t in range(T):  # rows of y are read contiguously; the written lines stay in L1
        for j in range(nb):
            v = np.float64(y[t, c0 + j])
            ok = abs(v) < np.inf  # False for NaN and +-inf
            if use_nodata:
                ok = ok and v != nodata
            yb[j, t] = v if ok else 0.0
            mb[j, t] = 1.0 if ok else 0.0


@jit
def normal_equations(yb, mb, XT, ZT, th, nb, xtx, xty):
    """Packed ``X'X`` (``xtx[e, j]``) and ``X'y`` over the valid history dates ``t < th``.

    A register-tiled product: 4 rows of ``ZT``/``XT`` (padded to a multiple of 4) times
    2 pixels per pass, the date loop innermost so that it vectorises. ``xtx[0]`` (the
    intercept's square) is the number of valid history dates.
    """
    for j0 in range(0, nb, 2):
        j1 = j0 + 1 if j0 + 1 < nb else j0
        m0 = mb[j0]
        m1 = mb[j1]
        y0 = yb[j0]
        y1 = yb[j1]
        for e in range(0, ZT.shape[0], 4):
            _tile(ZT, e, m0, m1, th, xtx, j0, j1)
        for e in range(0, XT.shape[0], 4):
            _tile(XT, e, y0, y1, th, xty, j0, j1)


@jit(inline="always")
def _tile(A, e, u, v, th, out, j0, j1):
    a0 = A[e]
    a1 = A[e + 1]
    a2 = A[e + 2]
    a3 = A[e + 3]
    s00 = s01 = s10 = s11 = s20 = s21 = s30 = s31 = 0.0
    for t in range(th):
        ut = u[t]
        vt = v[t]
        s00 += a0[t] * ut
        s01 += a0[t] * vt
        s10 += a1[t] * ut
        s11 += a1[t] * vt
        s20 += a2[t] * ut
        s21 += a2[t] * vt
        s30 += a3[t] * ut
        s31 += a3[t] * vt
    out[e, j0] = s00
    out[e + 1, j0] = s10
    out[e + 2, j0] = s20
    out[e + 3, j0] = s30
    out[e, j1] = s01
    out[e + 1, j1] = s11
    out[e + 2, j1] = s21
    out[e + 3, j1] = s31


@jit
def cholesky_solve(xtx, xty, p, nb, chol, beta, tmp, singular):
    """Solve the ``nb`` systems ``X'X b = X'y`` in lockstep (Cholesky, no pivoting).

    Where a pivot, relative to its diagonal entry, falls below ``RANK_TOL2`` (R's QR
    would declare the design rank deficient), that column is dropped as R's ``lm`` drops
    it: its pivot is set to inf, so its coefficient and its entries below the diagonal
    come out 0 and later columns are fitted on the kept ones; ``singular[j]`` is set.
    """
    singular[:nb] = 0
    for c in range(p):
        rc = c * (c + 1) // 2
        for j in range(nb):
            tmp[j] = xtx[rc + c, j]
        for k in range(c):
            for j in range(nb):
                tmp[j] -= chol[rc + k, j] * chol[rc + k, j]
        for j in range(nb):
            d = tmp[j]
            if d > xtx[rc + c, j] * RANK_TOL2:
                chol[rc + c, j] = math.sqrt(d)
            else:
                singular[j] = 1
                chol[rc + c, j] = np.inf
        for r in range(c + 1, p):
            rr = r * (r + 1) // 2
            for j in range(nb):
                tmp[j] = xtx[rr + c, j]
            for k in range(c):
                for j in range(nb):
                    tmp[j] -= chol[rr + k, j] * chol[rc + k, j]
            for j in range(nb):
                chol[rr + c, j] = tmp[j] / chol[rc + c, j]
    for r in range(p):  # forward: L u = X'y
        rr = r * (r + 1) // 2
        for j in range(nb):
            tmp[j] = xty[r, j]
        for k in range(r):
            for j in range(nb):
                tmp[j] -= chol[rr + k, j] * beta[k, j]
        for j in range(nb):
            beta[r, j] = tmp[j] / chol[rr + r, j]
    for r in range(p - 1, -1, -1):  # backward: L' b = u
        for j in range(nb):
            tmp[j] = beta[r, j]
        for k in range(r + 1, p):
            kk = k * (k + 1) // 2
            for j in range(nb):
                tmp[j] -= chol[kk + r, j] * beta[k, j]
        for j in range(nb):
            beta[r, j] = tmp[j] / chol[r * (r + 1) // 2 + r, j]


@jit
def residuals(yb, XT, beta, t0, t1, nb):
    """In place: ``yb[j, t] -= X[t] . beta[:, j]`` for ``t0 <= t < t1``."""
    p = beta.shape[0]
    for j in range(nb):
        row = yb[j]
        for q in range(p):
            xq = XT[q]
            b = beta[q, j]
            for t in range(t0, t1):
                row[t] -= xq[t] * b


@jit
def _partition(buf, lo, hi, pivot, strict):
    """Branch-free Lomuto pass over ``buf[lo:hi]``: elements ``< pivot`` (``strict``) or
    ``<= pivot`` first; returns where the second group starts."""
    j = lo
    for i in range(lo, hi):
        x = buf[i]
        first = x < pivot if strict else x <= pivot
        buf[i] = buf[j]
        buf[j] = x
        j += first
    return j


@jit
def select_inplace(buf, n, k):
    """The ``k``-th smallest of ``buf[:n]`` (0-based); reorders ``buf[:n]``.

    Quickselect with median-of-three pivots and branch-free partitions (residuals are
    unordered, so a branchy partition mispredicts about every other element).
    """
    lo, hi = 0, n
    while hi - lo > 1:
        a, b, c = buf[lo], buf[(lo + hi) // 2], buf[hi - 1]
        pivot = max(min(a, b), min(max(a, b), c))
        j = _partition(buf, lo, hi, pivot, True)  # [lo, j) < pivot
        if k < j:
            hi = j
            continue
        m = _partition(buf, j, hi, pivot, False)  # [j, m) == pivot, m > j
        if k < m:
            return pivot
        lo = m
    return buf[lo]


@jit
def median_inplace(buf, n):
    """Median of ``buf[:n]`` as R's ``median`` (mean of the two middle values); reorders."""
    if n == 0:
        return np.nan
    k = (n - 1) // 2
    a = select_inplace(buf, n, k)
    if n % 2 == 1:
        return a
    le = 0
    b = np.inf
    for i in range(n):  # the (k + 1)-th smallest: a again, or the smallest above a
        x = buf[i]
        le += x <= a
        b = min(b, x if x > a else np.inf)
    if le > k + 1:
        b = a
    return 0.5 * (a + b)


@jit
def valid_positions(m_row, t0, t1, idx):
    """Branch-free compaction: ``idx[:count]`` = dates ``t0 <= t < t1`` with ``m_row[t]``."""
    count = 0
    for t in range(t0, t1):
        idx[count] = t
        count += m_row[t] != 0.0
    return count


@jit
def mosum_run(e_row, idx, ia, ib, idx_offset, n, denom, crit, direction, ring, pos, csum, count,
              stat, brk, mres, nres):
    """Advance one pixel's OLS-MOSUM monitoring over its valid dates ``idx[ia:ib]``.

    ``ring[:K]`` holds the last ``K`` prefix sums of the valid residuals (oldest at
    ``pos``), ``csum`` the newest; a window is the difference of two of them. ``stat`` is
    the running ``max |MOSUM|`` (-1 before the first window), ``brk`` the first date index
    (``+ idx_offset``) where the tested process exceeds ``crit sqrt(2 logPlus(count / n))``:
    ``|MOSUM|`` with ``direction`` 0 (R), ``-MOSUM`` with -1 (drops only), ``MOSUM`` with +1
    (rises only). Residuals are appended to ``mres`` (for the median). Returns the updated
    scalars.
    """
    k = ring.shape[0]
    can_break = denom > 0.0 and math.isfinite(denom)
    bound_flat = crit * math.sqrt(2.0)  # while count / n <= e, logPlus = 1
    for i in range(ia, ib):
        t = idx[i]
        e = e_row[t]
        new = csum + e
        window = new - ring[pos]
        ring[pos] = new
        pos += 1
        if pos == k:
            pos = 0
        csum = new
        count += 1
        signed = window / denom
        proc = abs(signed)
        if proc > stat or math.isnan(proc):
            stat = proc
        tested = proc if direction == 0 else direction * signed
        if brk < 0 and can_break and tested > bound_flat:
            x = count / n
            if x <= _E or tested > crit * math.sqrt(2.0 * math.log(x)):
                brk = t + idx_offset
        mres[nres] = e
        nres += 1
    return pos, csum, count, stat, brk, nres


@jit
def _fit_block(y, c0, nb, oc, nodata, use_nodata, des, th, roc, roc_crit, roc_bound, h, crit,
               direction, out_brk, out_stat, out_mag, out_hs, out_nh, out_status,
               keep, st_coef, st_sigma, st_count, st_ring, st_pos, st_csum, st_resid, ws):
    """Fit and monitor columns ``c0:c0+nb`` of ``y``, pixels ``oc:oc+nb`` of the outputs."""
    X, XT, ZT = des
    (yb, mb, xtx, xty, chol, beta, tmp, singular, ring, mres, rwork, rvec, ribuf) = ws
    T = y.shape[0]
    p = X.shape[1]
    load_block(y, c0, nb, nodata, use_nodata, yb, mb)
    hs = ribuf[0]
    idx = ribuf[1]
    for j in range(nb):
        hs[j] = 0
    if roc:
        for j in range(nb):
            hs[j] = roc_history_start(yb[j], mb[j], X, th, roc_crit, roc_bound, rwork, rvec,
                                      idx)
            for t in range(hs[j] if hs[j] >= 0 else th):
                mb[j, t] = 0.0
                yb[j, t] = 0.0
    normal_equations(yb, mb, XT, ZT, th, nb, xtx, xty)
    cholesky_solve(xtx, xty, p, nb, chol, beta, tmp, singular)
    residuals(yb, XT, beta, 0, T, nb)
    for j in range(nb):
        col = oc + j
        e_row = yb[j]
        m_row = mb[j]
        n = int(xtx[0, j])  # sum of the intercept's square: valid history dates
        nval = valid_positions(m_row, 0, T, idx)  # history first, then monitoring
        out_hs[col] = idx[0] if n > 0 else -1
        out_nh[col] = n
        out_brk[col] = -1
        out_stat[col] = np.nan
        out_mag[col] = np.nan
        k = math.floor(h * n)
        if hs[j] < 0:  # ROC impossible: R raises an error
            out_hs[col] = -1
            out_nh[col] = -hs[j] - 1
            out_status[col] = -2
        elif k <= 1 or n <= p:
            out_status[col] = -2
        else:
            out_status[col] = 0
        if keep:
            for q in range(p):
                st_coef[q, col] = beta[q, j]
            st_count[col] = n
            st_sigma[col] = np.nan
            st_pos[col] = 0
            st_csum[col] = 0.0
            for t in range(th, T):
                st_resid[t - th, col] = np.nan
        if out_status[col] == -2:
            continue
        ss = 0.0
        for t in range(th):
            ss += m_row[t] * e_row[t] * e_row[t]
        sigma = math.sqrt(ss / (n - p))
        if singular[j]:
            sigma = np.nan  # R: an NA coefficient makes the MOSUM process NA: never a break
        csum = 0.0  # prefix sums of the last k history residuals, oldest first
        for i in range(k):
            csum += e_row[idx[n - k + i]]
            ring[i] = csum
        pos, csum, count, stat, brk, nres = mosum_run(
            e_row, idx, n, nval, 0, n, sigma * math.sqrt(n), crit, direction, ring[:k], 0, csum, n,
            -1.0, -1, mres, 0)
        out_brk[col] = brk
        out_stat[col] = stat if nres > 0 else np.nan
        out_status[col] = 1 if brk >= 0 else 0
        if keep:
            st_sigma[col] = sigma
            st_count[col] = count
            st_pos[col] = pos
            st_csum[col] = csum
            for i in range(k):
                st_ring[i, col] = ring[i]
            for i in range(n, nval):
                st_resid[idx[i] - th, col] = e_row[idx[i]]
        out_mag[col] = median_inplace(mres, nres)


@jit
def scratch(T, th, p, nzp, pp, block):
    """Per-chunk scratch arrays of :func:`_fit_block`."""
    return (np.zeros((block, T)), np.zeros((block, T)), np.empty((nzp, block)),
            np.empty((pp, block)), np.empty((nzp, block)), np.empty((p, block)),
            np.empty(block), np.empty(block, dtype=np.int8), np.empty(max(th, 1)),
            np.empty(max(T - th, 1)), np.empty((p + 3, p)), np.empty((1, max(th, 1))),
            np.empty((2, max(T, block) + 1), dtype=np.int64))


@jit
def _fit_chunk(y, b0, b1, block, nodata, use_nodata, des, th, roc, roc_crit, roc_bound, h,
               crit, direction, out_brk, out_stat, out_mag, out_hs, out_nh, out_status, keep, st_coef,
               st_sigma, st_count, st_ring, st_pos, st_csum, st_resid):
    """Super-blocks ``b0:b1`` of ``STAGE`` pixels: copied once (rows read contiguously),
    then fitted in blocks of ``block`` pixels."""
    N = y.shape[1]
    T = y.shape[0]
    X, XT, ZT = des
    ws = scratch(T, th, X.shape[1], ZT.shape[0], XT.shape[0], block)
    stage = np.empty((T, STAGE), dtype=y.dtype)
    for ib in range(b0, b1):
        s0 = ib * STAGE
        ns = min(STAGE, N - s0)
        for t in range(T):
            for j in range(ns):
                stage[t, j] = y[t, s0 + j]
        for c0 in range(0, ns, block):
            _fit_block(stage, c0, min(block, ns - c0), s0 + c0, nodata, use_nodata, des, th,
                       roc, roc_crit, roc_bound, h, crit, direction, out_brk, out_stat, out_mag, out_hs,
                       out_nh, out_status, keep, st_coef, st_sigma, st_count, st_ring, st_pos,
                       st_csum, st_resid, ws)


@jit_parallel
def fit_parallel(y, nchunks, block, nodata, use_nodata, des, th, roc, roc_crit, roc_bound, h,
                 crit, direction, out_brk, out_stat, out_mag, out_hs, out_nh, out_status, keep, st_coef,
                 st_sigma, st_count, st_ring, st_pos, st_csum, st_resid):
    """Run :func:`_fit_block` over all pixels, chunks of super-blocks in parallel."""
    nblocks = (y.shape[1] + STAGE - 1) // STAGE
    for ci in prange(nchunks):
        b0 = ci * nblocks // nchunks
        b1 = (ci + 1) * nblocks // nchunks
        _fit_chunk(y, b0, b1, block, nodata, use_nodata, des, th, roc, roc_crit, roc_bound, h,
                   crit, direction, out_brk, out_stat, out_mag, out_hs, out_nh, out_status, keep, st_coef,
                   st_sigma, st_count, st_ring, st_pos, st_csum, st_resid)


@jit
def fit_serial(y, nchunks, block, nodata, use_nodata, des, th, roc, roc_crit, roc_bound, h,
               crit, direction, out_brk, out_stat, out_mag, out_hs, out_nh, out_status, keep, st_coef,
               st_sigma, st_count, st_ring, st_pos, st_csum, st_resid):
    """Single-threaded twin of :func:`fit_parallel` (no threading layer; releases the GIL)."""
    nblocks = (y.shape[1] + STAGE - 1) // STAGE
    _fit_chunk(y, 0, nblocks, block, nodata, use_nodata, des, th, roc, roc_crit, roc_bound, h,
               crit, direction, out_brk, out_stat, out_mag, out_hs, out_nh, out_status, keep, st_coef,
               st_sigma, st_count, st_ring, st_pos, st_csum, st_resid)
