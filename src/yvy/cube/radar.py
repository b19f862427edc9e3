"""Radar in the cube: units, speckle filtering, per-orbit normalisation, layover/shadow masks
and the bayts deseasonalisation, on plain (T, y, x) numpy arrays.

Every function takes and returns numpy arrays (float, NaN = no data) with time first, so the
change engine calls them on the chunk it has read (``TimeCube.read``) before its kernels.
:class:`yvy.cube.radar_cube.RadarCube` reads such chunks (one polarisation, dB) from radar
catalog items.

API
---
``to_linear(values, units)`` / ``to_db(values, units)``
    Backscatter in ``dB``, ``linear`` (power) or ``amplitude`` -> linear power / dB. Units are
    the item's ``yvy:units``; ``dn`` (uncalibrated GRD) is refused. Non-positive power -> NaN
    in dB.
``speckle_filter(power, window=5, half_dates=None)``
    Quegan & Yu (2001) multi-temporal filter on linear power (:func:`yvy.kernels.radar.quegan_filter`).
    Apply it per relative orbit (dates of one geometry), before converting to dB.
``orbit_labels(items)``
    ``(sat:orbit_state, sat:relative_orbit)`` of each radar item (dicts), the labels the two
    functions below group by.
``orbit_groups(orbits)`` / ``require_single_orbit(orbits, subject)``
    Date indices per relative orbit (``(orbit_state, relative_orbit)`` or any label); the second
    raises a one-line InputError for a stack mixing orbits that is used un-normalised.
``normalise_orbits(db, orbits, history=None, keep_level=True)``
    Ascending and descending (and neighbouring relative) orbits see the ground from different
    angles, so their raw dB are not comparable. Each orbit's per-pixel temporal median over the
    history dates (``history`` boolean per date; default all) is subtracted; with
    ``keep_level`` the per-pixel median of all history dates is added back so the values stay in
    dB. A pixel with no history date in an orbit is NaN on that orbit's dates.
``band_orbit(tags)``
    The orbit label of one band of a time-stack GeoTIFF from its band tags (``orbit``,
    ``relative_orbit``/``orbit_state`` or ``sat:relative_orbit``/``sat:orbit_state``), None
    when it says nothing.
``causal_radar(values, units, orbits, history, ...)``
    The causal, per-orbit radar preparation of ``yvy detect --method bayts|sar``: linear power,
    the causal Quegan filter (``speckle_dates`` previous dates of the same orbit,
    :func:`yvy.kernels.radar.causal_quegan`), dB, then each orbit's per-pixel median over the
    history dates removed (``orbit_normalise``). It returns the state an
    incremental run continues from (per-orbit offsets and filter buffers).
``apply_layover_shadow(stack, mask, invalid=OPERA_INVALID)``
    NaN where the product's layover/shadow mask (2-D, or one per date) has an invalid code.
    OPERA RTC-S1 codes: 1 shadow, 2 layover, 3 both, 255 no data.
``layover_or_shadow(mask, scheme)``
    Where a product's mask marks layover or shadow: ``opera`` (the codes above) or ``hyp3``
    (ASF HyP3's GAMMA ``ls_map``, values added together: 1 tested, 2 look angle < slope,
    4 layover, 8 look angle < -slope, 16 shadow; a pixel is invalid when bit 4 or 16 is set;
    0 = not tested, kept as data, since the backscatter's own no-data marks outside the swath).
``deseasonalize(stack, percentile=0.95, lo=None, hi=None, percentiles=None)``
    bayts' spatial normalisation (R ``bayts::deseasonalizeRaster``): every date minus its
    spatial ``percentile`` (R ``quantile`` type 7) over the values in ``[lo, hi]``; values
    outside ``[lo, hi]`` become NaN. The percentile is a property of the **whole image**: for a
    chunked run compute ``date_percentiles`` once on the full extent (or a large sample) and
    pass them as ``percentiles``. ``date_percentiles_blocks(blocks, n_dates, q)`` computes them
    exactly over a grid read window by window (bounded memory for a whole tile).

Must not import: click, rich, sqlite3, yvy.storage, yvy.cli.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np

from ..errors import InputError
from ..kernels.radar import causal_quegan, date_percentiles, date_percentiles_blocks, quegan_filter, temporal_median

__all__ = [
    "OPERA_INVALID",
    "to_linear",
    "to_db",
    "speckle_filter",
    "orbit_labels",
    "orbit_groups",
    "require_single_orbit",
    "normalise_orbits",
    "band_orbit",
    "causal_radar",
    "orbit_name",
    "apply_layover_shadow",
    "layover_or_shadow",
    "deseasonalize",
    "date_percentiles",
    "date_percentiles_blocks",
]

OPERA_INVALID = (1, 2, 3, 255)
HYP3_LAYOVER, HYP3_SHADOW = 4, 16
"""Bits of ASF HyP3's ``ls_map`` (GAMMA's layover/shadow codes, as the product README lists them)."""


def to_linear(values: np.ndarray, units: str) -> np.ndarray:
    """Linear backscatter power from ``dB``, ``linear`` or ``amplitude`` values (float64)."""
    v = np.asarray(values, dtype="float64")
    u = _units(units)
    if u == "dB":
        return np.power(10.0, v / 10.0)
    if u == "amplitude":
        return v * v
    return v.copy()


def to_db(values: np.ndarray, units: str) -> np.ndarray:
    """Backscatter in dB from ``dB``, ``linear`` or ``amplitude`` values; NaN where power <= 0."""
    u = _units(units)
    if u == "dB":
        return np.asarray(values, dtype="float64").copy()
    p = to_linear(values, u)
    out = np.full(p.shape, np.nan)
    np.log10(p, out=out, where=p > 0)
    out[p > 0] *= 10.0
    return out


def _units(units: str) -> str:
    from ..catalog.formats.radar import norm_units

    u = norm_units(units, "units")
    if u == "dn":
        raise InputError("units", "uncalibrated digital numbers (dn); calibrate the GRD to "
                         "sigma0 or gamma0 first")
    return u


def speckle_filter(power: np.ndarray, window: int = 5, half_dates: int | None = None) -> np.ndarray:
    """Quegan multi-temporal speckle filter of a (T, y, x) linear power stack (one orbit)."""
    return quegan_filter(power, window, half_dates)


def orbit_labels(items: Sequence[dict]) -> list[tuple]:
    """``(orbit_state, relative_orbit)`` per item (None where the item does not say)."""
    return [(it.get("properties", {}).get("sat:orbit_state"),
             it.get("properties", {}).get("sat:relative_orbit")) for it in items]


def orbit_groups(orbits: Sequence[Hashable]) -> dict[Hashable, np.ndarray]:
    """Date indices of each orbit label, in first-seen order."""
    labels = list(orbits)
    return {o: np.array([i for i, x in enumerate(labels) if x == o])
            for o in dict.fromkeys(labels)}


def require_single_orbit(orbits: Sequence[Hashable], subject: object) -> Hashable:
    """The one orbit of a stack; InputError naming ``subject`` when it mixes several."""
    groups = orbit_groups(orbits)
    if len(groups) > 1:
        names = ", ".join(orbit_name(o) for o in list(groups)[:4])
        raise InputError(subject, f"mixes {len(groups)} orbits ({names}); ascending and "
                         "descending passes are not comparable raw: normalise per orbit or "
                         "select one orbit")
    if not groups:
        raise InputError(subject, "no dates")
    return next(iter(groups))


def orbit_name(o: Hashable) -> str:
    """A label as text: ``(orbit_state, relative_orbit)`` tuples joined with ``/``."""
    if isinstance(o, tuple):
        return "/".join(str(x) for x in o if x is not None)
    return str(o)


def normalise_orbits(db: np.ndarray, orbits: Sequence[Hashable], history: np.ndarray | None = None,
                     keep_level: bool = True) -> np.ndarray:
    """Subtract each orbit's per-pixel temporal median over the history dates (dB input)."""
    stack = np.asarray(db, dtype="float64")
    if stack.ndim != 3 or len(orbits) != stack.shape[0]:
        raise ValueError("db must be (T, y, x) with one orbit label per date")
    hist = np.ones(stack.shape[0], bool) if history is None else np.asarray(history, bool)
    out = np.empty_like(stack)
    for idx in orbit_groups(orbits).values():
        med = temporal_median(stack[idx], hist[idx])
        out[idx] = stack[idx] - med[None]
    if keep_level:
        out += temporal_median(stack, hist)[None]
    return out


