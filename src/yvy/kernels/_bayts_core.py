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

@jit(inline="always")
def conditional_pnf(x, f_mean, f_sd, nf_mean, nf_sd, lo, hi):
    """P(non-forest | x) from Gaussian F/NF densities, clipped to ``[lo, hi]`` (R ``calcPNF``).

    Computed as ``1 / (1 + N_F(x) / N_NF(x))`` with the density ratio from its log (one ``exp``);
    where ``N_NF`` underflows the ratio is infinite and the result 0, as in R.
    """
    zf = (x - f_mean) / f_sd
    zn = (x - nf_mean) / nf_sd
    log_ratio = math.log(nf_sd / f_sd) + 0.5 * (zn * zn - zf * zf)  # log N_F(x) - log N_NF(x)
    p = 1.0 / (1.0 + math.exp(log_ratio))
    if p < lo:
        p = lo
    if p > hi:
        p = hi
    return p


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
def _process(p, tk, pnf, bits, n_sensors, start, chi, pnf_min, status, prev_pnf, n_monitor, nch_a,
             overflow, ch_start, ch_p, ch_i, ch_conf, ch_counts):
    """Advance pixel ``p`` by one date with fused probability ``pnf`` (R ``detectBayts``).

    Every monitored date with ``PNF >= pnf_min`` starts a chain; chains are kept in date
    order and the pixel's result is its earliest chain that was not rejected.
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
             status, prev_pnf, n_monitor, nch, overflow, ch_start, ch_p, ch_i, ch_conf, ch_counts):
    """Run the state machine of every pixel over all rows; state updated in place.

    Sensor 0's dates are the rows of ``y0`` (T0, N), sensor 1's those of ``y1`` (T1, N; may be
    empty). Row ``r`` of the merged series is row ``row_index[r]`` of sensor ``row_sensor[r]``,
    whose pdf is ``pdf[s]`` (F mean, F sd, NF mean, NF sd); ``row_step`` is non-decreasing and
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
                f_mean, f_sd, nf_mean, nf_sd = pdf[s, 0], pdf[s, 1], pdf[s, 2], pdf[s, 3]
                for j in range(m):
                    x = y[row, p0 + j]
                    if math.isfinite(x):
                        q = conditional_pnf(x, f_mean, f_sd, nf_mean, nf_sd, bwf_lo, bwf_hi)
                        a = acc[j]
                        acc[j] = q if math.isnan(a) else posterior(a, q)
                        bits[j] |= 1 << s
                r += 1
            tk = step_time[k]
            for j in range(m):
                if bits[j] != 0:
                    _process(p0 + j, tk, acc[j], bits[j], S, start, chi, pnf_min, status, prev_pnf,
                             n_monitor, nch, overflow, ch_start, ch_p, ch_i, ch_conf, ch_counts)
                    acc[j] = np.nan
                    bits[j] = 0
