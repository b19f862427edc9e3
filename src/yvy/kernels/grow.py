"""Spatial confirmation of per-pixel change times: hysteresis in space, a minimum mapping unit, in time.

A clearing is a patch, and its pixels do not all cross a confirmation threshold: a pixel at the
patch's edge, or one with fewer clear dates, may reach only weaker evidence. Given per pixel a
*confirmed* time ``c`` (strong evidence, e.g. bayts ``Pchange >= chi``) and a *weak* time
``w <= c`` (e.g. ``Pchange >= chi_weak``), a pixel is alerted at the earliest time ``t`` at which

* it is a *member* (``w <= t``), and
* its 4- (or 8-) connected component of members at ``t`` holds at least one pixel confirmed by
  ``t`` (``c <= t``: the hysteresis of Canny's edge detector, in space) and at least
  ``min_pixels`` members (a minimum mapping unit).

With a ``window`` (in the unit of the times), two neighbouring members are connected only when
their evidence is close in time: when ``|w_p - w_q| <= window``, or, once a pixel is confirmed,
its *flag* time ``f`` (the start of the evidence that confirmed it; ``f <= c``) is within the
window of the other's ``w`` or ``f``. Two clearings months apart that touch stay two events, and
the weak evidence that noise leaves here and there over a long monitoring period does not chain
into one component across the grid (with no window, a weak share above the 4-connected site
percolation threshold, about 0.59, connects almost everything). The flag time matters for a pixel
whose first weak evidence was an earlier false start: its confirmation still connects it to the
neighbours of its real change.

Every condition only grows with ``t`` (an edge, once there, stays), so the result is causal: it
depends only on dates up to ``t`` and equals what a run stopped at any earlier date gives there.
Pass ``w = c`` for a minimum mapping unit alone, ``min_pixels = 1`` for hysteresis alone.

The computation is a union-find over the grid in time order, on time ranks (int16 or int32 into
the sorted distinct times): per pixel 6 bytes of input ranks and 11 of work (parent with the
component size in the root, a circular list of each component's members, the output rank, flags),
about 2 GB for a 10,980² tile whatever the share of members. Imports only numpy and numba.
"""

from __future__ import annotations

import numpy as np

from ._jit import jit

__all__ = ["rule_times", "spatial_confirm", "spatial_confirm_ranks", "time_ranks"]


@jit
def _find(parent, x):
    """Root of ``x`` (a root holds minus its component's size), with path compression."""
    r = x
    while parent[r] >= 0:
        r = parent[r]
    while parent[x] >= 0 and parent[x] != r:
        nx = parent[x]
        parent[x] = r
        x = nx
    return r


@jit
def _mark(r, nxt, out, t):
    """Give rank ``t`` to every member of the circular list through ``r`` (none of them set)."""
    x = r
    while True:
        out[x] = t
        x = nxt[x]
        if x == r:
            break


@jit
def _check(r, parent, flags, min_pixels, nxt, out, t):
    if not flags[r] & 2 and flags[r] & 1 and -parent[r] >= min_pixels:
        flags[r] |= 2
        _mark(r, nxt, out, t)


@jit
def _near(p, q, t, w, c, f, times, window):
    """Whether members ``p`` and ``q`` are connected at rank ``t`` under the time window."""
    wp, wq = times[w[p]], times[w[q]]
    if abs(wp - wq) <= window:
        return True
    fp = c[p] >= 0 and c[p] <= t and f[p] >= 0
    fq = c[q] >= 0 and c[q] <= t and f[q] >= 0
    if fp and (abs(times[f[p]] - wq) <= window or (fq and abs(times[f[p]] - times[f[q]]) <= window)):
        return True
    return fq and abs(times[f[q]] - wp) <= window


@jit
def _union(p, q, parent, nxt, flags, out, t):
    a = _find(parent, p)
    b = _find(parent, q)
    if a == b:
        return a
    if flags[a] & 2 and not flags[b] & 2:
        _mark(b, nxt, out, t)
    elif flags[b] & 2 and not flags[a] & 2:
        _mark(a, nxt, out, t)
    if parent[a] > parent[b]:  # sizes are negative: a is the smaller one
        a, b = b, a
    parent[a] += parent[b]
    parent[b] = a
    na = nxt[a]
    nxt[a] = nxt[b]  # splice the two circular lists
    nxt[b] = na
    flags[a] |= flags[b]
    return a


@jit
def _link(p, t, w, c, f, times, window, use_window, parent, nxt, flags, out, width, height, conn8):
    """Connect member ``p`` at rank ``t`` with its member neighbours (those with ``w <= t``)."""
    r0 = p // width
    c0 = p - r0 * width
    for k in range(8 if conn8 else 4):
        if k < 4:
            rr = r0 + (-1, 1, 0, 0)[k]
            cc = c0 + (0, 0, -1, 1)[k]
        else:
            rr = r0 + (-1, -1, 1, 1)[k - 4]
            cc = c0 + (-1, 1, -1, 1)[k - 4]
        if rr < 0 or rr >= height or cc < 0 or cc >= width:
            continue
        q = rr * width + cc
        if w[q] < 0 or w[q] > t:
            continue
        if use_window and not _near(p, q, t, w, c, f, times, window):
            continue
        _union(p, q, parent, nxt, flags, out, t)


