"""Compiled loops of the bayts kernel (see :mod:`yvy.kernels.bayts` for the method).

The state machine runs over *rows*: every row is one date of one sensor, rows are sorted by
time and rows of the same date share a *step*. Pixels are processed in blocks (``prange``);
inside a block the loop is row-outer, pixel-inner, so each row is read contiguously.

This module imports numpy and numba only.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ._jit import jit, jit_parallel

# status codes of the per-pixel state machine (also the ``status`` output)
NO_DATA = -2
NO_MONITOR = -1
MONITORED = 0
FLAGGED = 1
CONFIRMED = 2

BLOCK = 256
"""Pixels per block of the parallel loop (the state of a block stays in L1/L2)."""

_POW2 = np.array([2.0 ** k for k in range(-64, 65)])
_LOG2E = 1.4426950408889634
_LN2_HI = 0.6931471803691238
_LN2_LO = 1.9082149292705877e-10
LOG_RATIO_CLIP = 40.0
"""|log density ratio| is clipped here: PNF stays in [4.2e-18, 1 - 4e-18] (R: exactly 0 where the
non-forest density underflows, i.e. beyond a ratio of about e^745)."""


def pnf_coefficients(f_mean: float, f_sd: float, nf_mean: float, nf_sd: float) -> tuple[float, float, float]:
    """``(a, b, c)`` with ``log N_F(x) - log N_NF(x) = (a x + b) x + c`` for Gaussian F and NF."""
    a = 0.5 * (1.0 / nf_sd ** 2 - 1.0 / f_sd ** 2)
    b = -(nf_mean / nf_sd ** 2 - f_mean / f_sd ** 2)
    c = math.log(nf_sd / f_sd) + 0.5 * (nf_mean ** 2 / nf_sd ** 2 - f_mean ** 2 / f_sd ** 2)
    return a, b, c


@jit(inline="always")
def _exp(v):
    """``exp(v)`` for ``|v| <= 40`` (clipped) in plain arithmetic, so loops using it vectorise:
    Cody-Waite reduction and a degree-11 Taylor polynomial, relative error < 1e-14."""
    v = min(max(v, -LOG_RATIO_CLIP), LOG_RATIO_CLIP)
    k = math.floor(v * _LOG2E + 0.5)
    r = (v - k * _LN2_HI) - k * _LN2_LO
    p = 1.0 + r * (1.0 + r * (0.5 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (
        1.0 / 720 + r * (1.0 / 5040 + r * (1.0 / 40320 + r * (1.0 / 362880 + r * (
            1.0 / 3628800 + r * (1.0 / 39916800)))))))))))
    return p * _POW2[int(k) + 64]


@jit(inline="always")
def conditional_pnf(x, a, b, c, lo, hi):
    """P(non-forest | x) = 1 / (1 + N_F(x) / N_NF(x)) from :func:`pnf_coefficients`, clipped to
    ``[lo, hi]`` (R ``calcPNF``)."""
    p = 1.0 / (1.0 + _exp((a * x + b) * x + c))
    return min(max(p, lo), hi)


@jit(inline="always")
def posterior(prior, likelihood):
    """Bayes' rule for a binary state (R ``calcPosterior``)."""
    a = prior * likelihood
    return a / (a + (1.0 - prior) * (1.0 - likelihood))


@jit(inline="always")
def _drop_chain(p, j, nch, ch_start, ch_p, ch_i, ch_conf, ch_counts, n_sensors):
    """Remove chain ``j`` of pixel ``p`` (later chains move up one slot)."""
    for q in range(j, nch - 1):
        ch_start[q, p] = ch_start[q + 1, p]
        ch_p[q, p] = ch_p[q + 1, p]
        ch_i[q, p] = ch_i[q + 1, p]
        ch_conf[q, p] = ch_conf[q + 1, p]
        for s in range(n_sensors):
            ch_counts[s, q, p] = ch_counts[s, q + 1, p]
    q = nch - 1
    ch_start[q, p] = np.nan
    ch_p[q, p] = np.nan
    ch_i[q, p] = 0
    ch_conf[q, p] = np.nan
    for s in range(n_sensors):
        ch_counts[s, q, p] = 0


