"""BFAST Monitor: near-real-time break detection in satellite image time series.

The method of Verbesselt, Zeileis and Herold (2012, Remote Sensing of Environment 123),
computed per pixel as R's ``bfast::bfastmonitor`` (bfast 1.7.2, strucchangeRcpp 1.5-4)
does with ``formula = response ~ trend + harmon``, ``type = "OLS-MOSUM"`` and
``end = 10``:

1. **Model.** ``y(t) = a + b (t - t0) + sum_j [c_j cos(2 pi j t) + s_j sin(2 pi j t)]``,
   ``j = 1..order``; ``t`` in decimal years of R's daily ``bfastts`` time base (see
   :mod:`yvy.change.timebase`). R's ``trend`` is the day index of the daily series; any
   affine function of ``t`` gives the same fitted values, so the kernel uses years
   centred on the history (``t0``, better conditioned). ``trend=False`` drops that term.
2. **History.** The valid observations before ``monitor_start``: all of them
   (``history="all"``) or those after the last boundary crossing of the reverse-ordered
   recursive CUSUM test (``history="roc"``, R's default, at the same ``level``).
3. **Fit.** OLS on the history: ``n`` observations, coefficients ``beta``,
   ``sigma = sqrt(RSS / (n - p))`` with ``p`` coefficients. If ``floor(h n) <= 1`` or
   ``n <= p`` there is no test (status -2, R's rule).
4. **Monitoring.** With ``K = floor(h n)``, each valid monitoring observation number
   ``k`` (counted from the history start, so ``k > n``) closes a window of the last
   ``K`` valid residuals; ``MOSUM_k = sum(window) / (sigma sqrt(n))``. A break is the
   first ``k`` with ``|MOSUM_k| > lambda sqrt(2 logPlus(k / n))``,
   ``logPlus(x) = max(1, log x)``, ``lambda`` from strucchange's simulated table
   (``h`` in 0.25/0.5/1, ``end = 10``). With ``direction="negative"`` (not R) the test
   is one-sided: the first ``k`` with ``-MOSUM_k`` above the same boundary (a drop:
   loss of vegetation for NDVI); ``"positive"`` is the mirror.
5. **Outputs per pixel.** ``break_time`` / ``break_index`` (date of that observation),
   ``magnitude`` = median of all monitoring residuals (observed - predicted),
   ``statistic`` = ``max_k |MOSUM_k|`` over the whole monitoring period (R's
   ``mefp$statistic``), ``history_start``, ``n_history`` and ``status`` (1 break, 0 no
   break, -2 too little history, never guessed).

Missing values are NaN/inf (float input) or ``nodata`` (any input); each pixel uses its
own valid dates only. Differences from R are listed in ``docs/bfast.md``.

Incremental state (:func:`fit_history`, :func:`monitor_update`): a dict of numpy arrays
whose last axes are the pixel axes, plus ``"meta"`` (plain scalars)::

    coef           (p, *pix) float64  history coefficients: 1, trend, cos 1..k, sin 1..k
    sigma          (*pix)    float64  residual standard error of the history fit
    n_history      (*pix)    int32    valid history observations (n)
    history_start  (*pix)    float64  decimal year of the first history observation
    status         (*pix)    int8     1 / 0 / -2 (as the outputs)
    break_index    (*pix)    int32    index into all dates processed so far, -1 none
    break_time     (*pix)    float64  decimal year of the break, NaN none
    statistic      (*pix)    float64  max |MOSUM| so far (NaN before any monitoring obs)
    magnitude      (*pix)    float64  median of the monitoring residuals (NaN none)
    n_valid        (*pix)    int32    valid observations since the history start (k)
    window         (W, *pix) float64  ring of the last K prefix sums of valid residuals
    window_pos     (*pix)    int32    ring slot of the oldest prefix sum
    window_last    (*pix)    float64  newest prefix sum
    mag_window     (B, *pix) float64  rank window of the monitoring residuals (ascending, NaN pad)
    mag_lo, mag_hi (*pix)    int32    residuals below / above the kept ones
    bmag_window    (B, *pix) float64  rank window of the residuals on and after the break
    bmag_lo, bmag_hi (*pix)  int32    residuals below / above the kept ones
    meta           dict               t0, monitor_start, params, last_time, n_coef,
                                      n_dates, n_monitor_dates, critval, window_size

Every array is fixed-size per pixel (``W = floor(h n)`` and ``B`` =
:data:`yvy.kernels._rank_window.CAPACITY` do not grow with time), so an update costs the same
after three years of monitoring as after one month. The medians are exact while their rank lies
in the rank window (always after :func:`fit_history`; see :mod:`yvy.kernels._rank_window` for
when an update may only bound them: ``median_bounded`` says so per pixel). Models from before
(a ``residuals`` array of every monitoring date) are converted on their next update.

This module imports numpy and numba (through the kernels) and ``yvy.errors``.
"""

