"""Radar and radar-optical change detection (``yvy detect --method bayts|sar``) on time stacks.

The same pipeline as BFAST Monitor (:mod:`yvy.change.detect`): **plan** (every argument and input
checked, one-line errors before anything is written), **chunks** (resumable, run by
:func:`yvy.change.detect.run_chunks` in process or on Dask) and **assemble/publish**
(:func:`yvy.change._publish.publish`: COGs, STAC items in ``yvy-detections`` / ``yvy-models``).

Per chunk: read the optical stack (e.g. Landsat NDVI) and the Sentinel-1 backscatter stack on the
same grid, bring radar to dB (optionally first, per relative orbit and causally: the Quegan speckle
filter over each date and its ``speckle_filter`` previous dates, and the orbit's per-pixel history
median subtracted; :func:`yvy.cube.radar.causal_radar`), normalise every date by the
``percentile`` of its pixels over the whole grid (bayts' spatial normalisation, which removes
dry-forest seasonality), and run the bayts kernel (:mod:`yvy.kernels.bayts`). ``sar`` runs the
same kernel on radar alone: per-pass likelihoods confirmed by later passes, as RADD does. The
per-pixel kernel state (and that of the radar preparation) is stored (``state__*`` rasters of the
model product) so :mod:`yvy.change.monitor` can continue it.

Must not import: click, rich, sqlite3, yvy.cli.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import shutil
import time
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from ..cube import radar
from ..errors import DateRangeError, InputError
from ..kernels import bayts as kb
from ._fusion_catalog import CATALOG_FIELDS
from .product import Output
from .timebase import bfast_dates, decimal_year

__all__ = ["BAYTS_BANDS", "BAYTS_OUTPUTS", "FusionRequest", "plan_fusion", "run_fusion", "sar_units"]

METHODS = ("bayts", "sar")
DEFAULT_OPTICAL_PDF = (0.0, 0.1, -0.5, 0.125)
"""Normalised NDVI: forest N(0, 0.1), non-forest N(-0.5, 0.125) (Reiche et al. 2018)."""
DEFAULT_SAR_PDF = (-1.0, 0.75, -4.0, 1.0)
"""Normalised Sentinel-1 VV dB: forest N(-1, 0.75), non-forest N(-4, 1) (Reiche et al. 2018)."""

DEFAULT_CHI, DEFAULT_PNF_MIN, DEFAULT_BWF = 0.9, 0.5, (0.1, 0.95)
"""Defaults of ``yvy detect --method bayts|sar`` (``benchmarks/bench_radar_accuracy.py``): the best
F1 on the tuning half of the Bolivia Hansen pixels among settings with UA >= 0.95 that raise
false alerts on at most 1 % of the stable forest of the demo's six-month radar scenario (R's
example: chi 0.9, bwf (0.1, 0.9); for ``sar`` these tie with its own best tuning F1)."""
SPATIAL_DEFAULTS = {"bayts": (0.4, 3, 45), "sar": (0.3, 3, 45)}
"""Per method, the defaults ``(neighbour_chi, min_pixels, neighbour_days)`` of the spatial rule
(:mod:`yvy.kernels.grow`), chosen on yvy's thresholds by ``benchmarks/bench_radar_accuracy.py``:
the best tuning F1 with UA >= 0.95, at most 1 % false alerts on the demo's stable forest in six
months and no more in 36 months than without the rule (docs/radar.md)."""

CONFIRM_RULE = ("bayts: confirm_count = optical + radar dates from the flag to the confirmation of the "
                "change (Pchange >= chi) and later dates with PNF >= pnf_min; prev_obs_days = date of the "
                "flag; magnitude = -Pchange")

BAYTS_OUTPUTS: tuple[Output, ...] = (
    Output("break_decimal_year", "float64", np.nan,
           "time of the confirmed change (bayts change.confirmed), decimal year (NaN: none)", "year"),
    Output("break_days", "float32", np.nan, "time of the confirmed change, days since 1970-01-01", "day"),
    Output("change_flagged_decimal_year", "float64", np.nan,
           "time at which the confirmed change was flagged (bayts change.flagged)", "year"),
    Output("flag_decimal_year", "float64", np.nan, "time of a flagged, not yet confirmed change (bayts flag)",
           "year"),
    Output("pflag", "float32", np.nan, "probability of change of the unconfirmed flag (bayts Pflag)"),
    Output("pchange", "float32", np.nan, "probability of change at confirmation (bayts Pchange)"),
    Output("magnitude", "float32", np.nan, "-Pchange of a confirmed change (loss evidence for alerts)"),
    Output("break_magnitude", "float32", np.nan, "-Pchange of a confirmed change"),
    Output("status", "int8", -128, "1 confirmed change, 2 flagged (unconfirmed), 0 no change, "
                                   "-1 no date on or after the monitoring start, -2 no data, -128 outside the AOI"),
    Output("confirm_count", "int16", -1, CONFIRM_RULE),
    Output("confirm_count_optical", "int16", -1, "optical dates of confirm_count"),
    Output("confirm_count_radar", "int16", -1, "radar dates of confirm_count"),
    Output("prev_obs_days", "float32", np.nan, "date the confirmed change was flagged, days since 1970-01-01",
           "day"),
    Output("monitor_valid_count", "int16", -1, "valid fused dates monitored"),
)
"""Rasters of a bayts / sar detection product."""

BAYTS_BANDS = ("break_decimal_year", "change_flagged_decimal_year", "flag_decimal_year", "pflag", "pchange",
               "break_days", "status")
"""Band order of ``breaks.tif`` for bayts / sar (R baytsSpatial's five bands come first, in its order
but with the confirmed time first)."""

SPECKLE_WINDOW = 5
"""Side of the boxcar of the speckle filter's local means (pixels)."""
SINGLE_ORBIT = "single"
"""Orbit label of a radar stack whose bands state no orbit (one orbit is assumed)."""

