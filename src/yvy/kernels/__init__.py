"""yvy.kernels: numpy + numba only, arrays in, arrays out.

Public kernels are re-exported here; private ``_x.py`` modules hold the compiled loops.
"""

from yvy.kernels.bfast import BfastParams, bfast_monitor, fit_history, monitor_update

__all__ = ["BfastParams", "bfast_monitor", "fit_history", "monitor_update"]
