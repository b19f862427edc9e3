"""Change detection over an area: cube -> BFAST Monitor per spatial chunk -> detection product.

:func:`run_detection` is the one entry point (``yvy detect`` and ``yvy demo`` call it):

1. **plan** (:func:`plan_detection`): check every argument, open the cube (catalog items via
   odc-stac, or a time-stack GeoTIFF) and the dates, so that bad arguments are one-line errors
   before anything is written;
2. **chunks**: for each spatial chunk (all dates): read ``(T, h, w)``, blank pixels outside the
   AOI, put the dates in R's time base with its duplicate-day rule
   (:func:`yvy.change.timebase.bfast_dates`), fit the history model, monitor the rest, and save
   the results and the model state to ``<scratch>/chunk_<i>.npz``; the job's progress is in
   the ``jobs`` table, so ``resume=True`` skips finished chunks after a kill;
3. **assemble**: COGs written atomically, registered as STAC items in ``yvy-detections`` (the
   result) and ``yvy-models`` (the fitted model, for :mod:`yvy.change.monitor`).

Must not import: click, rich, sqlite3, yvy.cli.
"""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from ..catalog.ports import ItemQuery
from ..cube.build import (
    ItemCube,
    aoi_mask,
    bbox_geometry,
    check_index,
    chunk_windows,
    item_geometry,
    plan_geobox,
    read_aoi,
)
from ..cube.mask import SENSORS, sensor_of
from ..dates import parse_date
from ..errors import DateRangeError, EmptyAOIError, InputError, NotFoundError
from . import _engine
from .forest import ForestRule, rule_for_index
from .product import DETECTIONS, MODELS, chunk_path
from .timebase import bfast_dates

__all__ = [
    "DetectPlan", "DetectRequest", "Progress", "Runner", "plan_detection", "run_chunks", "run_detection",
]

Progress = Callable[[int, int], None]
"""``progress(done_chunks, total_chunks)``; called once at the start and after every chunk."""

Runner = Callable[[Callable, object, list[int]], Iterator[tuple[int, dict]]]
"""``runner(fn, arg, indices)`` yields ``(i, fn(arg, i))`` for each index, in any order."""

PRODUCT_COLLECTIONS = (DETECTIONS, MODELS)


@dataclass(frozen=True)
class DetectRequest:
    """Everything ``yvy detect`` takes. Dates are ISO ``YYYY-MM-DD``."""

    history_start: str
    """First date used for the stable-history model."""
    monitor_start: str
    """Start of the monitoring period (observations on or after it are monitored)."""
    index: str = "ndvi"
    """Index computed from the scenes (ignored for a single-variable stack, whose values are used)."""
    aoi: str | None = None
    """Vector file (GeoJSON...) of the area of interest."""
    bbox: tuple[float, float, float, float] | None = None
    """Area of interest as a WGS84 lon/lat box."""
    scene: str | None = None
    """Id of a catalog item whose footprint is the area of interest."""
    geometry: dict | None = None
    """Area of interest as a WGS84 GeoJSON geometry (for Python callers)."""
    stack: str | None = None
    """A time-stack GeoTIFF to use instead of catalog scenes."""
    stack_mask: str | None = None
    """Mask stack for ``stack`` (same grid and dates; non-zero = invalid)."""
    collection: str | None = None
    """Only scenes of this collection."""
    end: str | None = None
    """Last date used (default: all data)."""
    history: str = "all"
    """``all`` or ``roc`` (reverse-ordered CUSUM stable history)."""
    order: int = 3
    """Number of harmonic terms."""
    trend: bool = True
    h: float = 0.25
    """MOSUM bandwidth, fraction of the history length."""
    level: float = 0.05
    """Significance level of the monitoring test."""
    direction: str = "both"
    """Breaks from ``both`` directions of the MOSUM test (R), or ``negative`` (drops only: suits
    deforestation with an index that falls with loss) or ``positive`` (rises only)."""
    crs: str | None = None
    resolution: float | None = None
    chunk: int = 512
    """Spatial chunk size in pixels."""
    out: str | None = None
    """Also write ``breaks.tif`` (and nothing else) into this folder."""
    resume: bool = False
    """Continue an interrupted run of the same request."""
    store_model: bool = True
    """Keep the fitted model (needed by ``yvy monitor update``)."""

    def params(self):
        """The kernel's :class:`~yvy.kernels.bfast.BfastParams`; InputError when invalid."""
        return _engine.make_params(self.order, self.trend, self.h, self.level, self.history, self.direction)


