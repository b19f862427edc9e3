"""bayts: Bayesian fusion of several time series (optical and radar) for forest-change alerts.

The method of Reiche et al. (2015, Remote Sensing 7; 2018, Remote Sensing of Environment 204),
computed per pixel as R's ``bayts::baytsSpatial`` (jreiche/bayts) does:

1. **Conditional non-forest probability.** Each observation ``x`` of sensor ``s`` gets
   ``PNF = N_NF(x) / (N_F(x) + N_NF(x))`` from the sensor's Gaussian forest (F) and
   non-forest (NF) densities (mean, sd), then clipped to the block-weighting interval
   ``bwf = (lo, hi)`` (R ``calcPNF``). It is computed as ``1 / (1 + exp(log N_F - log N_NF))``
   with the log ratio (a quadratic in ``x``) clipped to +-40: R's exact 0 where ``N_NF``
   underflows becomes 4e-18.
2. **Fusion of a date.** Observations of several sensors on the same date are combined with
   Bayes' rule ``post = a b / (a b + (1 - a)(1 - b))`` (R ``createBayts``); dates of any sensor
   form one time series.
3. **Monitoring** (R ``detectBayts``), over dates on or after ``start``: with no pending flag,
   a date with ``PNF >= pnf_min`` is *flagged* and ``Pchange = post(PNF(previous date), PNF)``
   (the previous date may lie before ``start``; ``0.5`` when there is none). While flagged,
   each date updates ``Pchange = post(Pchange, PNF)``. From the second date of a flag on, a
   ``Pchange < pnf_min`` *rejects* the flag (watching starts again at the next date); a
   ``Pchange >= chi`` on a date with ``PNF >= pnf_min`` *confirms* the change and the pixel
   is frozen.
4. **Outputs** (R ``baytsSpatial``'s five bands and more), per pixel: ``flag`` (date of a
   pending, unconfirmed flag), ``change_flagged`` (date at which the confirmed change was
   flagged), ``change_confirmed`` (date of confirmation), ``pflag`` (Pchange of the pending
   flag), ``pchange`` (Pchange at confirmation), ``status`` (2 confirmed, 1 flagged, 0
   watched without change, -1 no date on or after ``start``, -2 no valid data) and per-sensor
   ``counts`` (dates of each sensor from the flag to the confirmation, plus later dates whose
   ``PNF >= pnf_min``: passes that go on confirming the change).

Dates are decimal years (R's ``bfastts`` time base, :func:`yvy.change.timebase.decimal_year`).
The per-pixel state (:data:`STATE_KEYS`) is fixed-size, so :func:`bayts_update` continues a run
on new dates and gives exactly what one run over all dates gives. Differences from R are in
``docs/radar.md``.

This module imports numpy, numba (through the compiled core) and ``yvy.errors``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from . import _bayts_core as core
from ._bayts_core import CONFIRMED, FLAGGED, MONITORED, NO_DATA, NO_MONITOR

__all__ = [
    "CONFIRMED", "FLAGGED", "MAX_CHAINS", "MONITORED", "NO_DATA", "NO_MONITOR", "OUTPUT_KEYS", "STATE_KEYS",
    "BaytsParams", "SensorPdf", "bayts", "bayts_update", "init_state", "merge_dates", "outputs",
    "spatial_normalise",
]

STATE_KEYS = ("status", "prev_pnf", "n_monitor", "n_chains", "overflow", "chain_start", "chain_p", "chain_i",
              "chain_confirmed", "chain_counts", "weak", "weak_p")
"""Per-pixel state arrays: ``chain_*`` have a leading chain axis (``MAX_CHAINS``), ``chain_counts``
a leading (sensor, chain) pair of axes. ``weak`` / ``weak_p``: the first date any chain reached
``Pchange >= chi_weak`` and that Pchange (NaN: never), for the spatial rule."""

MAX_CHAINS = 4
"""Open flags kept per pixel; a further flag is dropped and counted in ``overflow``."""

OUTPUT_KEYS = ("flag", "change_flagged", "change_confirmed", "pflag", "pchange", "status", "counts",
               "n_monitor", "overflow", "change_weak", "pweak")
"""Keys of the dict :func:`bayts` returns."""


@dataclass(frozen=True)
class SensorPdf:
    """Gaussian forest / non-forest densities of one sensor's (normalised) values."""

    f_mean: float
    f_sd: float
    nf_mean: float
    nf_sd: float

    def __post_init__(self):
        if not (self.f_sd > 0 and self.nf_sd > 0):
            raise InputError("pdf", f"standard deviations must be > 0 (got {self.f_sd}, {self.nf_sd})")
        if not np.isfinite([self.f_mean, self.nf_mean]).all():
            raise InputError("pdf", "means must be finite")

    def as_row(self) -> tuple[float, float, float, float]:
        """``(F mean, F sd, NF mean, NF sd)``."""
        return (float(self.f_mean), float(self.f_sd), float(self.nf_mean), float(self.nf_sd))