@jit(inline="always")
def _process(p, tk, pnf, bits, n_sensors, start, chi, pnf_min, chi_weak, status, prev_pnf, n_monitor, nch_a,
             overflow, ch_start, ch_p, ch_i, ch_conf, ch_counts, weak, weak_p):
    """Advance pixel ``p`` by one date with fused probability ``pnf`` (R ``detectBayts``).

    Every monitored date with ``PNF >= pnf_min`` starts a chain; chains are kept in date
    order and the pixel's result is its earliest chain that was not rejected. ``weak`` /
    ``weak_p`` keep the first date on which any chain reached ``Pchange >= chi_weak`` (on a date
    with ``PNF >= pnf_min``, as a confirmation) and that Pchange: the weaker evidence the
    spatial rule (:mod:`yvy.kernels.grow`) lets a confirmed neighbour complete.
    """
    if status[p] == CONFIRMED:  # later dates that still look non-forest add to the confirmation counts
        if pnf >= pnf_min:
            for s in range(n_sensors):
                ch_counts[s, 0, p] += (bits >> s) & 1
        return
    if tk < start:
        prev_pnf[p] = pnf
        status[p] = NO_MONITOR
        return
    n_monitor[p] += 1
    nch = nch_a[p]
    j = 0
    while j < nch:
        if math.isnan(ch_conf[j, p]):
            post = posterior(ch_p[j, p], pnf)
            ch_p[j, p] = post
            ch_i[j, p] += 1
            for s in range(n_sensors):
                ch_counts[s, j, p] += (bits >> s) & 1
            if post < pnf_min:  # rejected (never on the chain's first date)
                _drop_chain(p, j, nch, ch_start, ch_p, ch_i, ch_conf, ch_counts, n_sensors)
                nch -= 1
                continue
            if post >= chi_weak and pnf >= pnf_min and math.isnan(weak[p]):
                weak[p] = tk
                weak_p[p] = post
            if post >= chi and pnf >= pnf_min:  # confirmed: later chains no longer matter
                ch_conf[j, p] = tk
                while nch > j + 1:
                    _drop_chain(p, nch - 1, nch, ch_start, ch_p, ch_i, ch_conf, ch_counts, n_sensors)
                    nch -= 1
                break
        j += 1
    if pnf >= pnf_min and (nch == 0 or math.isnan(ch_conf[nch - 1, p])):
        if nch < ch_p.shape[0]:
            post = posterior(prev_pnf[p], pnf)
            ch_start[nch, p] = tk
            ch_p[nch, p] = post
            ch_i[nch, p] = 0
            for s in range(n_sensors):
                ch_counts[s, nch, p] = (bits >> s) & 1
            ch_conf[nch, p] = tk if (post >= chi) else np.nan
            if post >= chi_weak and math.isnan(weak[p]):
                weak[p] = tk
                weak_p[p] = post
            nch += 1
        else:
            overflow[p] += 1
    prev_pnf[p] = pnf
    nch_a[p] = nch
    if nch == 0:
        status[p] = MONITORED
    elif math.isnan(ch_conf[0, p]):
        status[p] = FLAGGED
    else:
        status[p] = CONFIRMED


@jit_parallel
def run_rows(y0, y1, row_sensor, row_index, row_step, step_time, pdf, bwf_lo, bwf_hi, start, chi, pnf_min,
             chi_weak, status, prev_pnf, n_monitor, nch, overflow, ch_start, ch_p, ch_i, ch_conf, ch_counts,
             weak, weak_p):
    """Run the state machine of every pixel over all rows; state updated in place.

    Sensor 0's dates are the rows of ``y0`` (T0, N), sensor 1's those of ``y1`` (T1, N; may be
    empty). Row ``r`` of the merged series is row ``row_index[r]`` of sensor ``row_sensor[r]``,
    whose PNF coefficients are ``pdf[s]`` (:func:`pnf_coefficients`); ``row_step`` is non-decreasing and
    ``step_time[row_step[r]]`` the row's decimal year. Non-finite values are missing.
    """
    R = row_sensor.shape[0]
    N = y0.shape[1]
    S = pdf.shape[0]
    n_blocks = (N + BLOCK - 1) // BLOCK
    for b in numba.prange(n_blocks):
        p0 = b * BLOCK
        m = min(N, p0 + BLOCK) - p0
        acc = np.full(m, np.nan)
        bits = np.zeros(m, dtype=np.int64)
        r = 0
        while r < R:
            k = row_step[r]
            while r < R and row_step[r] == k:
                s = row_sensor[r]
                y = y0 if s == 0 else y1
                row = row_index[r]
                ca, cb, cc = pdf[s, 0], pdf[s, 1], pdf[s, 2]
                bit = 1 << s
                for j in range(m):  # branch-free, so that it vectorises
                    x = y[row, p0 + j]
                    ok = math.isfinite(x)
                    q = conditional_pnf(x if ok else 0.0, ca, cb, cc, bwf_lo, bwf_hi)
                    a = acc[j]
                    fused = q if math.isnan(a) else posterior(a, q)
                    acc[j] = fused if ok else a
                    bits[j] |= bit if ok else 0
                r += 1
            tk = step_time[k]
            monitored = tk >= start
            for j in range(m):
                if bits[j] != 0:
                    p = p0 + j
                    pnf = acc[j]
                    st = status[p]
                    if pnf < pnf_min and nch[p] == 0 and st != CONFIRMED:  # the common case: nothing open
                        prev_pnf[p] = pnf
                        if monitored:
                            n_monitor[p] += 1
                            status[p] = MONITORED
                        else:
                            status[p] = NO_MONITOR
                    elif st != CONFIRMED or pnf >= pnf_min:
                        _process(p, tk, pnf, bits[j], S, start, chi, pnf_min, chi_weak, status, prev_pnf,
                                 n_monitor, nch, overflow, ch_start, ch_p, ch_i, ch_conf, ch_counts, weak, weak_p)
                    acc[j] = np.nan
                    bits[j] = 0