_STATUS = {kb.CONFIRMED: 1, kb.FLAGGED: 2, kb.MONITORED: 0, kb.NO_MONITOR: -1, kb.NO_DATA: -2}


@dataclass(frozen=True)
class FusionRequest:
    """Everything ``yvy detect --method bayts|sar`` takes. Dates are ISO ``YYYY-MM-DD``."""

    monitor_start: str
    """Dates on or after it are monitored; earlier dates only give the prior of the first flag."""
    method: str = "bayts"
    stack: str | None = None
    """Optical time stack (e.g. NDVI), band descriptions = dates (bayts)."""
    sar_stack: str | None = None
    """Sentinel-1 backscatter time stack on the same grid (one polarisation)."""
    sar_units: str | None = None
    """``db`` or ``linear``; None: from the file's unit tags, else from its values (recorded)."""
    optical_pdf: tuple[float, float, float, float] = DEFAULT_OPTICAL_PDF
    sar_pdf: tuple[float, float, float, float] = DEFAULT_SAR_PDF
    chi: float = DEFAULT_CHI
    pnf_min: float = DEFAULT_PNF_MIN
    bwf: tuple[float, float] = DEFAULT_BWF
    neighbour_chi: float | None = None
    """Spatial rule: a pixel whose Pchange reached this (on a date with PNF >= pnf_min), 4-connected
    through such pixels to a confirmed pixel, is confirmed with it (``>= chi``: off; None: the
    method's default, :data:`SPATIAL_DEFAULTS`)."""
    min_pixels: int | None = None
    """Spatial rule: a change is confirmed once its 4-connected group has this many pixels (1: off;
    None: the method's default)."""
    neighbour_days: int | None = None
    """Spatial rule: two neighbours are connected only when their evidence is at most this many
    days apart (:mod:`yvy.kernels.grow`; 0: no window; None: the method's default)."""
    percentile: float = 0.95
    """Spatial normalisation: each date minus this quantile of its pixels (0 or None: off)."""
    orbit_normalise: bool = False
    """Radar: each relative orbit's per-pixel median over the history (dates before
    ``monitor_start``) subtracted from its dates (causal: monitoring dates never change it)."""
    speckle_filter: int = 0
    """Radar: causal multi-temporal Quegan filter over each date and up to this many previous
    dates of its orbit (0: off)."""
    history_start: str | None = None
    """First date read (default: all)."""
    end: str | None = None
    chunk: int = 512
    out: str | None = None
    resume: bool = False
    store_model: bool = True
    aoi: str | None = None
    """Catalog scenes instead of stacks: the area of interest (a vector file; or ``bbox``, ``scene``)."""
    bbox: tuple[float, float, float, float] | None = None
    scene: str | None = None
    geometry: dict | None = None
    index: str = "ndvi"
    """Optical index computed from the catalog's optical scenes."""
    collection: str | None = None
    """Collection of the optical scenes (default: any Sentinel-2 or Landsat collection)."""
    sar_collection: str | None = None
    """Collection of the radar scenes (default: any collection of items with ``sar:polarizations``)."""
    polarization: str = "VV"
    crs: str | None = None
    resolution: float | None = None

    def params(self) -> kb.BaytsParams:
        """Kernel thresholds; errors name the parameter (``chi``, ``pnf_min``, ``bwf``)."""
        rule = self.spatial()
        weak = rule["neighbour_chi"] if rule["grow"] else None
        return kb.BaytsParams(chi=self.chi, pnf_min=self.pnf_min, bwf=tuple(self.bwf), chi_weak=weak)

    def spatial(self) -> dict:
        """The spatial rule as stored with the product (``grow``: neighbours complete a change)."""
        nchi, mp, days = SPATIAL_DEFAULTS.get(self.method, (None, 1, None))
        return spatial_rule(nchi if self.neighbour_chi is None else self.neighbour_chi, self.chi,
                            mp if self.min_pixels is None else self.min_pixels,
                            days if self.neighbour_days is None else (self.neighbour_days or None))