@dataclass(frozen=True)
class BaytsParams:
    """Detection thresholds shared by all sensors."""

    chi: float = 0.9
    """Pchange at which a flagged change is confirmed."""
    pnf_min: float = 0.5
    """PNF at or above which a date is flagged (also the rejection and confirmation floor)."""
    bwf: tuple[float, float] = (0.1, 0.9)
    """Block weighting: every PNF is clipped to this interval."""
    chi_weak: float | None = None
    """Pchange recorded as weak evidence (``change_weak``); None: ``chi``. Never confirms by itself."""

    def __post_init__(self):
        lo, hi = self.bwf
        if not 0.0 <= lo < hi <= 1.0:
            raise InputError("bwf", f"needs 0 <= low < high <= 1 (got {lo}, {hi})")
        if not 0.0 < self.chi < 1.0:
            raise InputError("chi", f"must be in (0, 1) (got {self.chi})")
        if not 0.0 < self.pnf_min < 1.0:
            raise InputError("pnf_min", f"must be in (0, 1) (got {self.pnf_min})")
        if self.chi_weak is not None and not 0.0 < self.chi_weak <= self.chi:
            raise InputError("neighbour_chi", f"must be in (0, chi] (got {self.chi_weak})")


def spatial_normalise(y: np.ndarray, percentile: float = 0.95) -> np.ndarray:
    """Subtract from each date (axis 0) the ``percentile`` of its valid pixels (R ``deseasonalizeRaster``).

    The quantile is R's default (type 7, linear interpolation); non-finite values stay missing.
    A date with no valid pixel stays all-missing.
    """
    a = np.asarray(y, dtype=np.float64)
    flat = a.reshape(a.shape[0], -1)
    flat = np.where(np.isfinite(flat), flat, np.nan)
    out = np.full_like(flat, np.nan)
    has = np.isfinite(flat).any(axis=1)
    if has.any():
        q = np.nanquantile(flat[has], percentile, axis=1)
        out[has] = flat[has] - q[:, None]
    return out.reshape(a.shape)


