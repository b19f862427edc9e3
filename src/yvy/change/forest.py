"""Forest during the history, judged from the BFAST Monitor history model of each pixel.

Alerts should only come from pixels that were forest before the monitoring start. Without a
forest map, the history fit already describes each pixel's typical year: with coefficients
``a`` (level at the history's mean date), trend and harmonics ``c_j, s_j``, the seasonal curve
``S(tau) = sum_j c_j cos(2 pi j tau) + s_j sin(2 pi j tau)`` over one year gives

* ``mean``: ``a``, the history's mean level;
* ``dry``: ``a + min S``, the fitted dry-season minimum;
* ``amplitude``: ``max S - min S``, the fitted seasonal range.

Dry (Chaco, Chiquitano) forest keeps a closed, partly evergreen canopy: NDVI stays high
through the dry season with a moderate seasonal range. Pasture and crops sink to bare soil
or stubble (NDVI 0.15-0.35) in the dry season or between crops and swing far more. A pixel
is forest when all three limits of its :class:`ForestRule` hold (see ``docs/detect.md`` for
the NDVI values and their sources). Pixels without a fit are ``UNKNOWN``.

Imports numpy only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["FOREST", "NOT_FOREST", "RULES", "UNKNOWN", "ForestRule", "forest_from_model", "history_phenology",
           "rule_for_index"]

NOT_FOREST, FOREST, UNKNOWN = 0, 1, 255
"""Values of the ``forest_history`` raster."""


@dataclass(frozen=True)
class ForestRule:
    """Limits on the fitted history year that a forest pixel meets (index units)."""

    min_mean: float
    """Lowest history mean level."""
    min_dry: float
    """Lowest fitted dry-season minimum (``mean + min S``)."""
    max_amplitude: float
    """Largest fitted seasonal range (``max S - min S``)."""

    def to_dict(self) -> dict:
        """Plain dict (stored in the product's properties)."""
        return asdict(self)


RULES = {
    "ndvi": ForestRule(min_mean=0.45, min_dry=0.30, max_amplitude=0.50),
}
"""Default rule per index (lower-case name); indices without one get no forest layer."""


def rule_for_index(index: str | None) -> ForestRule | None:
    """The default :class:`ForestRule` of an index, or None."""
    return RULES.get(str(index or "").lower())


def history_phenology(coef: np.ndarray, order: int, trend: bool, n_steps: int = 73) -> dict:
    """``mean``, ``dry``, ``wet`` and ``amplitude`` per pixel from history coefficients.

    ``coef`` is ``(p, ...)`` in the kernel's order ``1, [trend], cos 1..order, sin 1..order``
    (:mod:`yvy.kernels.bfast`); the season is sampled every ``1 / n_steps`` year.
    """
    coef = np.asarray(coef, dtype=np.float64)
    first = 2 if trend else 1
    cos = coef[first:first + order]
    sin = coef[first + order:first + 2 * order]
    tau = np.arange(n_steps) / n_steps
    j = np.arange(1, order + 1)
    w = 2 * np.pi * np.outer(tau, j)  # (n_steps, order)
    flat_c = cos.reshape(order, -1)
    flat_s = sin.reshape(order, -1)
    season = np.cos(w) @ flat_c + np.sin(w) @ flat_s  # (n_steps, N)
    lo, hi = season.min(axis=0), season.max(axis=0)
    shape = coef.shape[1:]
    mean = coef[0]
    return {"mean": mean, "dry": mean + lo.reshape(shape), "wet": mean + hi.reshape(shape),
            "amplitude": (hi - lo).reshape(shape)}


def forest_from_model(coef: np.ndarray, status: np.ndarray, order: int, trend: bool,
                      rule: ForestRule) -> np.ndarray:
    """``forest_history`` (uint8: 1 forest, 0 not, 255 unknown) from history coefficients.

    ``status`` is the kernel's (-2: no history fit, so unknown).
    """
    ph = history_phenology(coef, order, trend)
    with np.errstate(invalid="ignore"):
        forest = (ph["mean"] >= rule.min_mean) & (ph["dry"] >= rule.min_dry) & \
            (ph["amplitude"] <= rule.max_amplitude)
    out = np.where(forest, FOREST, NOT_FOREST).astype(np.uint8)
    known = (np.asarray(status) != -2) & np.all(np.isfinite(coef), axis=0)
    out[~known] = UNKNOWN
    return out