@dataclass
class Sensor:
    """One input stack of a fusion plan."""

    name: str
    cube: object
    keep: np.ndarray
    t: np.ndarray
    days: np.ndarray
    pdf: kb.SensorPdf
    shift: np.ndarray
    """Per kept date: the value subtracted (spatial normalisation), 0 when off."""
    to_db: bool = False
    prep: RadarPrep | None = None
    """Radar: the causal per-orbit preparation (None: values used as read, only brought to dB)."""


@dataclass
class RadarPrep:
    """The causal per-orbit radar preparation of a sensor (:func:`yvy.cube.radar.causal_radar`)."""

    orbits: list
    """Orbit label of each kept date."""
    history: np.ndarray
    """True for the kept dates before the monitoring start."""
    speckle: int = 0
    orbit_normalise: bool = False
    labels: list = field(default_factory=list)
    """Every orbit label of the state, in the order of the ``state__radar_*`` arrays."""
    state: object | None = None
    """``(rows, cols) -> (offsets, buffers)`` of an earlier run (an update); None: a first run."""
    window: int = 5


@dataclass
class FusionPlan:
    """A checked fusion request with its cubes, dates and chunking: nothing is written yet."""

    request: FusionRequest
    sensors: list
    geobox: object
    windows: list
    monitor_start: float
    params: kb.BaytsParams
    product_id: str
    inputs: dict
    units: dict = field(default_factory=dict)
    aoi: object | None = None
    """Area of interest of a catalog-scene run (pixels outside: status -128), else None."""


def spatial_rule(neighbour_chi: float | None, chi: float, min_pixels: int, neighbour_days: int | None = None) -> dict:
    """``{"neighbour_chi", "min_pixels", "neighbour_days", "grow", "on"}``; one-line errors for bad
    values. A ``neighbour_chi`` at or above ``chi`` turns the growth off; ``neighbour_days`` None:
    no time window."""
    if neighbour_chi is not None and not 0.0 < neighbour_chi <= 1.0:
        raise InputError("neighbour_chi", f"must be in (0, 1] (got {neighbour_chi})")
    if not isinstance(min_pixels, int) or isinstance(min_pixels, bool) or not 1 <= min_pixels <= 10_000:
        raise InputError("min_pixels", f"{min_pixels!r} is not a number of pixels from 1 to 10000")
    if neighbour_days is not None and (isinstance(neighbour_days, bool) or not isinstance(neighbour_days, int)
                                       or not 1 <= neighbour_days <= 3650):
        raise InputError("neighbour_days", f"{neighbour_days!r} is not a number of days from 1 to 3650")
    grow = neighbour_chi is not None and neighbour_chi < chi
    on = grow or min_pixels > 1
    return {"neighbour_chi": neighbour_chi if grow else None, "min_pixels": min_pixels,
            "neighbour_days": neighbour_days if on else None, "grow": grow, "on": on}


