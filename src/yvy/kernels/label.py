"""Connected components of change pixels whose dates agree: arrays in, arrays out.

``scipy.ndimage.label`` connects every touching pixel; an alert must also join only pixels whose
break dates are close (two clearings a year apart that touch are two events). This kernel is an
8-connected flood fill where a neighbour joins when its date is within ``window`` of the pixel
it is reached from. Imports only numpy and numba.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["label_windowed"]


@numba.njit(cache=True, nogil=True)
def _label_windowed(mask, dates, starts, window, connectivity):  # pragma: no cover - compiled
    ny, nx = mask.shape
    labels = np.zeros((ny, nx), dtype=np.int32)
    stack_y = np.empty(ny * nx, dtype=np.int64)
    stack_x = np.empty(ny * nx, dtype=np.int64)
    current = 0
    for y0 in range(ny):
        for x0 in range(nx):
            if not mask[y0, x0] or labels[y0, x0] != 0:
                continue
            current += 1
            labels[y0, x0] = current
            top = 0
            stack_y[0] = y0
            stack_x[0] = x0
            top = 1
            while top > 0:
                top -= 1
                y = stack_y[top]
                x = stack_x[top]
                d = dates[y, x]
                s = starts[y, x]
                for dy in range(-1, 2):
                    for dx in range(-1, 2):
                        if dy == 0 and dx == 0:
                            continue
                        if connectivity == 4 and dy != 0 and dx != 0:
                            continue
                        yy = y + dy
                        xx = x + dx
                        if yy < 0 or yy >= ny or xx < 0 or xx >= nx:
                            continue
                        if not mask[yy, xx] or labels[yy, xx] != 0:
                            continue
                        # gap between the date intervals [start, date] of the two pixels
                        gap = max(starts[yy, xx], s) - min(dates[yy, xx], d)
                        if gap > window:
                            continue
                        labels[yy, xx] = current
                        stack_y[top] = yy
                        stack_x[top] = xx
                        top += 1
    return labels, current


def label_windowed(
    mask: np.ndarray, dates: np.ndarray, window: float, connectivity: int = 8,
    starts: np.ndarray | None = None,
) -> tuple[np.ndarray, int]:
    """Label connected ``mask`` pixels, joining neighbours whose ``dates`` differ by <= ``window``.

    With ``starts``, each pixel's date is an interval ``[starts, dates]`` (e.g. last clear
    observation .. first observation showing the change) and neighbours join when the gap
    between their intervals is <= ``window`` (0 when they overlap).

    Parameters
    ----------
    mask
        2-D boolean array of candidate pixels.
    dates
        2-D float array (e.g. days since 1970) of the same shape; ignored where ``mask`` is False.
    window
        Largest date difference between two touching pixels of one component (same unit as
        ``dates``). ``inf`` gives plain connected components.
    connectivity
        8 (default, diagonal neighbours touch) or 4.
    starts
        Optional interval starts (same unit as ``dates``); NaN or later than ``dates`` means
        no interval (the date itself).

    Returns
    -------
    labels, count
        int32 array (0 = background, 1..count components) and the number of components.

    Examples
    --------
    >>> m = np.array([[1, 1, 0], [0, 0, 0], [0, 0, 1]], bool)
    >>> d = np.array([[0, 100, 0], [0, 0, 0], [0, 0, 5]], float)
    >>> label_windowed(m, d, 30)[0].tolist()
    [[1, 2, 0], [0, 0, 0], [0, 0, 3]]
    """
    if connectivity not in (4, 8):
        raise ValueError(f"connectivity must be 4 or 8, not {connectivity}")
    mask = np.ascontiguousarray(mask, dtype=np.bool_)
    dates = np.ascontiguousarray(dates, dtype=np.float64)
    if mask.shape != dates.shape or mask.ndim != 2:
        raise ValueError(f"mask {mask.shape} and dates {dates.shape} must be the same 2-D shape")
    mask = mask & np.isfinite(dates)
    if starts is None:
        starts = dates
    else:
        starts = np.ascontiguousarray(starts, dtype=np.float64)
        if starts.shape != dates.shape:
            raise ValueError(f"starts {starts.shape} and dates {dates.shape} must be the same shape")
        starts = np.where(np.isfinite(starts) & (starts <= dates), starts, dates)
    labels, count = _label_windowed(mask, dates, starts, float(window), int(connectivity))
    return labels, int(count)