@dataclass
class DetectPlan:
    """A checked request with its cube, dates and chunking: nothing is written yet."""

    request: DetectRequest
    cube: object
    times: list
    keep: np.ndarray
    """Indices into ``cube.times`` of the bands used, in time order (duplicates dropped)."""
    t: np.ndarray
    """Decimal years (R time base) of the kept bands."""
    days: np.ndarray
    """Days since 1970-01-01 of the kept bands."""
    monitor_start: float
    params: object
    windows: list
    product_id: str
    inputs: dict
    aoi: object | None
    aoi_geojson: dict | None
    n_history: int = field(default=0)
    forest_rule: ForestRule | None = None
    """Rule of the ``forest_history`` layer (the index's default; None: layer all unknown)."""


# -- planning -----------------------------------------------------------------------------------
def _aoi(store, req: DetectRequest):
    given = [x for x in (req.aoi, req.bbox, req.scene, req.geometry) if x is not None]
    if len(given) > 1:
        raise InputError("aoi", "give only one area of interest: a vector file, a bbox or a scene")
    if req.aoi is not None:
        return read_aoi(req.aoi)
    if req.bbox is not None:
        return bbox_geometry(req.bbox)
    if req.geometry is not None:
        from odc.geo.geom import Geometry

        g = Geometry(req.geometry, "EPSG:4326")
        if g.is_empty or g.area == 0:
            raise EmptyAOIError("geometry", "the area of interest is empty")
        return g
    if req.scene is not None:
        try:
            return item_geometry(store.find_item(req.scene))
        except NotFoundError:
            raise NotFoundError(req.scene, "no such scene in the catalog") from None
    return None


def _select_items(store, req: DetectRequest, aoi, start: date, end: date | None) -> list[dict]:
    if aoi is None:
        raise InputError("aoi", "an area of interest is required with catalog scenes: a vector file, "
                                  "a bbox or a scene (or use a time stack)")
    q = ItemQuery(collections=[req.collection] if req.collection else None, intersects=aoi.json,
                  start=f"{start.isoformat()}T00:00:00Z",
                  end=f"{end.isoformat()}T23:59:59Z" if end else None)
    found = [it for it in store.iter_items(q) if it.get("collection") not in PRODUCT_COLLECTIONS]
    if not found:
        raise EmptyAOIError("AOI", (f"no scenes of collection {req.collection}" if req.collection else "no scenes")
                            + f" intersect the area of interest from {start.isoformat()}"
                            + (f" to {end.isoformat()}" if end else ""))
    return found


def _stack_cube(req: DetectRequest, aoi):
    from ..cube.stack import StackCube

    if req.stack_mask and not req.stack:
        raise InputError("stack_mask", "a mask stack needs its time stack")
    for p in (req.stack, req.stack_mask):
        if p and not Path(p).exists():
            raise InputError(p, "file not found")
    return StackCube(req.stack, mask=req.stack_mask, aoi=aoi, crs=req.crs, resolution=req.resolution,
                     variable=req.index)


def _catalog_cube(store, req: DetectRequest, aoi, start: date, end: date | None):
    from ..cube.stack import stack_item_cube

    found = _select_items(store, req, aoi, start, end)
    scenes = [it for it in found if sensor_of(it) is not None]
    stacks = [it for it in found if it.get("properties", {}).get("yvy:stack_dates")]
    if not scenes and stacks:
        if len(stacks) > 1:
            raise InputError("collection", f"{len(stacks)} time-stack items cover the AOI "
                                             f"({', '.join(s['id'] for s in stacks[:3])}...); choose one "
                                             "with a collection or a time stack")
        return stack_item_cube(stacks[0], index=req.index, aoi=aoi, crs=req.crs, resolution=req.resolution)
    if not scenes:
        raise InputError("collection", "no Sentinel-2 or Landsat scenes cover the AOI "
                                         f"(found {', '.join(sorted({str(i.get('collection')) for i in found}))})")
    sensors = sorted({sensor_of(it) for it in scenes})
    if len(sensors) > 1:
        raise InputError("collection", f"scenes of several sensors ({', '.join(sensors)}) cover the AOI; "
                                         "choose one collection")
    spec = SENSORS[sensors[0]]
    geobox = plan_geobox(aoi, scenes, crs=req.crs, resolution=req.resolution, sensor=spec)
    return ItemCube(scenes, req.index, geobox, aoi=aoi, chunk=req.chunk)


