"""Nearest-neighbour resampling by index: the source pixel of every output pixel, interpolated
from a coarse grid of exactly projected points (as GDAL's approximate transformer does), and the
gather of a band's values through those indices with its nodata mask.

One index grid serves every band of a scene (they share a pixel grid), so a reprojected read
costs one projection of a coarse grid plus one gather per band.

This module imports only numpy, numba (through :mod:`._jit`) and the standard library.
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import jit

__all__ = ["gather", "gather_stretch", "source_index"]


@jit
def _source_index(gx, gy, step, height, width, rows, cols):  # pragma: no cover - compiled
    for i in range(height):
        fi = (i + 0.5) / step
        i0 = min(int(fi), gx.shape[0] - 2)
        ti = fi - i0
        for j in range(width):
            fj = (j + 0.5) / step
            j0 = min(int(fj), gx.shape[1] - 2)
            tj = fj - j0
            x = ((gx[i0, j0] * (1 - tj) + gx[i0, j0 + 1] * tj) * (1 - ti)
                 + (gx[i0 + 1, j0] * (1 - tj) + gx[i0 + 1, j0 + 1] * tj) * ti)
            y = ((gy[i0, j0] * (1 - tj) + gy[i0, j0 + 1] * tj) * (1 - ti)
                 + (gy[i0 + 1, j0] * (1 - tj) + gy[i0 + 1, j0 + 1] * tj) * ti)
            cols[i, j] = int(math.floor(x))
            rows[i, j] = int(math.floor(y))


def source_index(gx: np.ndarray, gy: np.ndarray, step: int, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Source (row, col) of each pixel of a ``height`` x ``width`` output: ``gx``/``gy`` hold the
    source pixel coordinates (column, row; fractional) of the output positions ``k * step`` along
    each axis (the grid's last row and column may lie past the output's edge), interpolated
    bilinearly to every pixel centre and floored (nearest neighbour)."""
    rows = np.empty((height, width), np.int32)
    cols = np.empty((height, width), np.int32)
    _source_index(np.ascontiguousarray(gx, np.float64), np.ascontiguousarray(gy, np.float64), float(step),
                  height, width, rows, cols)
    return rows, cols


@jit(fastmath=False, inline="always")  # ``v * scale + offset`` rounded as numpy rounds it (no FMA)
def _value(src, r, c, nodata, has_nodata, scale, offset):  # pragma: no cover - compiled
    """(value, no data?) of pixel (r, c) of a window (outside it: 0.0, True)."""
    if r < 0 or c < 0 or r >= src.shape[0] or c >= src.shape[1]:
        return 0.0, True
    v = src[r, c]
    bad = has_nodata and (v == nodata or (nodata != nodata and v != v))
    return np.float64(np.float32(v)) * scale + offset, bad


@jit(fastmath=False)
def _gather(src, row0, col0, rows, cols, nodata, has_nodata, scale, offset, out, mask):  # pragma: no cover
    for i in range(rows.shape[0]):
        for j in range(rows.shape[1]):
            out[i, j], mask[i, j] = _value(src, rows[i, j] - row0, cols[i, j] - col0, nodata, has_nodata, scale,
                                           offset)


@jit(fastmath=False)
def _gather_stretch(src, row0, col0, rows, cols, nodata, has_nodata, scale, offset, vmin, factor, lut, out,
                    invalid):  # pragma: no cover - compiled
    for i in range(rows.shape[0]):
        for j in range(rows.shape[1]):
            v, bad = _value(src, rows[i, j] - row0, cols[i, j] - col0, nodata, has_nodata, scale, offset)
            s = (v - vmin) * factor
            out[i, j] = lut[int(min(max(s, 0.0), 255.0)) if s == s else 0]
            invalid[i, j] |= bad


def gather(src: np.ndarray, row0: int, col0: int, rows: np.ndarray, cols: np.ndarray, nodata: float | None,
           scale: float = 1.0, offset: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Values (float64: ``* scale + offset`` rounded as rio-tiler's reads round it) and mask (True:
    no data) of the pixels ``rows``, ``cols`` of a band whose window ``src`` starts at (``row0``,
    ``col0``); pixels outside the window, and those equal to ``nodata``, are masked."""
    out = np.empty(rows.shape, np.float64)
    mask = np.empty(rows.shape, np.bool_)
    _gather(src, int(row0), int(col0), rows, cols, float("nan") if nodata is None else float(nodata),
            nodata is not None, float(scale), float(offset), out, mask)
    return out, mask


def gather_stretch(src: np.ndarray, row0: int, col0: int, rows: np.ndarray, cols: np.ndarray, nodata: float | None,
                   scale: float, offset: float, vmin: float, vmax: float, lut: np.ndarray, out: np.ndarray,
                   invalid: np.ndarray) -> None:
    """:func:`gather` stretched linearly from ``vmin..vmax`` to 0..255 (truncated, as a cast to
    uint8 does) and looked up in ``lut`` (256 uint8) into ``out``; ``invalid`` is or-ed with the
    mask. One pass instead of float arrays per step."""
    _gather_stretch(src, int(row0), int(col0), rows, cols, float("nan") if nodata is None else float(nodata),
                    nodata is not None, float(scale), float(offset), float(vmin),
                    255.0 / ((vmax - vmin) or 1.0), lut, out, invalid)