def band_orbit(tags: dict) -> str | None:
    """Orbit label of a stack band from its tags (case-insensitive keys); None when none is given."""
    t = {str(k).lower(): str(v).strip() for k, v in tags.items() if str(v).strip()}
    if t.get("orbit"):
        return t["orbit"]
    state = t.get("orbit_state") or t.get("sat:orbit_state")
    rel = t.get("relative_orbit") or t.get("sat:relative_orbit")
    if state is None and rel is None:
        return None
    return "/".join(x.lower() for x in (state, rel) if x is not None)


def causal_radar(values: np.ndarray, units: str, orbits: Sequence[str], history: np.ndarray, *,
                 speckle_dates: int = 0, window: int = 5, orbit_normalise: bool = False,
                 inner: tuple[slice, slice] | None = None, offsets: dict | None = None,
                 buffers: dict | None = None) -> tuple[np.ndarray, dict, dict]:
    """Causal per-orbit preparation of a window of radar dates; returns ``(db, offsets, buffers)``.

    ``values``: (T, Y, X) backscatter in ``units`` (``dB`` or ``linear``) of the window read, with
    a halo of ``window // 2`` pixels where the grid has them; ``inner``: the (rows, cols) slices of
    the pixels wanted inside it (default all). ``orbits``: a label per date; ``history``: True for
    the dates before the monitoring start.

    * ``speckle_dates`` > 0: :func:`yvy.kernels.radar.causal_quegan` per orbit on linear power,
      each date with up to ``speckle_dates`` previous dates of its orbit. ``buffers`` (label ->
      (n, y, x) float64, the previous dates' ratios) continue an earlier run; missing: empty.
    * ``orbit_normalise``: ``offsets`` (label -> (y, x)) are added to each orbit's dates; when
      None they are computed from the ``history`` dates: minus the orbit's own per-pixel median
      (dB), so each orbit's dates become departures from its history level (NaN where the orbit
      has no history date at the pixel). An orbit without offsets (first seen after the history)
      is NaN.

    The returned ``buffers`` and ``offsets`` are what a later call on later dates needs to give
    the values one call over all the dates gives.
    """
    v = np.asarray(values, dtype="float64")
    rows, cols = inner if inner is not None else (slice(0, v.shape[1]), slice(0, v.shape[2]))
    h, w = rows.stop - rows.start, cols.stop - cols.start
    labels = [str(o) for o in orbits]
    if len(labels) != v.shape[0]:
        raise ValueError("one orbit label per date needed")
    buffers = {k: np.array(b, dtype="float64", copy=True) for k, b in (buffers or {}).items()}
    if speckle_dates > 0:
        power = to_linear(v, units)
        db = np.empty((v.shape[0], h, w))
        for label, idx in orbit_groups(labels).items():
            buf = buffers.setdefault(label, np.full((speckle_dates, h, w), np.nan))
            db[idx] = to_db(causal_quegan(power[idx], window, buf, (rows.start, cols.start)), "linear")
    else:
        db = to_db(v[:, rows, cols], units)
    if orbit_normalise:
        hist = np.asarray(history, bool)
        if offsets is None:
            offsets = {label: -temporal_median(db[idx], hist[idx]) for label, idx in orbit_groups(labels).items()}
        for label, idx in orbit_groups(labels).items():
            off = offsets.get(label)
            db[idx] = np.nan if off is None else db[idx] + off[None]
    return db, dict(offsets or {}), buffers


