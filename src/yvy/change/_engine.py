"""The pipeline's side of the BFAST Monitor kernel: one chunk in, product arrays out.

Wraps :mod:`yvy.kernels.bfast` (``fit_history`` / ``monitor_update``) and adds the per-pixel
alert helpers the kernel does not compute, updated the same way in a one-shot run and in an
incremental update so both give identical rasters:

* ``confirm_count``: valid observations on or after the break date whose residual (observed -
  predicted by the history model) is below ``-2 sigma`` (``sigma`` = residual standard error
  of the history fit), i.e. observations that confirm a loss;
* ``prev_obs_days``: day (since 1970-01-01) of the last valid observation before the break;
* ``break_days``: day of the break observation;
* ``break_magnitude``: median residual on and after the break (the loss evidence of a one-sided
  test, :func:`yvy.kernels.confirm.break_magnitude`);
* ``forest``: the ``forest_history`` layer (:mod:`yvy.change.forest`) from the history
  coefficients, when a forest rule is given (255 everywhere otherwise).

State carried between updates (``state__*`` rasters of the model product): ``last_valid_days``,
``prev_obs_days``, ``confirm_count``, ``break_days``. With the kernel's state (``model__*``) it is
fixed-size per pixel: an update reads and writes the same bytes after three years as after one
month.
"""

from __future__ import annotations

import json
import math

import numpy as np

from ..kernels import bfast
from ..kernels.confirm import advance_confirmation, break_magnitude
from .forest import UNKNOWN, forest_from_model
from .timebase import decimal_year as _decimal_year

__all__ = ["FIXED_OUTPUTS", "decimal_year", "detect", "make_params", "min_history", "to_chunk", "update"]

STATE_KEYS = ("last_valid_days", "prev_obs_days", "confirm_count", "break_days")
FIXED_KEYS = ("coef", "sigma", "n_history", "history_start")
"""Model arrays set by the history fit and never changed by an update (not rewritten)."""
FIXED_OUTPUTS = ("history_start", "history_valid_count", "forest_history")
"""Product rasters set by the history fit: an update keeps their files instead of rewriting them."""


def make_params(order: int, trend: bool, h: float, level: float, history: str, direction: str = "both"):
    """:class:`yvy.kernels.bfast.BfastParams`; errors name the parameter (``order``, ``h``...)."""
    return bfast.BfastParams(order=order, trend=trend, h=h, level=level, history=history,
                             direction=direction)


def decimal_year(day) -> float:
    """Decimal year (R time base) of a date."""
    return float(_decimal_year([day.isoformat() if hasattr(day, "isoformat") else str(day)])[0])


def min_history(params) -> int:
    """Fewest history dates for which any pixel can be tested (``n > p`` and ``floor(h n) > 1``)."""
    return max(params.n_coef + 1, math.ceil(2.0 / params.h))


def _empty_state(n: int) -> dict:
    return {"last_valid_days": np.full(n, np.nan), "prev_obs_days": np.full(n, np.nan),
            "confirm_count": np.zeros(n, np.int32), "break_days": np.full(n, np.nan)}


def _forest(model: dict, params, rule) -> np.ndarray:
    """``forest_history`` of a chunk (uint8), all UNKNOWN without a rule."""
    n = np.asarray(model["status"]).size
    if rule is None:
        return np.full(n, UNKNOWN, np.uint8)
    coef = np.asarray(model["coef"], dtype=np.float64).reshape(params.n_coef, n)
    return forest_from_model(coef, np.asarray(model["status"]).reshape(n), params.order, params.trend, rule)


def detect(y: np.ndarray, t: np.ndarray, days: np.ndarray, monitor_start: float, params,
           store_model: bool = True, forest_rule=None) -> dict:
    """Fit and monitor one chunk ``y`` (T, N); return outputs, model, alert state and forest layer.

    ``forest_rule``: a :class:`yvy.change.forest.ForestRule` for the ``forest_history`` layer.
    """
    model = bfast.fit_history(y, t, monitor_start, params, keep_residuals=True)
    resid = model.pop("residuals")  # for the alert helpers only: never stored
    n = y.shape[1]
    th = int(np.searchsorted(t, monitor_start, side="left"))
    out = {k: model[k] for k in bfast.OUTPUT_KEYS}
    state = _empty_state(n)
    advance_confirmation(y, t, days, resid, th, model["sigma"], out["break_time"],
                         np.full(n, np.nan), state)
    forest = _forest(model, params, forest_rule)
    bmag = break_magnitude(resid, th, out["break_index"])
    if not store_model:
        model = None
    return {"out": out, "model": model, "state": state, "new_rows": None, "forest": forest,
            "break_magnitude": bmag}


