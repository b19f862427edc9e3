"""Spatial confirmation of per-pixel change times: hysteresis in space, a minimum mapping unit, in time.

A clearing is a patch, and its pixels do not all cross a confirmation threshold: a pixel at the
patch's edge, or one with fewer clear dates, may reach only weaker evidence. Given per pixel a
*confirmed* time ``c`` (strong evidence, e.g. bayts ``Pchange >= chi``) and a *weak* time
``w <= c`` (e.g. ``Pchange >= chi_weak``), a pixel is alerted at the earliest time ``t`` at which

* it is a *member* (``w <= t``), and
* its 4- (or 8-) connected component of members at ``t`` holds at least one pixel confirmed by
  ``t`` (``c <= t``: the hysteresis of Canny's edge detector, in space) and at least
  ``min_pixels`` members (a minimum mapping unit).

Both conditions only grow with ``t``, so the result is causal: it depends only on dates up to
``t`` and equals what a run stopped at any earlier date gives there. Pass ``w = c`` for a
minimum mapping unit alone, ``min_pixels = 1`` for hysteresis alone.

The computation is a union-find over the member pixels in time order, with times as ranks into
the distinct times (memory in proportion to the pixels with a weak time, about 30 bytes each, not
to the grid). Imports only numpy and numba.
"""

from __future__ import annotations

import numpy as np

from ._jit import jit

__all__ = ["rule_times", "spatial_confirm", "spatial_confirm_ranks", "time_ranks"]


@jit
def _find(parent, x):
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


@jit
def _mark(head, nxt, out, t):
    """Give time ``t`` to every member of the list starting at ``head`` (all unset)."""
    x = head
    while x >= 0:
        out[x] = t
        x = nxt[x]


@jit
def _run(flat, w, c, n_times, width, height, min_pixels, conn8):  # pragma: no cover - compiled
    """Union-find in time order over members sorted by ``flat``; ``w`` / ``c`` are time ranks
    (``c`` -1: never confirmed). Returns each member's alert rank (-1: none)."""
    n = flat.shape[0]
    # members by join rank and confirmed members by confirmation rank (counting sorts)
    start_w = np.zeros(n_times + 1, np.int64)
    start_c = np.zeros(n_times + 1, np.int64)
    for i in range(n):
        start_w[w[i] + 1] += 1
        if c[i] >= 0:
            start_c[c[i] + 1] += 1
    for k in range(n_times):
        start_w[k + 1] += start_w[k]
        start_c[k + 1] += start_c[k]
    by_w = np.empty(n, np.int32)
    by_c = np.empty(start_c[n_times], np.int32)
    fill_w = start_w[:n_times].copy()
    fill_c = start_c[:n_times].copy()
    for i in range(n):
        by_w[fill_w[w[i]]] = i
        fill_w[w[i]] += 1
        if c[i] >= 0:
            by_c[fill_c[c[i]]] = i
            fill_c[c[i]] += 1
    parent = np.arange(n).astype(np.int32)
    size = np.zeros(n, np.int32)
    seed = np.zeros(n, np.bool_)
    alerting = np.zeros(n, np.bool_)
    joined = np.zeros(n, np.bool_)
    nxt = np.full(n, -1, np.int32)
    tail = np.arange(n).astype(np.int32)
    out = np.full(n, -1, np.int32)
    dr = np.array([-1, 1, 0, 0, -1, -1, 1, 1])
    dc = np.array([0, 0, -1, 1, -1, 1, -1, 1])
    k_nb = 8 if conn8 else 4
    for t in range(n_times):
        for e in range(start_w[t], start_w[t + 1]):  # members join before confirmations of the same time
            p = by_w[e]
            joined[p] = True
            size[p] = 1
            r0 = flat[p] // width
            c0 = flat[p] - r0 * width
            for k in range(k_nb):
                rr = r0 + dr[k]
                cc = c0 + dc[k]
                if rr < 0 or rr >= height or cc < 0 or cc >= width:
                    continue
                g = rr * width + cc
                q = np.searchsorted(flat, g)
                if q >= n or flat[q] != g or not joined[q]:
                    continue
                a = _find(parent, p)
                b = _find(parent, q)
                if a == b:
                    continue
                if alerting[a] and not alerting[b]:
                    _mark(b, nxt, out, t)
                elif alerting[b] and not alerting[a]:
                    _mark(a, nxt, out, t)
                if size[a] < size[b]:
                    a, b = b, a
                parent[b] = a
                nxt[tail[a]] = b
                tail[a] = tail[b]
                size[a] += size[b]
                seed[a] = seed[a] or seed[b]
                alerting[a] = alerting[a] or alerting[b]
            _check(_find(parent, p), seed, size, alerting, min_pixels, nxt, out, t)
        for e in range(start_c[t], start_c[t + 1]):
            r = _find(parent, by_c[e])
            seed[r] = True
            _check(r, seed, size, alerting, min_pixels, nxt, out, t)
    return out