def apply_layover_shadow(stack: np.ndarray, mask: np.ndarray,
                         invalid: Sequence[int] = OPERA_INVALID) -> np.ndarray:
    """Copy of ``stack`` with NaN where ``mask`` (y, x) or (T, y, x) holds an invalid code."""
    out = np.array(stack, dtype="float64", copy=True)
    bad = np.isin(np.asarray(mask), np.asarray(list(invalid)))
    if bad.shape not in (out.shape, out.shape[1:]):
        raise ValueError(f"mask shape {bad.shape} does not match the stack {out.shape}")
    bad = np.broadcast_to(bad, out.shape)
    out[bad] = np.nan
    return out


def layover_or_shadow(mask: np.ndarray, scheme: str) -> np.ndarray:
    """Boolean array: ``True`` where ``mask`` (a product's layover/shadow layer) marks layover or
    shadow, read with the ``scheme`` of its provider (``opera`` or ``hyp3``; see the module)."""
    m = np.asarray(mask)
    if scheme == "opera":
        return np.isin(m, OPERA_INVALID)
    if scheme == "hyp3":
        return (m.astype(np.int64) & (HYP3_LAYOVER | HYP3_SHADOW)) != 0
    raise ValueError(f"unknown layover/shadow scheme {scheme!r}")


def deseasonalize(stack: np.ndarray, percentile: float = 0.95, lo: float | None = None,
                  hi: float | None = None, percentiles: np.ndarray | None = None) -> np.ndarray:
    """bayts spatial normalisation: each date minus its spatial ``percentile`` (see module)."""
    v = np.array(stack, dtype="float64", copy=True)
    lo_v = -np.inf if lo is None else float(lo)
    hi_v = np.inf if hi is None else float(hi)
    if lo is not None or hi is not None:
        v[(v < lo_v) | (v > hi_v)] = np.nan
    if percentiles is None:
        percentiles = date_percentiles(v, percentile, lo_v, hi_v)
    perc = np.asarray(percentiles, dtype="float64")
    if perc.shape != (v.shape[0],):
        raise ValueError(f"need one percentile per date ({v.shape[0]}), got {perc.shape}")
    v -= perc[:, None, None]
    return v
