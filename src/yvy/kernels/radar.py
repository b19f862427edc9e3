"""Radar backscatter kernels on (T, y, x) float arrays: speckle filter, temporal medians,
per-date spatial percentiles.

* :func:`quegan_filter` - the multi-temporal speckle filter of Quegan & Yu (2001):
  ``J_t(p) = <I_t>(p) / N(p) * sum_i I_i(p) / <I_i>(p)`` on linear power, where ``<I>`` is the
  boxcar mean over a ``window`` x ``window`` neighbourhood (NaN ignored) and the sum runs over
  the N(p) dates valid at ``p`` (all dates, or the ``half_dates`` nearest on each side).
* :func:`causal_quegan` - the same filter made **causal** for monitoring: each date uses itself and
  up to ``n`` previous dates (of one orbit), never later ones, carried in a fixed-size per-pixel
  buffer of the previous dates' ratios ``I_i / <I_i>`` so a run can be continued exactly.
* :func:`temporal_median` - per-pixel median over the dates selected by a boolean mask.
* :func:`block_mean` - NaN-ignoring mean of each ``k`` x ``k`` block of each date (power of a
  finer radar grid averaged over the pixels of a coarser one).
* :func:`date_percentiles` - per-date spatial percentile (R ``quantile`` type 7, i.e. linear
  interpolation between order statistics, as numpy's default) of the values within
  ``[lo, hi]``; :func:`date_percentiles_blocks` - the same, exactly, over a grid read block by
  block (two streaming passes of 16-bit radix counts; for whole tiles).

numpy + numba only; NaN means no data everywhere.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from ._jit import jit, jit_parallel

__all__ = ["causal_quegan", "quegan_filter", "temporal_median", "date_percentiles", "date_percentiles_blocks",
           "box_mean", "block_mean"]


@jit
def _box_mean_2d(img, window, out):
    ny, nx = img.shape
    csum = np.zeros((ny + 1, nx + 1))
    ccnt = np.zeros((ny + 1, nx + 1))
    for y in range(ny):
        rs = 0.0
        rc = 0.0
        for x in range(nx):
            v = img[y, x]
            if not math.isnan(v):
                rs += v
                rc += 1.0
            csum[y + 1, x + 1] = csum[y, x + 1] + rs
            ccnt[y + 1, x + 1] = ccnt[y, x + 1] + rc
    h = window // 2
    for y in range(ny):
        y0 = max(0, y - h)
        y1 = min(ny, y + h + 1)
        for x in range(nx):
            x0 = max(0, x - h)
            x1 = min(nx, x + h + 1)
            s = csum[y1, x1] - csum[y0, x1] - csum[y1, x0] + csum[y0, x0]
            c = ccnt[y1, x1] - ccnt[y0, x1] - ccnt[y1, x0] + ccnt[y0, x0]
            out[y, x] = s / c if c > 0 else np.nan


@jit_parallel
def _box_mean_3d(stack, window, out):
    for t in prange(stack.shape[0]):
        _box_mean_2d(stack[t], window, out[t])


def box_mean(stack: np.ndarray, window: int) -> np.ndarray:
    """NaN-ignoring boxcar mean of each date of a (T, y, x) stack (edges use the pixels inside).

    Examples
    --------
    >>> a = np.array([[[1.0, 2.0, 3.0], [4.0, np.nan, 6.0], [7.0, 8.0, 9.0]]])
    >>> float(box_mean(a, 3)[0, 1, 1])
    5.0
    """
    stack = _as3d(stack)
    out = np.empty(stack.shape, dtype="float64")
    _box_mean_3d(stack, int(window), out)
    return out


@jit_parallel
def _block_mean_3d(stack, k, out):
    nt, ny, nx = out.shape
    for r in prange(nt * ny):
        t = r // ny
        y = r % ny
        for x in range(nx):
            s = 0.0
            c = 0
            for i in range(y * k, y * k + k):
                for j in range(x * k, x * k + k):
                    v = stack[t, i, j]
                    if not math.isnan(v):
                        s += v
                        c += 1
            out[t, y, x] = s / c if c > 0 else np.nan


def block_mean(stack: np.ndarray, k: int) -> np.ndarray:
    """NaN-ignoring mean of each ``k`` x ``k`` block of each date: (T, y*k, x*k) -> (T, y, x) float64
    (NaN where a block has no valid value).

    Examples
    --------
    >>> a = np.array([[[1.0, 3.0, 5.0, 5.0], [np.nan, 2.0, 5.0, 5.0]]])
    >>> block_mean(a, 2).tolist()
    [[[2.0, 5.0]]]
    """
    stack = _as3d(stack)
    k = int(k)
    t, h, w = stack.shape
    if k < 1 or h % k or w % k:
        raise ValueError(f"a {h} x {w} grid is not made of {k} x {k} blocks")
    out = np.empty((t, h // k, w // k), dtype="float64")
    _block_mean_3d(stack, k, out)
    return out


@jit_parallel
def _quegan(stack, means, half, out):
    nt, ny, nx = stack.shape
    for y in prange(ny):
        acc = np.zeros(nt + 1)  # prefix sums over time of I_i / <I_i> and of valid counts
        cnt = np.zeros(nt + 1)
        for x in range(nx):
            for t in range(nt):
                v = stack[t, y, x]
                m = means[t, y, x]
                ok = not math.isnan(v) and m > 0
                acc[t + 1] = acc[t] + (v / m if ok else 0.0)
                cnt[t + 1] = cnt[t] + (1.0 if ok else 0.0)
            for t in range(nt):
                if math.isnan(stack[t, y, x]) or not means[t, y, x] > 0:
                    out[t, y, x] = np.nan
                    continue
                lo = 0 if half < 0 else max(0, t - half)
                hi = nt if half < 0 else min(nt, t + half + 1)
                out[t, y, x] = means[t, y, x] * (acc[hi] - acc[lo]) / (cnt[hi] - cnt[lo])


def quegan_filter(power: np.ndarray, window: int = 5, half_dates: int | None = None) -> np.ndarray:
    """Multi-temporal speckle filter (Quegan & Yu 2001) of a (T, y, x) **linear power** stack.

    Parameters
    ----------
    power
        Linear backscatter power (not dB), NaN for no data.
    window
        Odd side of the boxcar used for the local means ``<I_t>``.
    half_dates
        Use the ``half_dates`` dates on each side of ``t`` (None: every date).

    Returns
    -------
    numpy.ndarray
        float64 (T, y, x); NaN where the input is NaN. A stack whose dates are all equal to
        their local means (no speckle) is returned unchanged.

    Examples
    --------
    >>> a = np.full((2, 3, 3), 0.1)
    >>> bool(np.allclose(quegan_filter(a, 3), 0.1))
    True
    """
    if window < 1 or window % 2 == 0:
        raise ValueError(f"window must be an odd positive integer, got {window}")
    stack = _as3d(power)
    means = box_mean(stack, window)
    out = np.empty(stack.shape, dtype="float64")
    _quegan(stack, means, -1 if half_dates is None else int(half_dates), out)
    return out


@jit_parallel
def _local_means(stack, window, r0, c0, ny, nx, out):
    """Boxcar means (NaN ignored) of the (ny, nx) block at (r0, c0) of each date, the box clipped
    to ``stack``: row sums over the box's columns, then sums of those over its rows, so a pixel's
    mean depends only on the values in its box (not on where the array read starts)."""
    nt, big_y, big_x = stack.shape
    half = window // 2
    ya, yb = max(0, r0 - half), min(big_y, r0 + ny + half)
    for t in prange(nt):
        rs = np.zeros((yb - ya, nx))
        rc = np.zeros((yb - ya, nx))
        for a in range(ya, yb):
            for x in range(nx):
                xx = x + c0
                s = 0.0
                c = 0.0
                for b in range(max(0, xx - half), min(big_x, xx + half + 1)):
                    v = stack[t, a, b]
                    if not math.isnan(v):
                        s += v
                        c += 1.0
                rs[a - ya, x] = s
                rc[a - ya, x] = c
        for y in range(ny):
            yy = y + r0
            for x in range(nx):
                s = 0.0
                c = 0.0
                for a in range(max(0, yy - half), min(big_y, yy + half + 1)):
                    s += rs[a - ya, x]
                    c += rc[a - ya, x]
                out[t, y, x] = s / c if c > 0 else np.nan


@jit_parallel
def _causal_quegan(stack, means, r0, c0, buf, out):
    nt, ny, nx = out.shape
    nb = buf.shape[0]
    for y in prange(ny):
        for x in range(nx):
            for t in range(nt):
                m = means[t, y, x]
                v = stack[t, y + r0, x + c0]
                ok = not math.isnan(v) and m > 0
                r = v / m if ok else np.nan
                if ok:
                    acc = r
                    n = 1.0
                    for k in range(nb):
                        q = buf[k, y, x]
                        if not math.isnan(q):
                            acc += q
                            n += 1.0
                    out[t, y, x] = m * acc / n
                else:
                    out[t, y, x] = np.nan
                if nb > 0:
                    for k in range(nb - 1):
                        buf[k, y, x] = buf[k + 1, y, x]
                    buf[nb - 1, y, x] = r


def causal_quegan(power: np.ndarray, window: int, buffer: np.ndarray,
                  inner: tuple[int, int] = (0, 0)) -> np.ndarray:
    """Causal multi-temporal speckle filter of one orbit's (T, Y, X) **linear power** dates.

    ``J_t(p) = <I_t>(p) / N * (I_t(p) / <I_t>(p) + sum_k I_k(p) / <I_k>(p))`` over the ratios of
    the ``n`` previous dates held in ``buffer`` (``(n, y, x)`` float64, NaN = none; oldest first),
    valid ones only (``N`` counts them). ``buffer`` is updated in place (each date's ratio pushed,
    the oldest dropped), so filtering dates in two calls equals one call. ``<I>`` is the
    NaN-ignoring ``window`` x ``window`` boxcar mean inside the array given; ``power`` may carry a
    halo around the pixels filtered: the output is the ``(y, x)`` block of the buffer's shape
    starting at ``inner`` (row, col offsets into ``power``).

    Examples
    --------
    >>> p = np.full((3, 4, 4), 0.1)
    >>> buf = np.full((2, 4, 4), np.nan)
    >>> bool(np.allclose(causal_quegan(p, 3, buf), 0.1)) and bool(np.allclose(buf, 1.0))
    True
    """
    if window < 1 or window % 2 == 0:
        raise ValueError(f"window must be an odd positive integer, got {window}")
    stack = _as3d(power)
    if buffer.ndim != 3 or buffer.dtype != np.float64:
        raise ValueError("buffer must be a float64 (n, y, x) array")
    ny, nx = buffer.shape[1:]
    r0, c0 = int(inner[0]), int(inner[1])
    if r0 < 0 or c0 < 0 or r0 + ny > stack.shape[1] or c0 + nx > stack.shape[2]:
        raise ValueError("the filtered block lies outside the array given")
    means = np.empty((stack.shape[0], ny, nx), dtype="float64")
    _local_means(stack, int(window), r0, c0, ny, nx, means)
    out = np.empty((stack.shape[0], ny, nx), dtype="float64")
    _causal_quegan(stack, means, r0, c0, buffer, out)
    return out


@jit_parallel
def _tmedian(stack, use, out):
    nt, ny, nx = stack.shape
    for y in prange(ny):
        buf = np.empty(nt)
        for x in range(nx):
            n = 0
            for t in range(nt):
                v = stack[t, y, x]
                if use[t] and not math.isnan(v):
                    buf[n] = v
                    n += 1
            out[y, x] = np.median(buf[:n]) if n > 0 else np.nan


def temporal_median(stack: np.ndarray, use: np.ndarray | None = None) -> np.ndarray:
    """Per-pixel median over the dates where ``use`` is True (default: all), NaN ignored.

    Examples
    --------
    >>> a = np.array([1.0, 5.0, np.nan, 3.0]).reshape(4, 1, 1)
    >>> float(temporal_median(a)[0, 0])
    3.0
    """
    stack = _as3d(stack)
    use = np.ones(stack.shape[0], bool) if use is None else np.asarray(use, bool)
    out = np.empty(stack.shape[1:], dtype="float64")
    _tmedian(stack, use, out)
    return out


@jit_parallel
def _percentiles(stack, q, lo, hi, out):
    nt, ny, nx = stack.shape
    for t in prange(nt):
        buf = np.empty(ny * nx)
        n = 0
        for y in range(ny):
            for x in range(nx):
                v = stack[t, y, x]
                if not math.isnan(v) and v >= lo and v <= hi:
                    buf[n] = v
                    n += 1
        if n == 0:
            out[t] = np.nan
            continue
        h = (n - 1) * q
        k = int(math.floor(h))
        part = np.partition(buf[:n], k)  # O(n) selection of the k-th order statistic
        if k + 1 >= n:
            out[t] = part[k]
        else:
            out[t] = part[k] + (h - k) * (part[k + 1:].min() - part[k])


def date_percentiles(stack: np.ndarray, q: float, lo: float = -np.inf,
                     hi: float = np.inf) -> np.ndarray:
    """Spatial percentile ``q`` (0..1, R type 7) of each date of (T, y, x), over values in
    ``[lo, hi]``; NaN for a date with no such value.

    Examples
    --------
    >>> a = np.arange(9.0).reshape(1, 3, 3)
    >>> float(date_percentiles(a, 0.5)[0])
    4.0
    """
    if not 0 <= q <= 1:
        raise ValueError(f"percentile must be within 0..1, got {q}")
    stack = _as3d(stack)
    out = np.empty(stack.shape[0], dtype="float64")
    _percentiles(stack, float(q), float(lo), float(hi), out)
    return out


def _as3d(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype="float64")
    if a.ndim != 3:
        raise ValueError(f"expected a (T, y, x) array, got shape {a.shape}")
    return np.ascontiguousarray(a)


# -- exact per-date percentiles of a grid read block by block -------------------------------------
_NBIN = 65536


@jit_parallel
def _hist_top(bits, counts):
    """counts[t, top 16 bits of the sortable key] += 1 for every non-NaN float32 (as uint32 bits)."""
    nt, n = bits.shape
    for t in prange(nt):
        for i in range(n):
            b = bits[t, i]
            if (b & np.uint32(0x7FFFFFFF)) > np.uint32(0x7F800000):
                continue  # NaN
            key = (~b) if b & np.uint32(0x80000000) else (b | np.uint32(0x80000000))
            counts[t, key >> np.uint32(16)] += 1


@jit_parallel
def _hist_low(bits, prefix, counts):
    """counts[t, j, low 16 bits] += 1 for the keys whose top 16 bits equal prefix[t, j]."""
    nt, n = bits.shape
    for t in prange(nt):
        for i in range(n):
            b = bits[t, i]
            if (b & np.uint32(0x7FFFFFFF)) > np.uint32(0x7F800000):
                continue
            key = (~b) if b & np.uint32(0x80000000) else (b | np.uint32(0x80000000))
            top = np.int64(key >> np.uint32(16))
            for j in range(2):
                if top == prefix[t, j]:
                    counts[t, j, key & np.uint32(0xFFFF)] += 1


def _key_value(key: int) -> float:
    """The float32 value (as float) of a sortable key."""
    bits = key ^ 0x80000000 if key & 0x80000000 else (~key) & 0xFFFFFFFF
    return float(np.array([bits], dtype=np.uint32).view(np.float32)[0])


def date_percentiles_blocks(blocks, n_dates: int, q: float) -> np.ndarray:
    """:func:`date_percentiles` (R type 7) of each date over a grid given block by block, exactly.

    ``blocks()`` returns an iterable of ``(n_dates, ...)`` float32 arrays covering the grid once
    (NaN = no data); it is called twice. Each float32 maps to a sortable 32-bit key; the first
    pass counts each date's keys by their top 16 bits, the second counts the low 16 bits of the
    two buckets holding the order statistics ``k`` and ``k + 1`` (``h = (n - 1) q``), which pins
    both values exactly. Memory: two (n_dates, 65536) count tables besides one block, so a whole
    tile's percentiles are computed in one streaming read per pass.
    """
    if not 0 <= q <= 1:
        raise ValueError(f"percentile must be within 0..1, got {q}")
    top = np.zeros((n_dates, _NBIN), np.int64)
    for blk in blocks():
        _hist_top(_bits(blk, n_dates), top)
    n = top.sum(axis=1)
    out = np.full(n_dates, np.nan)
    want = np.zeros((n_dates, 2), np.int64)  # rank of order statistic k and k + 1
    prefix = np.full((n_dates, 2), -1, np.int64)
    cum = np.cumsum(top, axis=1)
    for t in range(n_dates):
        if n[t] == 0:
            continue
        h = (n[t] - 1) * q
        k = int(math.floor(h))
        for j, r in enumerate((k, min(k + 1, n[t] - 1))):
            b = int(np.searchsorted(cum[t], r, side="right"))
            prefix[t, j], want[t, j] = b, r - (cum[t, b - 1] if b else 0)
    low = np.zeros((n_dates, 2, _NBIN), np.int64)
    for blk in blocks():
        _hist_low(_bits(blk, n_dates), prefix, low)
    for t in range(n_dates):
        if n[t] == 0:
            continue
        v = [_key_value((int(prefix[t, j]) << 16) | int(np.searchsorted(np.cumsum(low[t, j]), want[t, j],
                                                                          side="right"))) for j in range(2)]
        h = (n[t] - 1) * q
        k = math.floor(h)
        out[t] = v[0] if k + 1 >= n[t] else v[0] + (h - k) * (v[1] - v[0])
    return out


def _bits(block: np.ndarray, n_dates: int) -> np.ndarray:
    a = np.ascontiguousarray(np.asarray(block, dtype=np.float32).reshape(n_dates, -1))
    return a.view(np.uint32)
