"""Numba presets for every yvy kernel, set in one place.

All kernels compile with ``cache=True`` (the machine code is kept beside the module, so
only the first import on a machine pays the compile time) and ``nogil=True`` (a Dask or
thread-pool worker can run kernels side by side). Fastmath is on, **without** the
``nnan`` and ``ninf`` flags: cloud-masked data depends on ``isnan`` and ``isfinite``
working, and those two flags let LLVM assume they are always false.

This module imports only numba.
"""

from __future__ import annotations

import numba

__all__ = ["FASTMATH", "jit", "jit_parallel"]

#: LLVM fast-math flags used by every kernel: no ``nnan``/``ninf`` (see module docstring).
#: ``reassoc`` and ``contract`` let loops over pixels vectorise and use FMA.
FASTMATH = frozenset({"nsz", "arcp", "contract", "afn", "reassoc"})


def jit(func=None, **options):
    """Compile ``func`` with the yvy presets (``njit``, cache, nogil, safe fastmath).

    Usable bare (``@jit``) or with extra numba options (``@jit(inline="always")``).
    """
    opts = {"cache": True, "nogil": True, "fastmath": set(FASTMATH), "error_model": "numpy"}
    opts.update(options)
    if func is None:
        return lambda f: numba.njit(**opts)(f)
    return numba.njit(**opts)(func)


def jit_parallel(func=None, **options):
    """Like :func:`jit` with ``parallel=True``: for kernels whose outer loop is a ``prange``."""
    return jit(func, parallel=True, **options)
