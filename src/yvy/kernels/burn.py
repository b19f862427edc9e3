"""Burn-severity kernels: best-clear compositing of an NBR time stack, dNBR, RdNBR and the
Key & Benson (2006) / USGS FIREMON severity classes.

This module imports only numpy, numba (through :mod:`._jit`) and the standard library.
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import jit

__all__ = ["CLASS_NAMES", "DNBR_BREAKS", "NODATA_CLASS", "composite", "severity"]

#: dNBR (x 1000) lower bounds of the burned classes 1..4 and the upper bound of regrowth (Key & Benson 2006;
#: USGS FIREMON): < -100 regrowth, -100..99 unburned, 100..269 low, 270..439 moderate-low,
#: 440..659 moderate-high, >= 660 high.
DNBR_BREAKS = (-100.0, 100.0, 270.0, 440.0, 660.0)
CLASS_NAMES = {0: "unburned", 1: "low", 2: "moderate-low", 3: "moderate-high", 4: "high", 5: "regrowth"}
NODATA_CLASS = 255


@jit
def _composite(stack, last, out):  # pragma: no cover - compiled
    nt, ny, nx = stack.shape
    for y in range(ny):
        for x in range(nx):
            out[y, x] = np.nan
            for k in range(nt):
                t = nt - 1 - k if last else k
                v = stack[t, y, x]
                if not math.isnan(v):
                    out[y, x] = v
                    break


def composite(stack: np.ndarray, *, last: bool) -> np.ndarray:
    """Per pixel, the latest (``last``) or earliest valid value of a (time, y, x) stack.

    Pre-fire scenes use the latest clear view before the fire, post-fire scenes the earliest
    clear view after it: the best clear pair for each pixel, not for the scene.

    Examples
    --------
    >>> s = np.array([[[0.5]], [[np.nan]], [[0.2]]], dtype=np.float32)
    >>> float(composite(s, last=True)[0, 0]), float(composite(s, last=False)[0, 0])
    (0.2, 0.5)
    """
    s = np.ascontiguousarray(stack, dtype=np.float32)
    out = np.empty(s.shape[1:], dtype=np.float32)
    _composite(s, bool(last), out)
    return out


@jit
def _severity(pre, post, breaks, dnbr, rdnbr, klass):  # pragma: no cover - compiled
    ny, nx = pre.shape
    for y in range(ny):
        for x in range(nx):
            a = pre[y, x]
            b = post[y, x]
            if math.isnan(a) or math.isnan(b):
                dnbr[y, x] = np.nan
                rdnbr[y, x] = np.nan
                klass[y, x] = 255
                continue
            d = (a - b) * 1000.0
            dnbr[y, x] = d
            rdnbr[y, x] = d / math.sqrt(max(abs(a), 0.001))
            if d < breaks[0]:
                klass[y, x] = 5
            elif d < breaks[1]:
                klass[y, x] = 0
            elif d < breaks[2]:
                klass[y, x] = 1
            elif d < breaks[3]:
                klass[y, x] = 2
            elif d < breaks[4]:
                klass[y, x] = 3
            else:
                klass[y, x] = 4


def severity(pre_nbr: np.ndarray, post_nbr: np.ndarray, breaks=DNBR_BREAKS):
    """dNBR (x 1000), RdNBR (Miller & Thode 2007) and severity class of each pixel.

    Returns
    -------
    tuple of numpy.ndarray
        ``dnbr`` float32, ``rdnbr`` float32 (``dNBR / sqrt(|pre NBR|)``, NaN where missing),
        ``klass`` uint8 (:data:`CLASS_NAMES`; 255 no data).

    Examples
    --------
    >>> d, r, k = severity(np.array([[0.6, 0.6, 0.3]]), np.array([[0.55, -0.2, 0.5]]))
    >>> d.round().tolist(), k.tolist()
    ([[50.0, 800.0, -200.0]], [[0, 4, 5]])
    """
    pre = np.ascontiguousarray(pre_nbr, dtype=np.float64)
    post = np.ascontiguousarray(post_nbr, dtype=np.float64)
    if pre.shape != post.shape:
        raise ValueError(f"pre and post shapes differ: {pre.shape} vs {post.shape}")
    dnbr = np.empty(pre.shape, np.float32)
    rdnbr = np.empty(pre.shape, np.float32)
    klass = np.empty(pre.shape, np.uint8)
    _severity(pre, post, np.asarray(breaks, dtype=np.float64), dnbr, rdnbr, klass)
    return dnbr, rdnbr, klass