from __future__ import annotations

import dataclasses
import math

import numba
import numpy as np

from yvy.errors import DateRangeError, InputError
from yvy.kernels import _bfast_core as core
from yvy.kernels import _bfast_update as upd
from yvy.kernels import _rank_window as rw
from yvy.kernels._bfast_critvals import (
    MOSUM_BANDWIDTHS,
    mosum_critval,
    roc_boundary,
    roc_critval,
)

__all__ = ["DIRECTIONS", "OUTPUT_KEYS", "BfastParams", "bfast_monitor", "fit_history", "monitor_update"]

#: Keys of the output dict of :func:`bfast_monitor` and :func:`monitor_update`.
OUTPUT_KEYS = ("break_time", "break_index", "magnitude", "statistic", "history_start",
               "n_history", "status")
_HISTORIES = ("all", "roc")
#: Monitoring-test directions and the code the kernels take.
DIRECTIONS = {"both": 0, "negative": -1, "positive": 1}


@dataclasses.dataclass(frozen=True)
class BfastParams:
    """Parameters of BFAST Monitor (R's defaults, except ``history="all"``)."""

    order: int = 3
    """Harmonic order ``k`` of the season (``2 k`` sine/cosine terms)."""
    trend: bool = True
    """Include a linear trend term."""
    h: float = 0.25
    """MOSUM bandwidth as a fraction of the history length: 0.25, 0.5 or 1 (R's table)."""
    level: float = 0.05
    """Significance level of the monitoring test (and of the ROC test): 0.001 to 0.05."""
    history: str = "all"
    """Stable history: ``"all"`` observations before the start, or ``"roc"``."""
    direction: str = "both"
    """Which crossings of the MOSUM boundary are breaks: ``"both"`` (``|MOSUM|``, R),
    ``"negative"`` (drops only: ``MOSUM < -boundary``) or ``"positive"`` (rises only). The
    ``statistic`` output stays R's ``max |MOSUM|`` whatever the direction."""

    def __post_init__(self):
        if isinstance(self.order, bool) or not isinstance(self.order, (int, np.integer)) \
                or not 1 <= self.order <= 20:
            raise InputError("order", f"must be an integer from 1 to 20, got {self.order!r}")
        object.__setattr__(self, "order", int(self.order))
        object.__setattr__(self, "trend", bool(self.trend))
        if float(self.h) not in MOSUM_BANDWIDTHS:
            raise InputError("h", f"must be one of {MOSUM_BANDWIDTHS} (the bandwidths of R's "
                             f"critical-value table), got {self.h!r}")
        object.__setattr__(self, "h", float(self.h))
        if not 0.001 <= float(self.level) <= 0.05:
            raise InputError("level", f"must be from 0.001 to 0.05, got {self.level!r}")
        object.__setattr__(self, "level", float(self.level))
        history = str(self.history).lower()
        if history not in _HISTORIES:
            raise InputError("history", f"must be one of {_HISTORIES}, got {self.history!r}")
        object.__setattr__(self, "history", history)
        direction = str(self.direction).lower()
        if direction not in DIRECTIONS:
            raise InputError("direction", f"must be one of {tuple(DIRECTIONS)}, got {self.direction!r}")
        object.__setattr__(self, "direction", direction)

    @property
    def n_coef(self) -> int:
        """Number of regression coefficients ``p``."""
        return 2 * self.order + 1 + int(self.trend)


# --------------------------------------------------------------------------- helpers


