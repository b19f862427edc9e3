"""The spatial rule of a bayts / sar product, applied to its finished chunk files.

The kernel decides pixel by pixel; the rule (:mod:`yvy.kernels.grow`) needs the whole grid: a
pixel with weak evidence is confirmed with a confirmed 4-neighbour's group (neighbours whose
evidence is at most ``neighbour_days`` apart), and a group is an alert only once it holds
``min_pixels`` pixels. Each chunk file keeps the kernel's own outputs
(``spatial__*``, :func:`yvy.change.fusion.chunk_result`); this pass reads their weak, confirmed
and flag times from every chunk into grids of time ranks, computes the rule's times, and rewrites
each chunk's product arrays from the kernel outputs and those times. It always starts
from the kernel outputs, so running it twice (a resumed job) gives the same files, and an update
(which recomputes every chunk from the stored state) gives what one run gives.

A pixel the rule confirms that the kernel did not (*grown*) gets the rule's time, status
confirmed, the Pchange of its weak evidence and, as flag date, its pending flag's (else the weak
date); a pixel the kernel confirmed that the rule does not (a group below ``min_pixels``) is shown
as flagged, with its flag date and Pchange. Must not import: click, rich, yvy.cli.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..kernels import bayts as kb
from ..kernels.grow import rank_dtype, spatial_confirm_ranks, time_ranks
from .fusion import RAW_PREFIX, product_arrays
from .product import chunk_path, load_chunk, save_chunk
from .timebase import DAYS_PER_YEAR

__all__ = ["apply"]


def apply(scratch: Path, windows: list, shape: tuple[int, int], names: list[str], rule: dict) -> None:
    """Apply ``rule`` (:meth:`yvy.change.fusion.FusionRequest.spatial`) to the chunk files in ``scratch``.

    Two reads of the kernel's times: the distinct times first, then each chunk's weak, confirmed
    and flag times as ranks into them (int16) on a grid of the whole product; the rule's work
    arrays add 11 bytes a pixel (:mod:`yvy.kernels.grow`): about 2 GB for a 10,980² tile."""
    def times_of(i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        with load_chunk(chunk_path(scratch, i)) as z:
            c = z[RAW_PREFIX + "change_confirmed"]
            f = np.where(np.isfinite(c), z[RAW_PREFIX + "change_flagged"], np.nan)
            return (z[RAW_PREFIX + "change_weak"] if rule["grow"] else c), c, f

    distinct = [np.unique(np.concatenate([a[np.isfinite(a)] for a in arrays]))
                for arrays in map(times_of, range(len(windows)))]
    times = np.unique(np.concatenate(distinct)) if distinct else np.zeros(0)
    dt = rank_dtype(times.size)
    grids = [np.full(shape, -1, dt) for _ in range(3)]
    for i, (rows, cols) in enumerate(windows):
        for grid, ranks in zip(grids, time_ranks(times, *times_of(i)), strict=True):
            grid[rows, cols] = ranks
    window = rule.get("neighbour_days")
    ranks = spatial_confirm_ranks(*grids, times, rule["min_pixels"], 4,
                                  None if window is None else window / DAYS_PER_YEAR)
    del grids
    for i, (rows, cols) in enumerate(windows):
        r = ranks[rows, cols]
        t = np.where(r >= 0, times[np.maximum(r, 0)] if times.size else np.nan, np.nan)
        _rewrite(chunk_path(scratch, i), t, *r.shape, names)


def _rewrite(path: Path, t: np.ndarray, h: int, w: int, names: list[str]) -> None:
    with load_chunk(path) as z:
        arrays = {k: z[k] for k in z.files}
    o = {k[len(RAW_PREFIX):]: v for k, v in arrays.items() if k.startswith(RAW_PREFIX)}
    outside = arrays["status"] == -128
    new = product_arrays(_changed(o, t), h, w, names)
    new["status"][outside] = -128
    arrays.update(new)
    save_chunk(path, arrays)


def _changed(o: dict, t: np.ndarray) -> dict:
    """Kernel outputs ``o`` of one chunk changed to the rule's times ``t`` (see the module)."""
    conf = o["status"] == kb.CONFIRMED
    alerted = np.isfinite(t)
    grown, dropped = alerted & ~conf, conf & ~alerted
    pending = np.isfinite(o["flag"])
    out = dict(o)
    out["change_confirmed"] = t
    out["change_flagged"] = np.select([grown, dropped], [np.where(pending, o["flag"], o["change_weak"]), np.nan],
                                      o["change_flagged"])
    out["pchange"] = np.select([grown, dropped], [o["pweak"], np.nan], o["pchange"])
    out["flag"] = np.select([grown, dropped], [np.nan, o["change_flagged"]], o["flag"])
    out["pflag"] = np.select([grown, dropped], [np.nan, o["pchange"]], o["pflag"])
    out["status"] = np.select([grown, dropped], [kb.CONFIRMED, kb.FLAGGED], o["status"]).astype(o["status"].dtype)
    return out