@jit
def _check(r, seed, size, alerting, min_pixels, nxt, out, t):
    if not alerting[r] and seed[r] and size[r] >= min_pixels:
        alerting[r] = True
        _mark(r, nxt, out, t)


def time_ranks(times: np.ndarray, *arrays: np.ndarray) -> list[np.ndarray]:
    """Ranks (int32; -1 for NaN) of ``arrays``' values in the sorted distinct ``times``."""
    out = []
    for a in arrays:
        r = np.searchsorted(times, a).astype(np.int32)
        r[~np.isfinite(a)] = -1
        out.append(r)
    return out


def spatial_confirm_ranks(flat: np.ndarray, weak: np.ndarray, confirmed: np.ndarray, n_times: int,
                          shape: tuple[int, int], min_pixels: int = 1, connectivity: int = 4) -> np.ndarray:
    """The rule on members given as time ranks: ``flat`` (strictly increasing flat indices of the
    pixels with a weak or confirmed time), ``weak`` / ``confirmed`` their ranks (int, -1: none; a
    member's weak rank is taken as ``min(weak, confirmed)``), ``n_times`` the number of distinct
    times. Returns each member's alert rank (-1: not alerted). Memory: about 30 bytes a member."""
    if connectivity not in (4, 8):
        raise ValueError("connectivity must be 4 or 8")
    c = np.asarray(confirmed, np.int32)
    w = np.asarray(weak, np.int32)
    w = np.where((w < 0) | ((c >= 0) & (c < w)), c, w)
    if (w < 0).any():
        raise ValueError("every member needs a weak or a confirmed time")
    if flat.size > 1 and not (np.diff(flat) > 0).all():
        raise ValueError("flat indices must be strictly increasing")
    return _run(np.asarray(flat), w, c, int(n_times), int(shape[1]), int(shape[0]),
                int(max(1, min_pixels)), connectivity == 8)


def spatial_confirm(weak: np.ndarray, confirmed: np.ndarray, min_pixels: int = 1,
                    connectivity: int = 4) -> np.ndarray:
    """The rule on whole grids: ``weak`` and ``confirmed`` are 2-D time arrays (NaN: none);
    returns the alert times (NaN: none).

    Examples
    --------
    >>> nan = np.nan
    >>> weak = np.array([[2016.1, 2016.2, nan, 2016.1]])
    >>> conf = np.array([[nan, 2016.3, nan, 2016.1]])
    >>> spatial_confirm(weak, conf).tolist()  # the left pixel joins its confirmed neighbour
    [[2016.3, 2016.3, nan, 2016.1]]
    >>> spatial_confirm(weak, conf, min_pixels=2).tolist()  # the lone right pixel is too small
    [[2016.3, 2016.3, nan, nan]]
    """
    weak, confirmed = np.asarray(weak, np.float64), np.asarray(confirmed, np.float64)
    flat = np.flatnonzero(np.isfinite(np.fmin(weak, confirmed)))
    w, c = weak.ravel()[flat], confirmed.ravel()[flat]
    times = np.unique(np.concatenate([w[np.isfinite(w)], c[np.isfinite(c)]]))
    ranks = spatial_confirm_ranks(flat, *time_ranks(times, w, c), times.size, weak.shape, min_pixels, connectivity)
    out = np.full(weak.shape, np.nan)
    out.ravel()[flat] = np.where(ranks >= 0, times[np.maximum(ranks, 0)] if times.size else np.nan, np.nan)
    return out


def rule_times(out: dict, chi: float, chi_weak: float | None, min_pixels: int) -> np.ndarray:
    """Confirmation times of 2-D bayts outputs ``out`` under the spatial rule of ``yvy detect``:
    growth through pixels whose weak evidence reached ``chi_weak`` (None or ``>= chi``: none) and
    groups of at least ``min_pixels`` (1: any)."""
    grow = chi_weak is not None and chi_weak < chi
    conf = out["change_confirmed"]
    if not grow and min_pixels <= 1:
        return conf
    return spatial_confirm(out["change_weak"] if grow else conf, conf, min_pixels)
