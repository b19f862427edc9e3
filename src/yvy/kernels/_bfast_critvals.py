"""Critical values of the two tests in BFAST Monitor, computed as R computes them.

* OLS-MOSUM monitoring (strucchange ``mefp``): the critical value is read from the
  simulated table ``monitorMECritvalTable`` by linear interpolation in ``1 - level``
  (R's ``approx``), for the bandwidth ``h`` and ``period = end = 10``.
* ROC history test (bfast ``history_roc``): a recursive-CUSUM test whose p-value is the
  closed-form Brownian-motion crossing probability of strucchange ``pvalue.efp``; its
  boundary (``boundary.efp``) is the root of ``p(x) = level`` found by R's ``uniroot``
  with the default tolerance (``.Machine$double.eps^0.25``), so it is *not* the exact
  root. :func:`roc_boundary` reproduces R's ``zeroin`` iteration step by step to get the
  same number.

Only numpy and math are imported here.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "MOSUM_BANDWIDTHS",
    "MOSUM_LEVELS",
    "mosum_critval",
    "rec_cusum_pvalue",
    "roc_boundary",
    "roc_critval",
]

# Transcribed from strucchange's ``monitorMECritvalTable`` (cran/strucchange
# R/critvals-monitoring.R @ 332efd5c; the same table ships in strucchangeRcpp, used by
# bfast 1.7.2): dim c(3, 5, 50, 2) = (h, period, 1 - alpha, functional). Only
# period "10" (bfastmonitor's ``end = 10``) and functional "max" are kept: one row per
# 1 - alpha = 0.950, 0.951, ..., 0.999, columns h = 0.25, 0.5, 1.
MOSUM_BANDWIDTHS = (0.25, 0.5, 1.0)
MOSUM_LEVELS = np.array([float(f"0.{950 + i}") for i in range(50)])
_MOSUM_PERIOD10_MAX = np.array([
    [1.34182451007628, 1.90200317899371, 2.74592761324742],
    [1.34439131451376, 1.90575941243566, 2.75332577427708],
    [1.34660319011975, 1.91003224799722, 2.76033090809588],
    [1.34915116589537, 1.91430116495002, 2.76795746388208],
    [1.35178587051693, 1.91852119221045, 2.77449341898917],
    [1.35417886044462, 1.92363924258536, 2.78377150533344],
    [1.3566836167395, 1.92813013037837, 2.79040905895933],
    [1.35948739899674, 1.93318354531244, 2.79791269784148],
    [1.36256898537193, 1.93819181548142, 2.80812472032002],
    [1.36577231193638, 1.94372394322678, 2.81585876288918],
    [1.36886320957607, 1.94920727427515, 2.82427033701458],
    [1.37237427017584, 1.95410938212938, 2.8345078182179],
    [1.37485167515552, 1.95942574616048, 2.84343425522273],
    [1.37831535555367, 1.96506931590280, 2.85360428459958],
    [1.38175120511989, 1.97097369401268, 2.86243265700872],
    [1.38537793038039, 1.97593043984907, 2.87265383703287],
    [1.38847324240149, 1.98160704981630, 2.88094199122226],
    [1.39145597087778, 1.98735507741592, 2.89140196762897],
    [1.39532955755002, 1.99344303519556, 2.90133608008974],
    [1.39911228012838, 1.99907859690203, 2.91248740560158],
    [1.40318773259415, 2.00698531362174, 2.92234001556265],
    [1.40748954375846, 2.01348511642423, 2.93310201832971],
    [1.41181372331003, 2.02095905934155, 2.94366180788666],
    [1.41569840195645, 2.02936696517065, 2.95594174585483],
    [1.41977723105019, 2.03644766225911, 2.96689759268915],
    [1.42381861952310, 2.04438785665452, 2.98001396428591],
    [1.42895669363032, 2.05338145412747, 2.99480828166113],
    [1.43363936425424, 2.05937675809378, 3.00867661799182],
    [1.43840514935644, 2.06616171881744, 3.02246324396029],
    [1.44307576181773, 2.07473789571604, 3.03394218534334],
    [1.44823608804569, 2.08287027642156, 3.04928862144923],
    [1.45331084387002, 2.09256864345591, 3.06559847575043],
    [1.45902908335449, 2.10195202161131, 3.08538712566800],
    [1.46557816998587, 2.11178013692067, 3.10344121252328],
    [1.47253053865670, 2.12170170901203, 3.12169013198376],
    [1.48057636069157, 2.13419420963212, 3.14546814874483],
    [1.48759284416558, 2.14425304938479, 3.16409611837069],
    [1.49517101820054, 2.15761471934841, 3.19331642253382],
    [1.50384229730937, 2.17377124717081, 3.21712193181301],
    [1.51208390469150, 2.19161080737738, 3.24079319998886],
    [1.52164497279622, 2.20907282819197, 3.27693245691716],
    [1.53436454805016, 2.22538374189696, 3.31144207023956],
    [1.54556159000357, 2.24728555022134, 3.34121663787019],
    [1.56036062897291, 2.26978232260259, 3.38431258247793],
    [1.57673206447201, 2.29570318746438, 3.42513870373182],
    [1.59797111384019, 2.32552183073452, 3.47422654487876],
    [1.61839672202083, 2.35917428857408, 3.5293634919398],
    [1.64940524297012, 2.41186736779604, 3.62095881900556],
    [1.68594331412298, 2.46579678405964, 3.73697935597481],
    [1.74550948894458, 2.57025529149703, 3.94102916093653],
])


def mosum_critval(h: float, level: float) -> float:
    """OLS-MOSUM monitoring critical value for bandwidth ``h`` and ``level`` (end = 10).

    Linear interpolation in ``1 - level`` over the table, as R's ``approx`` does;
    ``nan`` outside ``0.001 <= level <= 0.05`` (R stops there).
    """
    col = MOSUM_BANDWIDTHS.index(float(h))
    x = 1.0 - level
    if not (MOSUM_LEVELS[0] <= x <= MOSUM_LEVELS[-1]):
        return math.nan
    return float(np.interp(x, MOSUM_LEVELS, _MOSUM_PERIOD10_MAX[:, col]))


def _pnorm(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def rec_cusum_pvalue(x: float) -> float:
    """p-value of the recursive-CUSUM ``max`` statistic (strucchange ``pvalue.efp``).

    Brownian motion crossing the linear boundary ``x (1 + 2t)``, with ``k = 1``.
    """
    if x < 0.3:
        p = 1.0 - 0.1465 * x
    else:
        p = 2.0 * (1.0 - _pnorm(3.0 * x)
                   + math.exp(-4.0 * x * x) * (_pnorm(x) + _pnorm(5.0 * x) - 1.0)
                   - math.exp(-16.0 * x * x) * (1.0 - _pnorm(x)))
    return 1.0 - (1.0 - p)  # R: p <- 1 - (1 - p)^k with k = 1


def roc_critval(level: float) -> float:
    """Exact root of ``p(x) = level``: the ROC test rejects when its statistic exceeds it."""
    lo, hi = 0.0, 20.0
    for _ in range(200):  # bisection to the last bit
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if rec_cusum_pvalue(mid) > level:
            lo = mid
        else:
            hi = mid
    return hi


def _zeroin(f, ax: float, bx: float, fa: float, fb: float, tol: float, maxit: int) -> float:
    """Brent's root finder exactly as R's ``R_zeroin2`` (src/library/stats/src/zeroin.c)."""
    eps = np.finfo(float).eps
    a, b = ax, bx
    c, fc = a, fa
    if fa == 0.0:
        return a
    if fb == 0.0:
        return b
    for _ in range(maxit + 1):
        prev_step = b - a
        if abs(fc) < abs(fb):
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2.0 * eps * abs(b) + tol / 2.0
        new_step = (c - b) / 2.0
        if abs(new_step) <= tol_act or fb == 0.0:
            return b
        if abs(prev_step) >= tol_act and abs(fa) > abs(fb):
            cb = c - b
            if a == c:
                t1 = fb / fa
                p = cb * t1
                q = 1.0 - t1
            else:
                q = fa / fc
                t1 = fb / fc
                t2 = fb / fa
                p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
                q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            if p > 0.0:
                q = -q
            else:
                p = -p
            if p < (0.75 * cb * q - abs(tol_act * q) / 2.0) and p < abs(prev_step * q / 2.0):
                new_step = p / q
        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0.0 else -tol_act
        a, fa = b, fb
        b += new_step
        fb = f(b)
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    return b


def roc_boundary(level: float) -> float:
    """The ROC boundary level R uses: ``uniroot(p(x) - level, c(0, 20))$root``.

    R's default tolerance is ``.Machine$double.eps^0.25`` (about 1.2e-4), so this differs
    from :func:`roc_critval` in the fourth decimal; both are needed to match R (the test
    decision uses the exact p-value, the history start the crossing of this boundary).
    """
    def f(x):
        return rec_cusum_pvalue(x) - level

    tol = np.finfo(float).eps ** 0.25
    return _zeroin(f, 0.0, 20.0, f(0.0), f(20.0), tol, 1000)