def plan_detection(store, req: DetectRequest) -> DetectPlan:
    """Check ``req`` and open its data; raise one-line yvy errors before anything is written."""
    hs = parse_date(req.history_start, "history_start")
    ms = parse_date(req.monitor_start, "monitor_start")
    end = parse_date(req.end, "end")
    if hs is None or ms is None:
        raise DateRangeError("monitor_start", "both the history start and the monitoring start are required")
    if ms <= hs:
        raise DateRangeError("monitor_start", f"{ms.isoformat()} is not after the history start "
                                                f"{hs.isoformat()}")
    if end is not None and end < ms:
        raise DateRangeError("end", f"{end.isoformat()} is before the monitoring start {ms.isoformat()}")
    if req.stack is None:
        check_index(req.index)
    if req.chunk < 16:
        raise InputError("chunk", f"{req.chunk} px is too small; use 16 or more")
    params = req.params()
    aoi = _aoi(store, req)
    cube = _stack_cube(req, aoi) if req.stack else _catalog_cube(store, req, aoi, hs, end)
    times = list(cube.times)
    sel = np.array([i for i, tm in enumerate(times)
                    if tm.date() >= hs and (end is None or tm.date() <= end)], dtype=np.int64)
    if sel.size == 0:
        raise DateRangeError("history_start", f"no data between {hs.isoformat()} and "
                                                f"{(end or times[-1].date()).isoformat()}")
    t, k = bfast_dates([times[i].date().isoformat() for i in sel])
    keep = sel[k]
    days = np.array([(times[i].date() - date(1970, 1, 1)).days for i in keep], dtype=np.int64)
    msd = float(_engine.decimal_year(ms))
    n_hist = int((t < msd).sum())
    need = _engine.min_history(params)
    if n_hist < need:
        raise InputError("history_start", f"only {n_hist} dates before the monitoring start "
                                            f"{ms.isoformat()}; the model needs at least {need}")
    if n_hist == t.size and (ms > date.today() or not req.store_model):
        # no monitoring data yet is fine when the model is kept for `yvy monitor update`
        raise DateRangeError("monitor_start", f"no data on or after {ms.isoformat()} (last date "
                                                f"{times[keep[-1]].date().isoformat()})")
    inputs = cube.describe()
    aoi_geojson = aoi.json if aoi is not None else None
    ident_req = {k2: v for k2, v in asdict(req).items() if k2 not in ("out", "resume", "chunk", "store_model")}
    if req.direction == "both":  # R's test: ids of products made before directions existed stay the same
        ident_req.pop("direction")
    ident = json.dumps({
        "req": ident_req,
        "inputs": inputs, "dates": [int(d) for d in days],
    }, sort_keys=True, default=str)
    digest = hashlib.sha256(ident.encode()).hexdigest()[:10]
    name = (cube.variable or "values").lower().replace(" ", "_")[:16]
    product_id = f"bfm-{name}-{ms.isoformat()}-{digest}"
    windows = chunk_windows(tuple(cube.geobox.shape), req.chunk)
    return DetectPlan(req, cube, times, keep, t, days, msd, params, windows, product_id, inputs,
                      aoi, aoi_geojson, n_hist, rule_for_index(cube.variable or req.index))


# -- chunks -------------------------------------------------------------------------------------
def _chunk_arrays(plan: DetectPlan, i: int) -> dict[str, np.ndarray]:
    rows, cols = plan.windows[i]
    h, w = rows.stop - rows.start, cols.stop - cols.start
    inside = aoi_mask(plan.cube.geobox, plan.aoi, rows, cols)
    if inside.any():
        y = plan.cube.read(rows, cols, plan.keep)
        y[:, ~inside] = np.nan
    else:  # nothing to read: the kernel gives the model layout for all-missing pixels
        y = np.full((plan.keep.size, h, w), np.nan, dtype=np.float32)
    res = _engine.detect(y.reshape(y.shape[0], -1), plan.t, plan.days, plan.monitor_start, plan.params,
                         store_model=plan.request.store_model, forest_rule=plan.forest_rule)
    return _engine.to_chunk(res, h, w, inside)