def merge_dates(times: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Merge the sorted date axes of several sensors into rows of one series.

    Returns
    -------
    order : numpy.ndarray
        int64 (R,) index into the concatenation of all sensors' dates, in time order (sensor
        order within a date).
    row_sensor, row_step : numpy.ndarray
        int64 (R,) sensor and date index of each row.
    step_time : numpy.ndarray
        float64 decimal year of each distinct date.
    """
    ts = [np.asarray(t, dtype=np.float64).reshape(-1) for t in times]
    for i, t in enumerate(ts):
        if t.size > 1 and np.any(np.diff(t) <= 0):
            raise InputError(f"sensor {i}", "dates must be strictly increasing")
    allt = np.concatenate(ts) if ts else np.zeros(0)
    sensor = np.concatenate([np.full(t.size, i, np.int64) for i, t in enumerate(ts)]) if ts else np.zeros(0, np.int64)
    order = np.lexsort((sensor, allt))
    step_time, row_step = np.unique(allt[order], return_inverse=True)
    return order.astype(np.int64), sensor[order], row_step.astype(np.int64), step_time


def init_state(n_pixels: int, n_sensors: int, max_chains: int = MAX_CHAINS) -> dict:
    """State of ``n_pixels`` pixels that have seen no date (fixed size: ``max_chains`` open flags)."""
    k = (max_chains, n_pixels)
    return {"status": np.full(n_pixels, core.NO_DATA, np.int8), "prev_pnf": np.full(n_pixels, 0.5),
            "n_monitor": np.zeros(n_pixels, np.int32), "n_chains": np.zeros(n_pixels, np.int8),
            "overflow": np.zeros(n_pixels, np.int32), "chain_start": np.full(k, np.nan),
            "chain_p": np.full(k, np.nan), "chain_i": np.zeros(k, np.int32),
            "chain_confirmed": np.full(k, np.nan), "chain_counts": np.zeros((n_sensors,) + k, np.int16),
            "weak": np.full(n_pixels, np.nan), "weak_p": np.full(n_pixels, np.nan)}


def _check_inputs(ys, times, pdfs):
    if not (len(ys) == len(times) == len(pdfs)) or not ys:
        raise InputError("sensors", "give one value array, one date array and one pdf per sensor")
    if len(ys) > 2:
        raise InputError("sensors", "at most 2 sensors (optical and radar)")
    n = None
    out = []
    for i, (y, t) in enumerate(zip(ys, times, strict=True)):
        y = np.asarray(y)
        y2 = y.reshape(y.shape[0], -1)
        if y2.shape[0] != np.asarray(t).size:
            raise InputError(f"sensor {i}", f"{y2.shape[0]} dates of values but {np.asarray(t).size} dates")
        if n is not None and y2.shape[1] != n:
            raise InputError(f"sensor {i}", "all sensors need the same pixels")
        n = y2.shape[1]
        out.append(y2)
    return out, n


def bayts_update(state: dict, ys: Sequence[np.ndarray], times: Sequence[np.ndarray],
                 pdfs: Sequence[SensorPdf], start: float, params: BaytsParams) -> dict:
    """Advance ``state`` (from :func:`init_state` or an earlier call) over new dates, in place.

    Parameters
    ----------
    state
        Per-pixel state, modified in place and returned.
    ys
        One array per sensor, ``(T_s, *pix)`` (any float dtype; non-finite = missing), values
        already normalised as the pdfs expect.
    times
        Decimal years of each sensor's dates, strictly increasing, all after the dates of
        earlier calls.
    pdfs
        :class:`SensorPdf` per sensor, in the same order.
    start, params
        Monitoring start (decimal year; dates ``>= start`` are monitored) and thresholds.
    """
    arrs, n = _check_inputs(ys, times, pdfs)
    order, row_sensor, row_step, step_time = merge_dates(times)
    offsets = np.cumsum([0] + [a.shape[0] for a in arrs])
    row_index = order - offsets[row_sensor]
    arrs = [np.ascontiguousarray(a if a.dtype == np.float32 else a.astype(np.float64)) for a in arrs]
    if len(arrs) == 2 and arrs[0].dtype != arrs[1].dtype:
        arrs = [a.astype(np.float64) for a in arrs]
    y0 = arrs[0]
    y1 = arrs[1] if len(arrs) > 1 else np.zeros((0, n), y0.dtype)
    pdf = np.array([core.pnf_coefficients(*p.as_row()) for p in pdfs], dtype=np.float64)
    s = state
    core.run_rows(y0, y1, row_sensor, row_index, row_step, step_time, pdf, float(params.bwf[0]),
                  float(params.bwf[1]), float(start), float(params.chi), float(params.pnf_min),
                  float(params.chi if params.chi_weak is None else params.chi_weak),
                  s["status"], s["prev_pnf"], s["n_monitor"], s["n_chains"], s["overflow"], s["chain_start"],
                  s["chain_p"], s["chain_i"], s["chain_confirmed"], s["chain_counts"], s["weak"], s["weak_p"])
    return state


def outputs(state: dict) -> dict:
    """Per-pixel outputs (:data:`OUTPUT_KEYS`) of a state: those of its earliest open flag."""
    st = state["status"]
    first_start, first_p, first_conf = state["chain_start"][0], state["chain_p"][0], state["chain_confirmed"][0]
    flagged, confirmed = st == core.FLAGGED, st == core.CONFIRMED
    nan = np.nan
    return {"flag": np.where(flagged, first_start, nan), "change_flagged": np.where(confirmed, first_start, nan),
            "change_confirmed": np.where(confirmed, first_conf, nan), "pflag": np.where(flagged, first_p, nan),
            "pchange": np.where(confirmed, first_p, nan), "status": st.copy(),
            "counts": np.where(confirmed | flagged, state["chain_counts"][:, 0], 0).astype(np.int16),
            "n_monitor": state["n_monitor"].copy(), "overflow": state["overflow"].copy(),
            "change_weak": state["weak"].copy(), "pweak": state["weak_p"].copy()}


def bayts(ys: Sequence[np.ndarray], times: Sequence[np.ndarray], pdfs: Sequence[SensorPdf], start: float,
          params: BaytsParams | None = None, max_chains: int = MAX_CHAINS) -> dict:
    """Fused change detection over all dates; returns :data:`OUTPUT_KEYS` arrays shaped like the pixels.

    See :func:`bayts_update` for the arguments (``params`` defaults to :class:`BaytsParams()`).

    Examples
    --------
    >>> t = np.array([2015.9, 2016.1, 2016.2, 2016.3])
    >>> ndvi = np.array([[0.0], [-0.5], [-0.6], [-0.55]])  # normalised NDVI: a clearing in 2016
    >>> r = bayts([ndvi], [t], [SensorPdf(0, 0.1, -0.5, 0.125)], 2016.0)
    >>> float(r["change_flagged"][0]), float(r["change_confirmed"][0]), int(r["status"][0])
    (2016.1, 2016.2, 2)
    """
    params = params or BaytsParams()
    pix = np.asarray(ys[0]).shape[1:]
    n = int(np.prod(pix)) if pix else 1
    state = bayts_update(init_state(n, len(ys), max_chains), ys, times, pdfs, start, params)
    out = outputs(state)
    return {k: v.reshape(v.shape[:-1] + pix) for k, v in out.items()}