def _date(name: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise DateRangeError(name, f"{value!r} is not a valid ISO date (YYYY-MM-DD)") from None


def sar_units(path: str, sample: np.ndarray | None = None) -> tuple[str, str]:
    """``(units, source)`` of a backscatter stack: from a ``units``/``unit`` tag, else from values.

    Values: any finite value below 0 means dB (linear backscatter is never negative); all values
    in [0, 10] mean linear power; anything else is InputError (pass ``--sar-units``).
    """
    from ..io import open_raster

    with open_raster(path) as ds:
        tags = {k.lower(): v for k, v in ds.tags().items()}
        tags.update({k.lower(): v for k, v in ds.tags(1).items()})
        unit = (tags.get("units") or tags.get("unit") or (ds.units[0] if ds.units else None) or "").strip().lower()
        if sample is None:  # every few dates, decimated to at most 512 x 512: bounded memory on a tile
            idx = list(range(1, ds.count + 1, max(1, ds.count // 16)))
            shape = (len(idx), min(ds.height, 512), min(ds.width, 512))
            sample = ds.read(idx, out_shape=shape, out_dtype="float32", masked=True).filled(np.nan)
    if unit in ("db", "decibel", "decibels"):
        return "db", "tag"
    if unit in ("linear", "power", "amplitude^2", "1"):
        return "linear", "tag"
    v = sample[np.isfinite(sample)]
    v = v[np.abs(v) < 1e30]
    if v.size == 0:
        raise InputError(path, "no valid backscatter values")
    if (v < 0).any():
        return "db", "values"
    if v.max() <= 10.0:
        return "linear", "values"
    raise InputError(path, "unknown backscatter units (no units tag, values neither dB nor linear power); "
                           "give the radar units (db or linear)")


def open_stack(path: str, what: str):
    from ..cube.stack import StackCube

    if not Path(path).exists():
        raise InputError(path, "file not found")
    return StackCube(path, variable=Path(path).stem)


def _dates(cube, hs: date | None, end: date | None, subject: str):
    times = list(cube.times)
    sel = np.array([i for i, tm in enumerate(times)
                    if (hs is None or tm.date() >= hs) and (end is None or tm.date() <= end)], dtype=np.int64)
    if sel.size == 0:
        raise DateRangeError(subject, "no dates in the requested period")
    t, k = bfast_dates([times[i].date().isoformat() for i in sel])
    keep = sel[k]
    days = np.array([(times[i].date() - date(1970, 1, 1)).days for i in keep], dtype=np.int64)
    return keep, t, days


def normalise_shift(sensor: Sensor, percentile: float | None, chunk: int = 512) -> np.ndarray:
    """Per kept date, the ``percentile`` of its valid pixels over the whole grid: the shift of
    :func:`yvy.cube.radar.deseasonalize` (bayts' ``deseasonalizeRaster``, R quantile type 7) on
    the float32 values the kernel sees, computed on the full extent so every chunk subtracts the
    same value. Streams the grid window by window, all dates at once, twice
    (:func:`yvy.cube.radar.date_percentiles_blocks`), so memory stays bounded on a whole tile."""
    keep = sensor.keep
    if not percentile or keep.size == 0:
        return np.zeros(keep.size)
    from ..cube.build import chunk_windows

    windows = chunk_windows(tuple(sensor.cube.geobox.shape), chunk)

    def blocks():
        for rows, cols in windows:
            yield sensor_values(sensor, rows, cols)

    return np.nan_to_num(radar.date_percentiles_blocks(blocks, keep.size, percentile), nan=0.0)


def sensor_values(sensor: Sensor, rows: slice, cols: slice, state_out: dict | None = None) -> np.ndarray:
    """(T, h, w) float32 values of one sensor's window before the spatial normalisation: as read
    (radar in dB), or, with :attr:`Sensor.prep`, through :func:`yvy.cube.radar.causal_radar`
    (the window read with a halo for the filter's local means; ``state_out`` receives the state a
    later update continues from: ``offsets`` and ``buffers`` per orbit label)."""
    prep = sensor.prep
    if prep is None:
        y = sensor.cube.read(rows, cols, sensor.keep).astype(np.float32, copy=False)
        return radar.to_db(y, "linear").astype(np.float32) if sensor.to_db else y
    halo = prep.window // 2 if prep.speckle else 0
    ny, nx = tuple(sensor.cube.geobox.shape)
    rh = slice(max(0, rows.start - halo), min(ny, rows.stop + halo))
    ch = slice(max(0, cols.start - halo), min(nx, cols.stop + halo))
    inner = (slice(rows.start - rh.start, rows.stop - rh.start), slice(cols.start - ch.start, cols.stop - ch.start))
    offsets, buffers = prep.state(rows, cols) if prep.state is not None else (None, None)
    y = sensor.cube.read(rh, ch, sensor.keep)
    db, offsets, buffers = radar.causal_radar(
        y, "linear" if sensor.to_db else "dB", prep.orbits, prep.history, speckle_dates=prep.speckle,
        window=prep.window, orbit_normalise=prep.orbit_normalise, inner=inner, offsets=offsets,
        buffers=buffers)
    if state_out is not None:
        state_out.update(offsets=offsets, buffers=buffers)
    return db.astype(np.float32)


def radar_state_arrays(prep: RadarPrep, state: dict, h: int, w: int) -> dict[str, np.ndarray]:
    """``state__radar_offsets`` (orbits, h, w) and ``state__radar_buffers`` (orbits, n, h, w),
    float64, in the order of ``prep.labels`` (NaN: none), of the options that are on."""
    out = {}
    if prep.orbit_normalise:
        off = state.get("offsets") or {}
        out["state__radar_offsets"] = np.stack([np.asarray(off[k], np.float64).reshape(h, w) if k in off
                                                else np.full((h, w), np.nan) for k in prep.labels])
    if prep.speckle:
        buf = state.get("buffers") or {}
        out["state__radar_buffers"] = np.stack([np.asarray(buf[k], np.float64).reshape(prep.speckle, h, w)
                                                if k in buf else np.full((prep.speckle, h, w), np.nan)
                                                for k in prep.labels])
    return out


def stack_orbits(path: str) -> tuple[list[str], str]:
    """``(label per band, source)`` of a radar stack: from its band tags
    (:func:`yvy.cube.radar.band_orbit`), or :data:`SINGLE_ORBIT` for every band, source
    ``assumed``, when no band states an orbit. InputError when only some bands do."""
    from ..io import open_raster

    with open_raster(path) as ds:
        labels = [radar.band_orbit(ds.tags(b)) for b in range(1, ds.count + 1)]
    if all(x is None for x in labels):
        return [SINGLE_ORBIT] * len(labels), "assumed"
    if any(x is None for x in labels):
        missing = next(i for i, x in enumerate(labels, start=1) if x is None)
        raise InputError(path, f"band {missing} states no orbit while other bands do (band tag orbit, or "
                               "orbit_state and relative_orbit, on every band)")
    return labels, "band tags"


def same_grid(a, b) -> bool:
    return a.shape == b.shape and a.crs == b.crs and all(
        math.isclose(x, y, rel_tol=0, abs_tol=1e-6 * max(1.0, abs(x))) for x, y in zip(a.affine, b.affine, strict=True))


def _check_stack_args(req: FusionRequest) -> None:
    if req.sar_stack is None:
        raise InputError("sar_stack", f"method {req.method} needs a Sentinel-1 time stack "
                                        "(or an area of interest with catalog scenes)")
    if req.method == "bayts" and req.stack is None:
        raise InputError("stack", "method bayts needs an optical time stack (or use method sar)")
    if any(x is not None for x in (req.aoi, req.bbox, req.scene)):
        raise InputError("aoi", "give time stacks (optical and radar) or an area of interest of "
                                  "catalog scenes, not both")


def _stack_cubes(req: FusionRequest) -> tuple[list, str, str]:
    """``([(name, cube, to_db)], radar units, where the units came from)`` of a stack request."""
    sar = open_stack(req.sar_stack, "sar_stack")
    units, source = (req.sar_units, "option") if req.sar_units else sar_units(req.sar_stack)
    cubes = [("radar", sar, units == "linear")]
    if req.method == "bayts":
        opt = open_stack(req.stack, "stack")
        if not same_grid(opt.geobox, sar.geobox):
            raise InputError(req.sar_stack, f"grid {sar.geobox.shape.yx} {sar.geobox.crs} does not match the "
                                            f"optical stack's {opt.geobox.shape.yx} {opt.geobox.crs} "
                                            "(same CRS, transform and size needed; reproject one onto the other)")
        cubes.insert(0, ("optical", opt, False))
    return cubes, units, source


def plan_fusion(req: FusionRequest, store=None) -> FusionPlan:
    """Check ``req`` and open its stacks (or, with an AOI and ``store``, its catalog scenes);
    raise one-line yvy errors before anything is written."""
    if req.method not in METHODS:
        raise InputError("method", f"{req.method!r} is not one of bfast, bayts, sar")
    ms, hs, end = _date("monitor_start", req.monitor_start), _date("history_start", req.history_start), \
        _date("end", req.end)
    if ms is None:
        raise DateRangeError("monitor_start", "is required")
    if req.chunk < 16:
        raise InputError("chunk", f"{req.chunk} px is too small; use 16 or more")
    catalog = req.stack is None and req.sar_stack is None and any(
        x is not None for x in (req.aoi, req.bbox, req.scene, req.geometry))
    if not catalog:
        _check_stack_args(req)
    if req.sar_units not in (None, "db", "linear"):
        raise InputError("sar_units", f"{req.sar_units!r} is not db or linear")
    if req.percentile is not None and not 0 <= req.percentile <= 1:
        raise InputError("percentile", f"{req.percentile} is not in [0, 1]")
    if not isinstance(req.speckle_filter, int) or isinstance(req.speckle_filter, bool) or \
            not 0 <= req.speckle_filter <= 64:
        raise InputError("speckle_filter", f"{req.speckle_filter!r} is not a number of dates from 0 to 64")
    params = req.params()  # checks the spatial rule first
    try:
        pdfs = {"optical": kb.SensorPdf(*req.optical_pdf), "radar": kb.SensorPdf(*req.sar_pdf)}
    except InputError as exc:
        raise InputError("pdf", exc.problem) from None  # i18n: relayed
    aoi = None
    if catalog:
        from ._fusion_catalog import catalog_cubes

        opt, sar, aoi = catalog_cubes(store, req, hs, end)
        units, source = "db", "items"
        cubes = [("radar", sar, False)] if opt is None else [("optical", opt, False), ("radar", sar, False)]
    else:
        cubes, units, source = _stack_cubes(req)
    msd = float(decimal_year([ms.isoformat()])[0])
    sensors = []
    for name, cube, to_db in cubes:
        subject = (req.stack if name == "optical" else req.sar_stack) or f"{name} scenes"
        keep, t, days = _dates(cube, hs, end, subject)
        sensor = Sensor(name, cube, keep, t, days, pdfs[name], np.zeros(keep.size), to_db)
        if name == "radar" and (req.orbit_normalise or req.speckle_filter):
            sensor.prep = _radar_prep(req, cube, keep, t < msd, catalog)
        sensor.shift = normalise_shift(sensor, req.percentile, req.chunk)
        sensors.append(sensor)
    if max(s.t[-1] for s in sensors) < msd and ms > date.today():
        raise DateRangeError("monitor_start", f"no data on or after {ms.isoformat()}")
    geobox = sensors[0].cube.geobox
    inputs = {s.name: s.cube.describe() for s in sensors}
    skip = ("out", "resume", "chunk", "store_model") + (() if catalog else CATALOG_FIELDS)
    skip += tuple(k for k in ("orbit_normalise", "speckle_filter") if not getattr(req, k))  # ids of runs without
    ident = json.dumps({"req": {k: v for k, v in asdict(req).items() if k not in skip},
                        "inputs": inputs, "units": units,
                        "dates": {s.name: [int(d) for d in s.days] for s in sensors}}, sort_keys=True, default=str)
    product_id = f"{req.method}-{ms.isoformat()}-{hashlib.sha256(ident.encode()).hexdigest()[:10]}"
    from ..cube.build import chunk_windows

    return FusionPlan(req, sensors, geobox, chunk_windows(tuple(geobox.shape), req.chunk), msd, params,
                      product_id, inputs, {"radar": units, "radar_source": source}, aoi)


def _radar_prep(req: FusionRequest, cube, keep: np.ndarray, history: np.ndarray, catalog: bool) -> RadarPrep:
    """The radar preparation of a first run: orbit labels of the kept dates (catalog scenes: their
    ``(orbit_state, relative_orbit)``; stacks: :func:`stack_orbits`)."""
    if catalog:
        labels = [radar.orbit_name(o) for o in cube.orbits]
    else:
        labels, _ = stack_orbits(req.sar_stack)
    orbits = [labels[int(i)] for i in keep]
    return RadarPrep(orbits, np.asarray(history, bool), int(req.speckle_filter), bool(req.orbit_normalise),
                     list(dict.fromkeys(orbits)), None, SPECKLE_WINDOW)


def read_sensor(sensor: Sensor, rows: slice, cols: slice, state_out: dict | None = None) -> np.ndarray:
    """(T, h*w) float32 normalised values of one sensor's window (dB for radar; ``state_out``:
    see :func:`sensor_values`)."""
    shift = sensor.shift
    y = sensor_values(sensor, rows, cols, state_out)
    # float32 shift, subtracted exactly in float64 then rounded: the float32 arithmetic of R parity
    y = radar.deseasonalize(y, percentiles=shift.astype(np.float32)).astype(np.float32)
    return y.reshape(y.shape[0], -1)


RAW_PREFIX = "spatial__"
"""Chunk-file keys of the kernel's own outputs, kept so the spatial rule can be applied (again) to them."""
_RAW_KEYS = ("flag", "change_flagged", "change_confirmed", "pflag", "pchange", "status", "counts", "n_monitor",
             "change_weak", "pweak")


def chunk_result(state: dict, h: int, w: int, names: list[str], store_state: bool,
                 spatial: bool = False) -> dict[str, np.ndarray]:
    """Product arrays of one chunk (and the kernel state as ``state__*``) from a kernel state.

    With ``spatial``, the kernel's outputs are kept too (``spatial__*``): :func:`yvy.change._spatial.apply`
    then rewrites the product arrays once the whole grid is known."""
    o = kb.outputs(state)
    arrays = product_arrays(o, h, w, names)
    if spatial:
        for k in _RAW_KEYS:
            a = np.asarray(o[k])
            arrays[RAW_PREFIX + k] = a.reshape(a.shape[:-1] + (h, w))
    if store_state:
        for k in kb.STATE_KEYS:
            a = np.asarray(state[k])
            arrays[f"state__{k}"] = a.reshape(a.shape[:-1] + (h, w))
    return arrays


def product_arrays(o: dict, h: int, w: int, names: list[str]) -> dict[str, np.ndarray]:
    """The product rasters (:data:`BAYTS_OUTPUTS`) of one chunk from per-pixel outputs ``o``
    (:func:`yvy.kernels.bayts.outputs`, pixels flat or ``(h, w)``)."""
    g = lambda a, dt: np.asarray(a).reshape(h, w).astype(dt)  # noqa: E731
    status = np.asarray(o["status"]).reshape(-1)
    conf = status == kb.CONFIRMED
    counts = np.where(conf[None, :], np.asarray(o["counts"]).reshape(len(names), -1), 0)
    by = dict(zip(names, counts, strict=True))
    cc = lambda n: g(by.get(n, np.zeros(conf.size)), "int16")  # noqa: E731
    day0 = date(1970, 1, 1).toordinal()
    pchange = np.asarray(o["pchange"])
    return {
        "break_decimal_year": g(o["change_confirmed"], "float64"),
        "break_days": g(_days_of(o["change_confirmed"], day0), "float32"),
        "change_flagged_decimal_year": g(o["change_flagged"], "float64"),
        "flag_decimal_year": g(o["flag"], "float64"),
        "pflag": g(o["pflag"], "float32"), "pchange": g(pchange, "float32"),
        "magnitude": g(-pchange, "float32"), "break_magnitude": g(-pchange, "float32"),
        "status": g(_status_codes(status), "int8"),
        "confirm_count": g(counts.sum(axis=0), "int16"),
        "confirm_count_optical": cc("optical"), "confirm_count_radar": cc("radar"),
        "prev_obs_days": g(_days_of(o["change_flagged"], day0), "float32"),
        "monitor_valid_count": g(o["n_monitor"], "int16"),
    }


def _status_codes(status: np.ndarray) -> np.ndarray:
    """Kernel status -> product status (:data:`_STATUS`) through a lookup table."""
    lo = min(_STATUS)
    lut = np.zeros(max(_STATUS) - lo + 1, np.int8)
    for k, v in _STATUS.items():
        lut[k - lo] = v
    return lut[np.asarray(status, dtype=np.int64) - lo]


def _days_of(t: np.ndarray, day0: int) -> np.ndarray:
    """Days since 1970-01-01 of decimal years in R's time base (NaN stays NaN)."""
    from .timebase import DAYS_PER_YEAR

    t = np.asarray(t, dtype=np.float64)
    out = np.full(t.shape, np.nan)
    ok = np.isfinite(t)
    if ok.any():
        year = np.floor(t[ok] + 1e-9).astype(np.int64)
        yday = np.rint((t[ok] - year) * DAYS_PER_YEAR).astype(np.int64)  # 0-based, 365-day year
        cum = np.array([0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365])
        month = np.searchsorted(cum, yday, side="right") - 1
        years, inv = np.unique(year, return_inverse=True)  # per distinct year, not per pixel
        first = np.array([date(int(y), 1, 1).toordinal() for y in years], dtype=np.int64)[inv]
        leap = np.array([date(int(y), 3, 1).toordinal() - date(int(y), 1, 1).toordinal() == 60
                         for y in years], dtype=bool)[inv]
        out[ok] = first + yday + np.where(leap & (month >= 2), 1, 0) - day0
    return out


def _chunk(plan: FusionPlan, i: int) -> dict[str, np.ndarray]:
    rows, cols = plan.windows[i]
    h, w = rows.stop - rows.start, cols.stop - cols.start
    radar_state: dict = {}
    ys = [read_sensor(s, rows, cols, radar_state if s.prep is not None else None) for s in plan.sensors]
    inside = None
    if plan.aoi is not None:
        from ..cube.build import aoi_mask

        inside = aoi_mask(plan.geobox, plan.aoi, rows, cols)
        ys = [np.where(inside.reshape(1, -1), y, np.float32(np.nan)) for y in ys]
    state = kb.init_state(h * w, len(plan.sensors))
    kb.bayts_update(state, ys, [s.t for s in plan.sensors], [s.pdf for s in plan.sensors], plan.monitor_start,
                    plan.params)
    arrays = chunk_result(state, h, w, [s.name for s in plan.sensors], plan.request.store_model,
                          plan.request.spatial()["on"])
    if inside is not None:
        arrays["status"][~inside] = -128
    prep = next((s.prep for s in plan.sensors if s.prep is not None), None)
    if plan.request.store_model and prep is not None:
        arrays.update(radar_state_arrays(prep, radar_state, h, w))
    if plan.request.store_model:
        arrays["meta_json"] = np.array(json.dumps(_meta(plan)))
    return arrays


def _meta(plan: FusionPlan) -> dict:
    return {"method": plan.request.method, "monitor_start": plan.monitor_start,
            "params": {"chi": plan.params.chi, "pnf_min": plan.params.pnf_min, "bwf": list(plan.params.bwf),
                       "spatial": plan.request.spatial()},
            "sensors": [{"name": s.name, "pdf": list(s.pdf.as_row()), "to_db": s.to_db,
                         "last_time": float(s.t[-1]), "last_day": int(s.days[-1])} for s in plan.sensors],
            "max_chains": kb.MAX_CHAINS, **({"radar": _prep_meta(prep)} if (prep := _prep(plan)) else {})}


def _prep(plan: FusionPlan) -> RadarPrep | None:
    return next((s.prep for s in plan.sensors if s.prep is not None), None)


def _prep_meta(prep: RadarPrep, source: str | None = None) -> dict:
    """What ``yvy monitor update`` needs to continue the radar preparation (model meta, product
    ``yvy:radar_preparation``)."""
    return {"orbit_normalise": prep.orbit_normalise, "speckle_filter": prep.speckle,
            "speckle_window": prep.window, "orbits": list(prep.labels),
            "state": [k for k, on in (("state__radar_offsets", prep.orbit_normalise),
                                      ("state__radar_buffers", bool(prep.speckle))) if on],
            **({"orbit_source": source} if source else {})}


def _props(plan: FusionPlan) -> dict:
    req = plan.request
    last = max(int(s.days[-1]) for s in plan.sensors)
    first = min(int(s.days[0]) for s in plan.sensors)
    iso = lambda d: f"{np.datetime_as_string(np.datetime64(int(d), 'D'))}T00:00:00Z"  # noqa: E731
    request = {k: v for k, v in asdict(req).items() if k not in ("resume", "out")}
    return {
        "yvy:method": req.method, "yvy:index": "+".join(s.name for s in plan.sensors),
        "yvy:params": {"method": req.method, "chi": req.chi, "pnf_min": req.pnf_min, "bwf": list(req.bwf),
                       "spatial": req.spatial(),
                       "percentile": req.percentile, "orbit_normalise": req.orbit_normalise,
                       "speckle_filter": req.speckle_filter,
                       "pdfs": {s.name: list(s.pdf.as_row()) for s in plan.sensors}},
        "yvy:sar_units": plan.units,
        "yvy:history_start": iso(first), "yvy:monitor_start": req.monitor_start,
        "yvy:monitor_start_decimal_year": plan.monitor_start, "yvy:last_processed": iso(last),
        "yvy:first_date": iso(first), "yvy:n_dates": {s.name: int(s.t.size) for s in plan.sensors},
        "yvy:normalisation": {s.name: [float(x) for x in s.shift] for s in plan.sensors},
        "yvy:aoi": plan.aoi.json if plan.aoi is not None else None,
        "yvy:inputs": plan.inputs, "yvy:request": request, "yvy:chunk": req.chunk,
        "yvy:breaks_bands": list(BAYTS_BANDS), "yvy:forest_rule": None,
        **({"yvy:radar_preparation": _prep_meta(prep, "items" if plan.aoi is not None else
                                                stack_orbits(req.sar_stack)[1])} if (prep := _prep(plan)) else {}),
    }


def run_fusion(store, workspace, request: FusionRequest, progress=None, runner=None) -> dict:
    """Run bayts (or sar) over the request's stacks; return the detection product's STAC item dict.

    Same chunked, resumable job as :func:`yvy.change.detect.run_detection` (``runner``: where the
    chunks run, e.g. Dask). InputError (and subclasses) for bad arguments, before anything is written.
    """
    from ._publish import publish
    from .detect import finish_job, run_chunks

    started = time.perf_counter()
    plan = plan_fusion(request, store)
    scratch = Path(workspace.assets) / "detections" / plan.product_id / ".scratch"
    job_id = f"detect:{plan.product_id}"
    run_chunks(store, job_id, "detect", {"product": plan.product_id, "chunk": request.chunk,
                                         "store_model": request.store_model},
               scratch, len(plan.windows), functools.partial(_chunk, plan), resume=request.resume,
               progress=progress, runner=runner)
    if request.spatial()["on"]:
        from ._spatial import apply

        apply(scratch, plan.windows, tuple(plan.geobox.shape), [s.name for s in plan.sensors], request.spatial())
    footprint = plan.geobox.extent.to_crs("EPSG:4326")
    minx, miny, maxx, maxy = footprint.boundingbox
    item = publish(store, workspace, product_id=plan.product_id, geobox=plan.geobox, windows=plan.windows,
                   scratch=scratch, props=_props(plan), geometry=footprint.json, bbox=[minx, miny, maxx, maxy],
                   out=request.out, store_model=request.store_model, started=started, outputs=BAYTS_OUTPUTS,
                   breaks_bands=BAYTS_BANDS, confirm_rule=CONFIRM_RULE, model_format="yvy-bayts-state")
    finish_job(store, job_id, summary=item["properties"]["yvy:summary"])
    shutil.rmtree(scratch, ignore_errors=True)
    return item
