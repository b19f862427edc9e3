"""Spectral indices on raw band arrays: normalized differences and EVI (numba, NaN-aware).

Kernels take the *raw* digital numbers of each band (any numeric dtype), the per-scene
``scale``/``offset`` that turn them into reflectance (``value * scale + offset``) and the band
nodata value; they return float32 with NaN wherever an input is nodata, NaN, or the index is
undefined (zero denominator). Scaling happens inside the kernel, before the index, so a
Sentinel-2 baseline >= 04.00 offset (-0.1) is honoured without a float copy of every band.

:data:`INDICES` is the one table of indices; add a row to add an index. Band roles are
``eo:common_name`` values; :func:`compute_index` receives them already resolved to arrays.

This module imports only numpy, numba (through :mod:`._jit`) and the standard library.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ._jit import jit

__all__ = ["INDICES", "Index", "compute_index", "evi", "index_names", "normalized_difference"]

@dataclass(frozen=True)
class Index:
    """One spectral index: a formula and the band roles it reads, in formula order."""

    formula: str
    """``"nd"`` (a - b) / (a + b), or ``"evi"`` 2.5 (nir - red) / (nir + 6 red - 7.5 blue + 1)."""
    bands: tuple[str, ...]
    """``eo:common_name`` roles, in the order the formula takes them."""
    description: str = ""


INDICES: dict[str, Index] = {
    "ndvi": Index("nd", ("nir", "red"), "Normalized difference vegetation index"),
    "nbr": Index("nd", ("nir", "swir22"), "Normalized burn ratio"),
    "nbr2": Index("nd", ("swir16", "swir22"), "Normalized burn ratio 2"),
    "ndmi": Index("nd", ("nir", "swir16"), "Normalized difference moisture index"),
    "ndwi": Index("nd", ("green", "nir"), "Normalized difference water index (McFeeters)"),
    "evi": Index("evi", ("nir", "red", "blue"), "Enhanced vegetation index"),
}


def index_names() -> list[str]:
    """Names of the known indices, sorted."""
    return sorted(INDICES)


@jit
def _scaled(v, scale, offset, nodata):
    x = np.float64(v)
    if math.isnan(x) or x == nodata:
        return np.nan
    return x * scale + offset


@jit
def _nd_kernel(a, b, sa, oa, na, sb, ob, nb, out):  # pragma: no cover - compiled
    """a, b: (T, P) raw; sa..ob: (T,) float64; na, nb: float64 nodata (NaN = none)."""
    for t in range(a.shape[0]):
        for p in range(a.shape[1]):
            x = _scaled(a[t, p], sa[t], oa[t], na)
            y = _scaled(b[t, p], sb[t], ob[t], nb)
            den = x + y
            if math.isnan(x) or math.isnan(y) or den == 0.0:
                out[t, p] = np.nan
            else:
                out[t, p] = (x - y) / den


@jit
def _evi_kernel(nir, red, blue, sn, on, nn, sr, orr, nr, sb, ob, nb, out):  # pragma: no cover
    for t in range(nir.shape[0]):
        for p in range(nir.shape[1]):
            n = _scaled(nir[t, p], sn[t], on[t], nn)
            r = _scaled(red[t, p], sr[t], orr[t], nr)
            b = _scaled(blue[t, p], sb[t], ob[t], nb)
            den = n + 6.0 * r - 7.5 * b + 1.0
            if math.isnan(n) or math.isnan(r) or math.isnan(b) or den == 0.0:
                out[t, p] = np.nan
            else:
                out[t, p] = 2.5 * (n - r) / den


def _per_time(value, n_time: int) -> np.ndarray:
    arr = np.asarray(1.0 if value is None else value, dtype=np.float64)
    return np.ascontiguousarray(np.broadcast_to(arr.reshape(-1), (n_time,)) if arr.size == 1
                                else arr.reshape(n_time))


def _nodata(value) -> float:
    return float("nan") if value is None else float(value)


def _as_tp(arr: np.ndarray) -> np.ndarray:
    arr = np.asarray(arr)
    if arr.ndim == 0:
        arr = arr.reshape(1, 1)
    elif arr.ndim == 1:
        arr = arr.reshape(1, -1)
    return np.ascontiguousarray(arr.reshape(arr.shape[0], -1))


def normalized_difference(a, b, *, scale_a=1.0, offset_a=0.0, nodata_a=None,
                          scale_b=1.0, offset_b=0.0, nodata_b=None) -> np.ndarray:
    """``(A - B) / (A + B)`` with ``A = a * scale_a + offset_a`` (and likewise B).

    Parameters
    ----------
    a, b
        Raw band values, same shape; the first axis is time (a 1-D array is one time step).
    scale_a, offset_a, scale_b, offset_b
        Scalars or one value per time step.
    nodata_a, nodata_b
        Raw nodata value of each band (None: only NaN is missing).

    Returns
    -------
    numpy.ndarray
        float32, shape of ``a``; NaN where an input is missing or ``A + B == 0``.

    Examples
    --------
    >>> a = np.array([[5000, 0, 3000]], dtype=np.uint16)
    >>> b = np.array([[1000, 800, 3000]], dtype=np.uint16)
    >>> normalized_difference(a, b, scale_a=1e-4, scale_b=1e-4, nodata_a=0, nodata_b=0)
    array([[0.6666667,       nan, 0.       ]], dtype=float32)
    """
    shape = np.shape(a)
    if np.shape(b) != shape:
        raise ValueError(f"band shapes differ: {shape} vs {np.shape(b)}")
    a2, b2 = _as_tp(a), _as_tp(b)
    n_time = a2.shape[0]
    out = np.empty(a2.shape, dtype=np.float32)
    _nd_kernel(a2, b2, _per_time(scale_a, n_time), _per_time(0.0 if offset_a is None else offset_a, n_time),
               _nodata(nodata_a), _per_time(scale_b, n_time),
               _per_time(0.0 if offset_b is None else offset_b, n_time), _nodata(nodata_b), out)
    return out.reshape(shape)


def evi(nir, red, blue, *, scale=(1.0, 1.0, 1.0), offset=(0.0, 0.0, 0.0),
        nodata=(None, None, None)) -> np.ndarray:
    """Enhanced vegetation index ``2.5 (N - R) / (N + 6 R - 7.5 B + 1)`` on reflectances.

    ``scale``, ``offset`` and ``nodata`` are (nir, red, blue) triples; each scale/offset entry
    is a scalar or one value per time step. Returns float32, NaN where undefined.

    Examples
    --------
    >>> evi(np.array([0.5]), np.array([0.1]), np.array([0.05]))
    array([0.5797101], dtype=float32)
    """
    shape = np.shape(nir)
    n2, r2, b2 = _as_tp(nir), _as_tp(red), _as_tp(blue)
    n_time = n2.shape[0]
    out = np.empty(n2.shape, dtype=np.float32)
    args = []
    for i in range(3):
        args += [_per_time(scale[i], n_time), _per_time(0.0 if offset[i] is None else offset[i], n_time),
                 _nodata(nodata[i])]
    _evi_kernel(n2, r2, b2, *args, out)
    return out.reshape(shape)


def compute_index(name: str, bands: Mapping[str, np.ndarray], *,
                  scale: Mapping[str, object] | None = None,
                  offset: Mapping[str, object] | None = None,
                  nodata: Mapping[str, object] | None = None) -> np.ndarray:
    """Compute the index ``name`` of :data:`INDICES` from raw bands keyed by role.

    ``scale``/``offset``/``nodata`` map a role to a scalar or per-time array (defaults 1, 0, None).
    Raises KeyError for an unknown index or a missing band role.
    """
    spec = INDICES[name]
    scale, offset, nodata = scale or {}, offset or {}, nodata or {}
    arrays = [bands[r] for r in spec.bands]
    sc = [scale.get(r, 1.0) for r in spec.bands]
    of = [offset.get(r, 0.0) for r in spec.bands]
    nd = [nodata.get(r) for r in spec.bands]
    if spec.formula == "nd":
        return normalized_difference(arrays[0], arrays[1], scale_a=sc[0], offset_a=of[0], nodata_a=nd[0],
                                     scale_b=sc[1], offset_b=of[1], nodata_b=nd[1])
    if spec.formula == "evi":
        return evi(*arrays, scale=sc, offset=of, nodata=nd)
    raise ValueError(f"index {name}: unknown formula {spec.formula!r}")