def update(model: dict, state: dict, y_new: np.ndarray, t_new: np.ndarray, days_new: np.ndarray,
           forest_rule=None) -> dict:
    """Advance one chunk's model and alert state over new dates (all after the model's last date).

    The forest layer is recomputed from the stored history coefficients (the same as detection's).
    """
    before = np.array(model["break_time"], dtype=np.float64, copy=True)
    params = bfast.BfastParams(**model["meta"]["params"])
    forest = _forest(model, params, forest_rule)
    out, new_model = bfast.monitor_update(model, y_new, t_new)
    resid = out.pop("residuals")
    state = {k: np.array(state[k], copy=True).reshape(-1) for k in STATE_KEYS}
    state["confirm_count"] = state["confirm_count"].astype(np.int32)
    for k in ("last_valid_days", "prev_obs_days", "break_days"):
        state[k] = state[k].astype(np.float64)
    advance_confirmation(y_new, t_new, days_new, resid, 0, new_model["sigma"], out["break_time"], before,
                         state)
    return {"out": out, "model": new_model, "state": state, "new_rows": int(t_new.size), "forest": forest,
            "break_magnitude": out.pop("break_magnitude"), "median_bounded": out.pop("median_bounded")}


def to_chunk(res: dict, h: int, w: int, inside: np.ndarray) -> dict[str, np.ndarray]:
    """Arrays to save for one chunk: product outputs (h, w), ``model__*`` and ``state__*``.

    After an update only what changed is kept (no :data:`FIXED_KEYS`), plus ``median_bounded``
    (pixels whose magnitude or break magnitude is a bound, see :mod:`yvy.kernels._rank_window`).
    """
    out, state = res["out"], res["state"]
    outside = ~inside.reshape(-1)

    def grid(a, dtype, nodata):
        a = np.asarray(a).reshape(-1).astype(dtype)
        a[outside] = nodata
        return a.reshape(h, w)

    arrays = {
        "break_decimal_year": grid(out["break_time"], "float64", np.nan),
        "break_days": grid(state["break_days"], "float32", np.nan),
        "magnitude": grid(out["magnitude"], "float32", np.nan),
        "break_magnitude": grid(res["break_magnitude"] if res.get("break_magnitude") is not None
                                else np.full(outside.size, np.nan), "float32", np.nan),
        "statistic": grid(out["statistic"], "float32", np.nan),
        "history_start": grid(out["history_start"], "float64", np.nan),
        "history_valid_count": grid(out["n_history"], "float32", np.nan),
        "status": grid(out["status"], "int8", -128),
        "confirm_count": grid(np.where(np.isnan(out["break_time"]), 0, state["confirm_count"]), "int16", -1),
        "prev_obs_days": grid(state["prev_obs_days"], "float32", np.nan),
        "forest_history": grid(res["forest"] if res.get("forest") is not None
                               else np.full(outside.size, UNKNOWN), "uint8", UNKNOWN),
    }
    model = res.get("model")
    if model is not None:
        update = res.get("new_rows") is not None
        for key, value in model.items():
            if key == "meta" or (update and key in FIXED_KEYS):
                continue
            v = np.asarray(value)
            arrays[f"model__{key}"] = v.reshape(v.shape[:-1] + (h, w))
        for key in STATE_KEYS:
            arrays[f"state__{key}"] = np.asarray(state[key]).reshape(h, w)
        if res.get("median_bounded") is not None:
            arrays["median_bounded"] = grid(res["median_bounded"], "int8", 0)
        arrays["meta_json"] = np.array(json.dumps(model["meta"], default=float))
    return arrays