@jit
def _run(w, c, f, times, n_times, width, min_pixels, conn8, window, use_window):  # pragma: no cover - compiled
    """The rule on flat rank arrays (``w`` the join rank, -1: not a member; ``c`` the
    confirmation rank, -1: never; ``f`` the flag rank of a confirmed pixel). Returns each pixel's
    alert rank (-1: none), in the dtype of ``w``."""
    n = w.shape[0]
    height = n // width
    parent = np.full(n, -1, np.int32)
    nxt = np.arange(n).astype(np.int32)
    out = np.full(n, -1, w.dtype)
    flags = np.zeros(n, np.uint8)
    for t in range(n_times):  # everything at rank t gets rank t: the order within t does not matter
        for p in range(n):
            joins, confirms = w[p] == t, c[p] == t
            if not (joins or confirms):
                continue
            if joins or use_window:  # a confirmation adds the edges of its flag time
                _link(p, t, w, c, f, times, window, use_window, parent, nxt, flags, out, width, height, conn8)
            r = _find(parent, p)
            if confirms:
                flags[r] |= 1
            _check(r, parent, flags, min_pixels, nxt, out, t)
    return out


def rank_dtype(n_times: int):
    """The narrowest signed integer dtype that holds ranks ``-1 .. n_times - 1``."""
    return np.int16 if n_times < 2 ** 15 else np.int32


def time_ranks(times: np.ndarray, *arrays: np.ndarray) -> list[np.ndarray]:
    """Ranks (int16 or int32, :func:`rank_dtype`; -1 for NaN) of ``arrays``' values in the sorted
    distinct ``times``."""
    out = []
    for a in arrays:
        r = np.searchsorted(times, a).astype(rank_dtype(times.size))
        r[~np.isfinite(a)] = -1
        out.append(r)
    return out


def spatial_confirm_ranks(weak: np.ndarray, confirmed: np.ndarray, flagged: np.ndarray, times: np.ndarray,
                          min_pixels: int = 1, connectivity: int = 4, window: float | None = None) -> np.ndarray:
    """The rule on 2-D time-rank grids (:func:`time_ranks` into the sorted distinct ``times``):
    ``weak`` / ``confirmed`` / ``flagged`` (-1: none; a member's weak rank is taken as
    ``min(weak, confirmed)``; ``flagged`` is read only where ``confirmed`` is set). Returns the
    alert ranks (-1: not alerted). Memory: the three inputs and 11 bytes a pixel."""
    if connectivity not in (4, 8):
        raise ValueError("connectivity must be 4 or 8")
    if window is not None and not window >= 0:
        raise ValueError("window must be >= 0")
    dt = rank_dtype(times.size)
    c = np.ascontiguousarray(confirmed, dt).ravel()
    w = np.ascontiguousarray(weak, dt).ravel()
    earlier = (c >= 0) & ((w < 0) | (c < w))  # confirmed before (or without) a weak time
    if earlier.any():
        w = np.where(earlier, c, w)
    del earlier
    f = np.ascontiguousarray(flagged, dt).ravel()
    out = _run(w, c, f, np.asarray(times, np.float64), int(times.size), int(np.shape(weak)[1]),
               int(max(1, min_pixels)), connectivity == 8, float(np.inf if window is None else window),
               window is not None)
    return out.reshape(np.shape(weak))


def spatial_confirm(weak: np.ndarray, confirmed: np.ndarray, min_pixels: int = 1, connectivity: int = 4,
                    flagged: np.ndarray | None = None, window: float | None = None) -> np.ndarray:
    """The rule on whole grids: ``weak``, ``confirmed`` (and, for a window, ``flagged``) are 2-D
    time arrays (NaN: none); returns the alert times (NaN: none).

    Examples
    --------
    >>> nan = np.nan
    >>> weak = np.array([[2016.1, 2016.2, nan, 2016.1]])
    >>> conf = np.array([[nan, 2016.3, nan, 2016.1]])
    >>> spatial_confirm(weak, conf).tolist()  # the left pixel joins its confirmed neighbour
    [[2016.3, 2016.3, nan, 2016.1]]
    >>> spatial_confirm(weak, conf, min_pixels=2).tolist()  # the lone right pixel is too small
    [[2016.3, 2016.3, nan, nan]]
    >>> spatial_confirm(weak, conf, window=0.05).tolist()  # 2016.1 and 2016.2: too far apart
    [[nan, 2016.3, nan, 2016.1]]
    """
    weak, confirmed = np.asarray(weak, np.float64), np.asarray(confirmed, np.float64)
    flagged = np.full(weak.shape, np.nan) if flagged is None else np.asarray(flagged, np.float64)
    flagged = np.where(np.isfinite(confirmed), flagged, np.nan)
    finite = [a[np.isfinite(a)] for a in (weak, confirmed, flagged)]
    times = np.unique(np.concatenate(finite))
    ranks = spatial_confirm_ranks(*time_ranks(times, weak, confirmed, flagged), times, min_pixels, connectivity,
                                  window)
    return np.where(ranks >= 0, times[np.maximum(ranks, 0)] if times.size else np.nan, np.nan)


def rule_times(out: dict, chi: float, chi_weak: float | None, min_pixels: int,
               window: float | None = None) -> np.ndarray:
    """Confirmation times of 2-D bayts outputs ``out`` under the spatial rule of ``yvy detect``:
    growth through pixels whose weak evidence reached ``chi_weak`` (None or ``>= chi``: none),
    groups of at least ``min_pixels`` (1: any), neighbours' evidence within ``window`` years
    (None: any)."""
    grow = chi_weak is not None and chi_weak < chi
    conf = out["change_confirmed"]
    if not grow and min_pixels <= 1:
        return conf
    return spatial_confirm(out["change_weak"] if grow else conf, conf, min_pixels,
                           flagged=out["change_flagged"], window=window)
