"""Zonal statistics over a time stack: the mean of each labelled zone at each time step.

Imports only numpy, numba and :mod:`._jit`.
"""

from __future__ import annotations

import numpy as np

from ._jit import jit

__all__ = ["zonal_mean"]


@jit
def _zonal_mean(stack, labels, n_zones, min_valid, out):  # pragma: no cover - compiled
    n_time, height, width = stack.shape
    total = np.zeros(n_zones + 1, np.float64)
    count = np.zeros(n_zones + 1, np.int64)
    for t in range(n_time):
        total[:] = 0.0
        count[:] = 0
        for y in range(height):
            for x in range(width):
                z = labels[y, x]
                if z <= 0 or z > n_zones:
                    continue
                v = stack[t, y, x]
                if np.isfinite(v):
                    total[z] += v
                    count[z] += 1
        for z in range(1, n_zones + 1):
            out[z - 1, t] = total[z] / count[z] if count[z] >= min_valid[z] and count[z] > 0 else np.nan


def zonal_mean(stack: np.ndarray, labels: np.ndarray, n_zones: int, *, min_share: float = 0.5) -> np.ndarray:
    """Mean of the finite values of each zone at each time step.

    Parameters
    ----------
    stack
        (time, y, x) float array; NaN is missing (cloud, shadow, nodata).
    labels
        (y, x) integer zones, 1..n_zones; 0 (or out of range) belongs to no zone.
    n_zones
        Number of zones.
    min_share
        A zone's mean at a time step is NaN unless at least this share of its pixels is finite.

    Returns
    -------
    numpy.ndarray
        float32 (n_zones, time).

    Examples
    --------
    >>> stack = np.array([[[1.0, 2.0, np.nan], [3.0, 5.0, 7.0], [0.0, 0.0, 9.0]]])
    >>> labels = np.array([[1, 1, 2], [1, 2, 2], [0, 0, 2]])
    >>> zonal_mean(stack, labels, 2, min_share=0.5)
    array([[2.],
           [7.]], dtype=float32)
    """
    stack = np.ascontiguousarray(stack, dtype=np.float32)
    labels = np.ascontiguousarray(labels, dtype=np.int32)
    if stack.ndim != 3 or labels.shape != stack.shape[1:]:
        raise ValueError(f"stack {stack.shape} and labels {labels.shape} do not match")
    sizes = np.bincount(labels[(labels > 0) & (labels <= n_zones)].ravel(), minlength=n_zones + 1)
    min_valid = np.ceil(sizes * float(min_share)).astype(np.int64)
    out = np.empty((n_zones, stack.shape[0]), np.float32)
    _zonal_mean(stack, labels, int(n_zones), min_valid, out)
    return out