def design_matrix(t: np.ndarray, t0: float, params: BfastParams) -> np.ndarray:
    """Regressors ``(T, p)``: 1, ``t - t0`` (if trend), ``cos(2 pi j t)``, ``sin(2 pi j t)``."""
    t = np.asarray(t, dtype=np.float64)
    w = 2.0 * np.pi * t  # as R: outer(2 * pi * time, 1:order)
    cols = [np.ones_like(t)]
    if params.trend:
        cols.append(t - t0)
    cols += [np.cos(w * j) for j in range(1, params.order + 1)]
    cols += [np.sin(w * j) for j in range(1, params.order + 1)]
    return np.ascontiguousarray(np.stack(cols, axis=1))


def _padded_t(a: np.ndarray) -> np.ndarray:
    """``a.T`` with zero rows appended to a multiple of 4 (the kernels' tile height)."""
    out = np.zeros((-(-a.shape[1] // 4) * 4, a.shape[0]))
    out[:a.shape[1]] = a.T
    return out


def _design_arrays(t: np.ndarray, t0: float, params: BfastParams) -> tuple:
    """``(X, XT, ZT)``: regressors, and padded transposes of them and of their products."""
    X = design_matrix(t, t0, params)
    rows, cols = np.tril_indices(X.shape[1])  # packed lower triangle, row by row
    return X, _padded_t(X), _padded_t(X[:, rows] * X[:, cols])


def _as_2d(y, name: str = "y"):
    y = np.asarray(y)
    if y.ndim not in (2, 3):
        raise InputError(name, f"must be (T, N) or (T, H, W), got shape {y.shape}")
    if y.dtype.kind not in "iuf" or y.dtype == np.float16:
        raise InputError(name, f"dtype {y.dtype} not supported; use .astype(np.float32)")
    return y.reshape(y.shape[0], -1), y.shape[1:]


def _check_times(t, n: int, name: str = "t") -> np.ndarray:
    t = np.asarray(t, dtype=np.float64)
    if t.ndim != 1 or t.size != n:
        raise InputError(name, f"must be 1-D with one time per date ({n}), got shape {t.shape}")
    if n and not np.all(np.isfinite(t)):
        raise DateRangeError(name, "contains NaN or inf")
    if n > 1 and not np.all(np.diff(t) > 0):
        raise DateRangeError(name, "must be strictly increasing; remove duplicate days with "
                                   "yvy.change.timebase.bfast_dates")
    return t


def _nodata(nodata):
    if nodata is None:
        return 0.0, False
    value = float(nodata)
    return value, not math.isnan(value)


def _launch(parallel, serial, threads, n_pixels: int, unit: int, *args):
    """Run ``serial`` or ``parallel`` over ``n_pixels`` split in work units of ``unit``."""
    nblocks = max(1, -(-n_pixels // unit))
    if threads is not None and int(threads) < 1:
        raise InputError("threads", f"must be >= 1 or None, got {threads!r}")
    if threads == 1 or nblocks == 1:
        serial(args[0], 1, core.BLOCK, *args[1:])
        return
    previous = numba.get_num_threads()
    wanted = previous if threads is None else min(int(threads), numba.config.NUMBA_NUM_THREADS)
    numba.set_num_threads(wanted)
    try:  # many small chunks handed out dynamically: cores shared with other work stay busy
        with numba.parallel_chunksize(1):
            parallel(args[0], min(nblocks, 16 * wanted), core.BLOCK, *args[1:])
    finally:
        numba.set_num_threads(previous)


def _times_or_nan(t: np.ndarray, index: np.ndarray) -> np.ndarray:
    out = np.full(index.shape, np.nan)
    hit = index >= 0
    out[hit] = t[index[hit]]
    return out


def _run_fit(y, t, monitor_start, params, nodata, threads, keep):
    if not isinstance(params, BfastParams):
        raise InputError("params", "must be a BfastParams instance")
    y2, pix = _as_2d(y)
    t = _check_times(t, y2.shape[0])
    if y2.shape[0] == 0:
        raise InputError("y", "has no dates")
    monitor_start = float(monitor_start)
    if not math.isfinite(monitor_start):
        raise DateRangeError("monitor_start", "must be a finite decimal year")
    th = int(np.searchsorted(t, monitor_start, side="left"))  # history: t < start
    t0 = float(t[:th].mean()) if th else monitor_start
    des = _design_arrays(t, t0, params)
    p = params.n_coef
    crit = mosum_critval(params.h, params.level)
    roc = params.history == "roc"
    roc_crit = roc_critval(params.level) if roc else 0.0
    roc_bound = roc_boundary(params.level) if roc else 0.0
    nd, use_nd = _nodata(nodata)
    N = y2.shape[1]
    T = y2.shape[0]
    out = {"break_index": np.empty(N, np.int64), "statistic": np.empty(N),
           "magnitude": np.empty(N), "history_index": np.empty(N, np.int64),
           "n_history": np.empty(N, np.int64), "status": np.empty(N, np.int8)}
    kcap = max(1, math.floor(params.h * th))
    if keep:
        st = {"coef": np.full((p, N), np.nan), "sigma": np.full(N, np.nan),
              "n_valid": np.zeros(N, np.int64), "window": np.full((kcap, N), np.nan),
              "window_pos": np.zeros(N, np.int64), "window_last": np.zeros(N),
              "residuals": np.full((T - th, N), np.nan)}
    else:
        st = {"coef": np.empty((p, 0)), "sigma": np.empty(0), "n_valid": np.empty(0, np.int64),
              "window": np.empty((0, 0)), "window_pos": np.empty(0, np.int64),
              "window_last": np.empty(0), "residuals": np.empty((0, N))}
    if N:
        _launch(core.fit_parallel, core.fit_serial, threads, N, core.STAGE, y2, nd, use_nd,
                des, th, roc, roc_crit, roc_bound, params.h, crit, DIRECTIONS[params.direction],
                out["break_index"], out["statistic"], out["magnitude"], out["history_index"],
                out["n_history"], out["status"], keep, st["coef"], st["sigma"], st["n_valid"],
                st["window"], st["window_pos"], st["window_last"], st["residuals"])
    result = {
        "break_time": _times_or_nan(t, out["break_index"]),
        "break_index": out["break_index"].astype(np.int32),
        "magnitude": out["magnitude"],
        "statistic": out["statistic"],
        "history_start": _times_or_nan(t, out["history_index"]),
        "n_history": out["n_history"].astype(np.int32),
        "status": out["status"],
    }
    meta = {"t0": t0, "monitor_start": monitor_start, "params": dataclasses.asdict(params),
            "last_time": float(t[-1]), "n_coef": p, "n_dates": int(T),
            "n_monitor_dates": int(T - th), "critval": crit, "window_size": kcap}
    return result, st, meta, pix


def _shape(d: dict, pix) -> dict:
    return {k: v.reshape(v.shape[:-1] + tuple(pix)) for k, v in d.items()}


# --------------------------------------------------------------------------- public API


def bfast_monitor(y, t, monitor_start, params: BfastParams | None = None, nodata=None, *,
                  threads: int | None = None) -> dict:
    """Detect the first break after ``monitor_start`` in every pixel (BFAST Monitor).

    Parameters
    ----------
    y : numpy.ndarray
        ``(T, N)`` or ``(T, H, W)`` values, int16/uint16/float32/float64 (any integer or
        float dtype); views are read without copying.
    t : numpy.ndarray
        ``(T,)`` float64 decimal years in R's time base, strictly increasing
        (:func:`yvy.change.timebase.bfast_dates` gives them and drops duplicate days).
    monitor_start : float
        Decimal year where monitoring starts: history is ``t < monitor_start``.
    params : BfastParams, optional
        Model and test parameters (default ``BfastParams()``).
    nodata : number, optional
        Value marking missing observations; NaN and inf are always missing.
    threads : int, optional
        Worker threads (default: numba's setting); ``1`` runs serially in the calling
        thread without the GIL, e.g. inside a Dask worker.

    Returns
    -------
    dict of numpy.ndarray, each shaped like the pixel axes of ``y``
        ``break_time`` (float64 decimal year, NaN none), ``break_index`` (int32 into
        ``t``, -1 none), ``magnitude`` (float64, median monitoring residual),
        ``statistic`` (float64, max |MOSUM| over the monitoring period, NaN without
        monitoring data or result), ``history_start`` (float64 decimal year, NaN none),
        ``n_history`` (int32) and ``status`` (int8: 1 break, 0 no break, -2 too little
        history).

    Examples
    --------
    >>> import numpy as np
    >>> t = 2010 + np.arange(120) / 23                     # 16-day series, 2010-2015
    >>> season = 0.5 + 0.2 * np.sin(2 * np.pi * t)
    >>> noise = np.random.default_rng(1).normal(0, 0.02, (9, 120))
    >>> y = (season + noise).T.reshape(120, 3, 3)
    >>> y[t >= 2014.5, 1, 1] -= 0.3                        # a clearing in the centre
    >>> out = bfast_monitor(y, t, 2014.0)
    >>> out["status"]
    array([[0, 0, 0],
           [0, 1, 0],
           [0, 0, 0]], dtype=int8)
    >>> round(float(out["break_time"][1, 1]), 2), round(float(out["magnitude"][1, 1]), 2)
    (2014.57, -0.29)
    """
    params = BfastParams() if params is None else params
    result, _, _, pix = _run_fit(y, t, monitor_start, params, nodata, threads, keep=False)
    return _shape(result, pix)


def fit_history(y, t, monitor_start, params: BfastParams | None = None, nodata=None, *,
                threads: int | None = None, keep_residuals: bool = False) -> dict:
    """Fit the history model and monitor any dates already in ``y``; return the state.

    Takes the same arguments as :func:`bfast_monitor`. ``y`` holds the history and,
    optionally, monitoring dates. The returned dict (layout in the module docstring)
    holds the outputs of :func:`bfast_monitor` on ``y`` plus what
    :func:`monitor_update` needs to continue exactly as a one-shot run would. With
    ``keep_residuals`` it also holds ``residuals`` ``(M, *pix)``, the residual of each monitoring
    date in ``y`` (NaN missing), which :func:`monitor_update` does not need.
    """
    params = BfastParams() if params is None else params
    result, st, meta, pix = _run_fit(y, t, monitor_start, params, nodata, threads, keep=True)
    th = meta["n_dates"] - meta["n_monitor_dates"]
    model = {**result, "coef": st["coef"], "sigma": st["sigma"],
             "n_valid": st["n_valid"].astype(np.int32), "window": st["window"],
             "window_pos": st["window_pos"].astype(np.int32), "window_last": st["window_last"],
             **_rank_windows(st["residuals"], th, result["break_index"])}
    if keep_residuals:
        model["residuals"] = st["residuals"]
    model = _shape(model, pix)
    model["meta"] = meta
    return model


def _rank_windows(resid: np.ndarray, row0: int, break_index: np.ndarray) -> dict:
    """The magnitude and break-magnitude rank windows of residual rows ``resid`` (R, N) whose
    first row is date ``row0``."""
    n = resid.shape[1]
    resid = np.ascontiguousarray(resid, dtype=np.float64)
    scratch = np.empty(max(resid.shape[0], 1))
    out = {}
    for name, start in (("mag", np.full(n, row0, np.int64)), ("bmag", np.asarray(break_index, np.int64))):
        buf = np.empty((rw.CAPACITY, n))
        lo, hi = np.empty(n, np.int64), np.empty(n, np.int64)
        if n:
            rw.window_fill(resid, int(row0), start, buf, lo, hi, scratch)
        out.update({f"{name}_window": buf, f"{name}_lo": lo.astype(np.int32), f"{name}_hi": hi.astype(np.int32)})
    return out


def monitor_update(model: dict, y_new, t_new, nodata=None, *,
                   threads: int | None = None) -> tuple[dict, dict]:
    """Advance a model from :func:`fit_history` over new scenes.

    Parameters
    ----------
    model : dict
        State from :func:`fit_history` or a previous :func:`monitor_update` (not modified).
    y_new : numpy.ndarray
        ``(T_new, *pixel shape)`` new values.
    t_new : numpy.ndarray
        ``(T_new,)`` strictly increasing decimal years; dates not after the model's
        ``meta["last_time"]`` are skipped (already processed).
    nodata : number, optional
        As in :func:`bfast_monitor`.
    threads : int, optional
        As in :func:`bfast_monitor`.

    Returns
    -------
    out : dict
        Outputs as :func:`bfast_monitor` returns them for the whole series so far;
        ``break_index`` counts all dates processed since :func:`fit_history`. Also
        ``break_magnitude`` (median residual on and after the break, NaN none),
        ``median_bounded`` (int8: +1 ``magnitude``, +2 ``break_magnitude`` is only a bound, see
        :mod:`yvy.kernels._rank_window`; 0 exact) and ``residuals`` ``(T_new, *pix)``, the
        residuals of the new dates.
    model : dict
        The new state.
    """
    meta = dict(model["meta"])
    params = BfastParams(**meta["params"])
    pix = model["status"].shape
    y2, pix_new = _as_2d(y_new, "y_new")
    if tuple(pix_new) != tuple(pix):
        raise InputError("y_new", f"pixel shape {tuple(pix_new)} differs from the model's "
                                  f"{tuple(pix)}")
    t_new = _check_times(t_new, y2.shape[0], "t_new")
    fresh = t_new > meta["last_time"]
    if fresh.any() and t_new[fresh][0] < meta["monitor_start"]:
        raise DateRangeError("t_new", "dates before monitor_start arrive after the history "
                                      "was fitted; refit with fit_history")
    y2, t_new = y2[fresh], t_new[fresh]
    N = int(np.prod(pix, dtype=np.int64))
    flat = {k: np.array(v).reshape(v.shape[:v.ndim - len(pix)] + (N,))
            for k, v in model.items() if k != "meta"}
    if "mag_window" not in flat:  # a model of the old layout: every monitoring residual
        row0 = meta["n_dates"] - meta["n_monitor_dates"]
        flat.update(_rank_windows(flat.pop("residuals"), row0, flat["break_index"]))
    flat.pop("residuals", None)
    resid_new = np.full((t_new.size, N), np.nan)
    bmag = np.full(N, np.nan)
    bounded = np.zeros(N, np.int8)
    if t_new.size and N:
        XT = _design_arrays(t_new, meta["t0"], params)[1]
        nd, use_nd = _nodata(nodata)
        brk = flat["break_index"].astype(np.int64)
        count = flat["n_valid"].astype(np.int64)
        pos = flat["window_pos"].astype(np.int64)
        win = tuple(flat[k] if k.endswith("window") else flat[k].astype(np.int64)
                    for k in ("mag_window", "mag_lo", "mag_hi", "bmag_window", "bmag_lo", "bmag_hi"))
        _launch(upd.update_parallel, upd.update_serial, threads, N, core.BLOCK, y2, nd, use_nd, XT,
                meta["n_dates"], params.h, meta["critval"], DIRECTIONS[params.direction],
                flat["coef"], flat["sigma"],
                flat["n_history"].astype(np.int64), flat["status"], count, flat["window"], pos,
                flat["window_last"], brk, flat["statistic"], win, resid_new,
                flat["magnitude"], bmag, bounded)
        for k, v in zip(("mag_lo", "mag_hi", "bmag_lo", "bmag_hi"), win[1:3] + win[4:], strict=True):
            flat[k] = v.astype(np.int32)
        flat["break_index"] = brk.astype(np.int32)
        flat["n_valid"] = count.astype(np.int32)
        flat["window_pos"] = pos.astype(np.int32)
        hit = brk >= 0
        new_hits = hit & ~(flat["break_time"] == flat["break_time"])
        flat["break_time"][new_hits] = t_new[brk[new_hits] - meta["n_dates"]]
        meta.update(last_time=float(t_new[-1]), n_dates=meta["n_dates"] + int(t_new.size),
                    n_monitor_dates=meta["n_monitor_dates"] + int(t_new.size))
    elif N:
        rw.window_medians(flat["bmag_window"], flat["bmag_lo"].astype(np.int64),
                          flat["bmag_hi"].astype(np.int64), bmag)
    new_model = _shape(flat, pix)
    new_model["meta"] = meta
    out = {k: new_model[k].copy() for k in OUTPUT_KEYS}
    out["break_magnitude"] = bmag.reshape(pix)
    out["median_bounded"] = bounded.reshape(pix)
    out["residuals"] = resid_new.reshape((t_new.size, *pix))
    return out, new_model
