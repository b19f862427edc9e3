"""yvy.kernels: numpy + numba only, arrays in, arrays out.

Public kernels are re-exported here; private ``_x.py`` modules hold the compiled loops.
"""

from yvy.kernels.bayts import BaytsParams, SensorPdf, bayts_update
from yvy.kernels.bfast import BfastParams, bfast_monitor, fit_history, monitor_update

__all__ = ["BaytsParams", "BfastParams", "SensorPdf", "bayts_update", "bfast_monitor", "fit_history",
           "monitor_update"]