def _call(work: Callable[[int], dict], i: int) -> dict:
    return work(i)


def _serial(fn, arg, indices):
    for i in indices:
        yield i, fn(arg, i)


def run_chunks(store, job_id: str, kind: str, job_params: dict, scratch: Path, n_chunks: int,
               work: Callable[[int], dict], *, resume: bool, progress: Progress | None,
               runner: Runner | None = None) -> None:
    """Run ``work(i)`` for every chunk not already finished; persist each result and the progress.

    Each result is saved (its model arrays to ``scratch/state``, see :mod:`yvy.change._state`, then
    the rest to ``scratch/chunk_<i>.npz``) and recorded in the ``jobs`` table, so a killed run
    continues where it stopped when called again with ``resume=True``. ``runner``
    (see :func:`yvy.cluster.chunk_executor`) computes the chunks elsewhere, e.g. on Dask
    workers; only this function writes their results, once each, as they complete.
    """
    from ._state import STATE_LAYOUT, save_state
    from .product import save_chunk

    done: set[int] = set()
    job = store.get_job(job_id)
    # the chunk files' layout is part of the job: scratch left by a release that kept the model
    # arrays in the chunk files is not resumed but computed again
    params_now = json.loads(json.dumps({**job_params, "state_layout": STATE_LAYOUT}, sort_keys=True, default=str))
    if resume and job is not None and job.state != "done" and job.params == params_now:
        done = {i for i in job.progress.get("done", []) if chunk_path(scratch, i).exists()}
    else:
        shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True, exist_ok=True)
    store.start_job(job_id, kind, params_now, {"done": sorted(done), "n_chunks": n_chunks})
    if progress:
        progress(len(done), n_chunks)
    pending = [i for i in range(n_chunks) if i not in done]
    for i, result in (runner or _serial)(_call, work, pending):
        save_chunk(chunk_path(scratch, i), save_state(scratch, i, result))
        done.add(i)
        store.update_job(job_id, progress={"done": sorted(done), "n_chunks": n_chunks})
        if progress:
            progress(len(done), n_chunks)


def finish_job(store, job_id: str, state: str = "done", summary: Mapping | None = None) -> None:
    """Mark a job done (or failed) with its summary."""
    store.update_job(job_id, progress=dict(summary or {}), state=state)


# -- entry point --------------------------------------------------------------------------------
def run_detection(store, workspace, request: DetectRequest, progress: Progress | None = None,
                  runner: Runner | None = None) -> dict:
    """Run BFAST Monitor over the request's area; return the detection product's STAC item dict.

    Parameters
    ----------
    store
        Catalog store (:class:`yvy.catalog.ports.CatalogStore` and
        :class:`yvy.catalog.ports.JobStore`).
    workspace
        :class:`yvy.config.Workspace`; products go to ``workspace.assets/detections/<id>/``.
    request
        :class:`DetectRequest`.
    progress
        ``progress(done_chunks, total_chunks)``.
    runner
        Where chunks are computed (default: in this process, in order); see
        :func:`yvy.cluster.chunk_executor`. Results are identical either way.

    Raises
    ------
    yvy.errors.InputError
        (and its subclasses) for bad arguments, before anything is written.
    """
    from . import _publish

    started = time.perf_counter()
    plan = plan_detection(store, request)
    scratch = Path(workspace.assets) / "detections" / plan.product_id / ".scratch"
    job_id = f"detect:{plan.product_id}"
    job_params = {"product": plan.product_id, "chunk": request.chunk, "store_model": request.store_model}
    run_chunks(store, job_id, "detect", job_params, scratch, len(plan.windows),
               functools.partial(_chunk_arrays, plan), resume=request.resume, progress=progress,
               runner=runner)
    item = _publish.publish_detection(store, workspace, plan, scratch, started=started)
    finish_job(store, job_id, summary=item["properties"]["yvy:summary"])
    shutil.rmtree(scratch, ignore_errors=True)
    return item
