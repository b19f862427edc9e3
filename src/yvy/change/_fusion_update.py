"""Incremental bayts / sar monitoring: continue a fusion product's stored per-pixel state on new dates.

:func:`update_fusion` is what ``yvy monitor update`` runs for a product of ``yvy detect --method
bayts|sar``: for each sensor it reads only the dates after the last one the product processed
(stacks: from the recorded stacks, or newer copies given as ``stack`` / ``sar_stack``; catalog
scenes: the scenes of the catalog the product does not hold, chosen as the first run chose them,
:func:`yvy.change._fusion_catalog.new_scenes_cube`, on the product's grid and AOI). A date older
than the newest one already processed, of any sensor, cannot be inserted into the past: it is
skipped and counted in ``yvy:updates``, and only a new ``yvy detect`` uses it. New dates are
normalised as the first run normalised them (each date by its own percentile over the grid, so old
dates never change; the optional radar preparation is causal: the speckle filter continues from
each orbit's stored buffer of its last dates and the orbit offsets are the stored history ones,
``state__radar_*`` rasters), pixels outside the AOI stay out (status -128), the
kernel state of each chunk is loaded from the model product (``state__*`` rasters), advanced with
:func:`yvy.kernels.bayts.bayts_update` and a new version is published. The result equals one run
over all the dates (the state is the kernel's complete per-pixel state).

Must not import: click, rich, sqlite3, yvy.cli.
"""

from __future__ import annotations

import json
import shutil
import time
from datetime import date
from pathlib import Path

import numpy as np

from ..cube.build import aoi_mask, chunk_windows
from ..errors import InputError
from ..kernels import bayts as kb
from ._publish import publish
from .detect import finish_job, run_chunks
from .fusion import (
    BAYTS_BANDS,
    BAYTS_OUTPUTS,
    CONFIRM_RULE,
    SPECKLE_WINDOW,
    RadarPrep,
    Sensor,
    chunk_result,
    normalise_shift,
    open_stack,
    radar_state_arrays,
    read_sensor,
    same_grid,
    spatial_rule,
    stack_orbits,
)
from .product import geobox_from_properties
from .timebase import bfast_dates

__all__ = ["update_fusion"]

_EPOCH = date(1970, 1, 1).toordinal()


def _new_sensors(store, props: dict, meta: dict, geobox, aoi, stack: str | None, sar_stack: str | None,
                 skipped: dict, model: dict | None = None) -> list[Sensor]:
    """The sensors' dates after the newest date the product processed (``skipped``: per sensor, the
    dates that arrived late, older than that, which one run over all dates would have used)."""
    from ._fusion_catalog import new_scenes_cube

    inputs = props.get("yvy:inputs", {})
    req = props.get("yvy:request", {})
    given = {"optical": stack, "radar": sar_stack}
    last_time = max(float(m["last_time"]) for m in meta["sensors"])
    last_day = date.fromordinal(_EPOCH + max(int(m["last_day"]) for m in meta["sensors"]))
    out = []
    for m in meta["sensors"]:
        name = m["name"]
        path = inputs.get(name, {}).get("stack")
        if not path and "items" in inputs.get(name, {}):  # catalog scenes: the new ones, from the catalog
            if given.get(name):
                raise InputError("sar_stack" if name == "radar" else "stack",
                                 "this product was made from catalog scenes; ingest the new scenes "
                                 "(`yvy ingest`) and run the update without stacks")
            cube, skipped[name] = new_scenes_cube(store, props, name, geobox, aoi, last_day)
        else:
            path = given.get(name) or path
            if not path or not Path(path).exists():
                raise InputError(str(path), f"{name} stack file not found; give the updated {name} stack")
            cube = open_stack(path, name)
            if not same_grid(cube.geobox, geobox):
                raise InputError(path, "the stack's grid differs from the product's grid")
        times = list(cube.times) if cube is not None else []
        sel = np.arange(len(times), dtype=np.int64)
        if req.get("end"):
            sel = np.array([i for i in sel if times[i].date().isoformat() <= req["end"][:10]], dtype=np.int64)
        if sel.size:
            t, k = bfast_dates([times[i].date().isoformat() for i in sel])
            late = (t > float(m["last_time"])) & (t <= last_time)
            skipped[name] = skipped.get(name, 0) + int(late.sum())  # older than the newest processed date
            newer = t > last_time
            t, keep = t[newer], sel[k][newer]
        else:
            t, keep = np.zeros(0), sel
        days = np.array([(times[i].date() - date(1970, 1, 1)).days for i in keep], dtype=np.int64)
        sensor = Sensor(name, cube, keep, t, days, kb.SensorPdf(*m["pdf"]), np.zeros(keep.size), bool(m["to_db"]))
        if name == "radar" and meta.get("radar"):
            sensor.prep = _continued_prep(props, meta["radar"], model, cube, keep, t, path)
        if keep.size:
            sensor.shift = normalise_shift(sensor, req.get("percentile"), int(req.get("chunk") or 512))
        out.append(sensor)
    return out


def _continued_prep(props: dict, info: dict, model: dict | None, cube, keep: np.ndarray, t: np.ndarray,
                    path: str | None) -> RadarPrep:
    """The radar preparation of new dates, continued from the model's ``state__radar_*`` rasters
    (orbit labels: the new scenes' or the new stack's band tags; new orbits appended)."""
    from ..cube import radar

    if cube is None or keep.size == 0:
        orbits = []
    elif hasattr(cube, "orbits"):
        orbits = [radar.orbit_name(cube.orbits[int(i)]) for i in keep]
    else:
        labels, _ = stack_orbits(path)
        orbits = [labels[int(i)] for i in keep]
    ms = float(props.get("yvy:monitor_start_decimal_year", -np.inf))
    if info.get("orbit_normalise") and t.size and t[0] < ms:
        raise InputError(props.get("yvy:monitor_start", "monitor_start"),
                         f"{int((t < ms).sum())} new radar dates fall before the monitoring start, whose "
                         "history sets the orbit normalisation: run `yvy detect` again")
    old = list(info.get("orbits", []))
    labels = old + [o for o in dict.fromkeys(orbits) if o not in old]
    speckle, on = int(info.get("speckle_filter", 0)), bool(info.get("orbit_normalise"))

    def state(rows: slice, cols: slice):
        st = _state_chunk(model, rows, cols)
        h, w = rows.stop - rows.start, cols.stop - cols.start
        offsets = buffers = None
        if on:
            arr = st["radar_offsets"].reshape(len(old), h, w)
            offsets = {k: arr[i] for i, k in enumerate(old)}
        if speckle:
            arr = st["radar_buffers"].reshape(len(old), speckle, h, w)
            buffers = {k: arr[i] for i, k in enumerate(old)}
        return offsets, buffers

    return RadarPrep(orbits, np.zeros(len(orbits), bool), speckle, on, labels, state,
                     int(info.get("speckle_window", SPECKLE_WINDOW)))


def _inputs(old: dict, new: dict) -> dict:
    """A sensor's recorded inputs after an update: a stack's are the new ones; catalog scenes add up
    (item ids appended, collections and orbits joined)."""
    if "stack" in new or "items" not in old:
        return new
    merged = {**old, **new}
    for k, v in new.items():
        if isinstance(v, list) and isinstance(old.get(k), list):
            merged[k] = list(dict.fromkeys([*old[k], *v])) if k == "items" else sorted({*old[k], *v})
    return merged


def _state_chunk(model: dict, rows: slice, cols: slice) -> dict:
    from .monitor import _model_chunk

    _, state = _model_chunk(model, rows, cols)
    n = state["status"].size
    for k in ("weak", "weak_p"):  # a model written before the spatial rule: no weak evidence kept
        state.setdefault(k, np.full(n, np.nan))
    return state


def update_fusion(store, workspace, product: dict, model: dict, *, stack: str | None = None,
                  sar_stack: str | None = None, progress=None, resume: bool = False, runner=None) -> dict:
    """Advance a bayts / sar product over the dates newer than its last update; return its new item.

    Returns the product item unchanged, with ``new_dates`` 0 in its summary, when nothing is new.
    """
    from .monitor import _aoi_of

    started = time.perf_counter()
    props = product["properties"]
    meta = model["properties"]["yvy:model_meta"]
    geobox = geobox_from_properties(props)
    aoi = _aoi_of(props)
    skipped: dict = {}
    sensors = _new_sensors(store, props, meta, geobox, aoi, stack, sar_stack, skipped, model)
    n_new = sum(int(s.t.size) for s in sensors)
    if n_new == 0:
        item = dict(product)
        item["properties"] = {**props, "yvy:summary": {**props.get("yvy:summary", {}), "new_dates": 0}}
        return item
    windows = chunk_windows(tuple(geobox.shape), int(props.get("yvy:chunk", 512)))
    rule = meta["params"].get("spatial") or spatial_rule(None, meta["params"]["chi"], 1)  # made before the rule: off
    params = kb.BaytsParams(chi=meta["params"]["chi"], pnf_min=meta["params"]["pnf_min"],
                            bwf=tuple(meta["params"]["bwf"]), chi_weak=rule["neighbour_chi"])
    new_meta = {**meta, "sensors": [
        {**m, **({"last_time": float(s.t[-1]), "last_day": int(s.days[-1])} if s.t.size else {})}
        for m, s in zip(meta["sensors"], sensors, strict=True)]}
    prep = next((s.prep for s in sensors if s.prep is not None), None)
    if prep is not None:
        new_meta["radar"] = {**meta["radar"], "orbits": list(prep.labels)}

    def work(i: int) -> dict:
        rows, cols = windows[i]
        h, w = rows.stop - rows.start, cols.stop - cols.start
        state = _state_chunk(model, rows, cols)
        radar_state: dict = {}
        if prep is not None:
            radar_state = dict(zip(("offsets", "buffers"), prep.state(rows, cols), strict=True))
            for k in ("radar_offsets", "radar_buffers"):
                state.pop(k, None)
        ys = [read_sensor(s, rows, cols, radar_state if s.prep is not None else None) if s.t.size
              else np.zeros((0, h * w), np.float32) for s in sensors]
        inside = aoi_mask(geobox, aoi, rows, cols)
        ys = [np.where(inside.reshape(1, -1), y, np.float32(np.nan)) for y in ys]
        kb.bayts_update(state, ys, [s.t for s in sensors], [s.pdf for s in sensors], meta["monitor_start"],
                        params)
        arrays = chunk_result(state, h, w, [s.name for s in sensors], True, rule["on"])
        arrays["status"][~inside] = -128
        if prep is not None:
            arrays.update(radar_state_arrays(prep, radar_state, h, w))
        arrays["meta_json"] = np.array(json.dumps(new_meta))
        return arrays

    pid = product["id"]
    version = int(props.get("yvy:version", 1))
    scratch = Path(workspace.assets) / "detections" / pid / f".scratch-update-v{version + 1}"
    job_id = f"monitor:{pid}:v{version + 1}"
    job_params = {"product": pid, "from_version": version,
                  "dates": {s.name: [int(d) for d in s.days] for s in sensors}}
    run_chunks(store, job_id, "monitor", job_params, scratch, len(windows), work, resume=resume,
               progress=progress, runner=runner)
    if rule["on"]:
        from ._spatial import apply

        apply(scratch, windows, tuple(geobox.shape), [s.name for s in sensors], rule)
    last = max(int(m.get("last_day", 0)) for m in new_meta["sensors"])
    iso = f"{np.datetime_as_string(np.datetime64(last, 'D'))}T00:00:00Z"
    inputs = dict(props.get("yvy:inputs", {}))
    for s in sensors:
        if s.cube is not None:
            inputs[s.name] = _inputs(inputs.get(s.name, {}), s.cube.describe())
    new_props = {k: v for k, v in props.items()
                 if k.startswith("yvy:") and k not in ("yvy:summary", "yvy:version", "yvy:model", "yvy:confirm_rule")}
    n_dates = dict(props.get("yvy:n_dates", {}))
    for s in sensors:
        n_dates[s.name] = int(n_dates.get(s.name, 0)) + int(s.t.size)
    norm = dict(props.get("yvy:normalisation", {}))
    for s in sensors:
        norm[s.name] = [*norm.get(s.name, []), *[float(x) for x in s.shift]]
    if prep is not None and "yvy:radar_preparation" in new_props:
        new_props["yvy:radar_preparation"] = {**new_props["yvy:radar_preparation"], "orbits": list(prep.labels)}
    new_props.update({"yvy:last_processed": iso, "yvy:inputs": inputs, "yvy:n_dates": n_dates,
                      "yvy:normalisation": norm, "created": props.get("created"),
                      "yvy:updates": [*props.get("yvy:updates", []), {"new_dates": n_new, "last_processed": iso,
                                                                "late_dates_skipped": skipped}]})
    item = publish(store, workspace, product_id=pid, geobox=geobox, windows=windows, scratch=scratch,
                   props=new_props, geometry=product["geometry"], bbox=product["bbox"], out=None, store_model=True,
                   started=started, previous_model=model, outputs=BAYTS_OUTPUTS, breaks_bands=BAYTS_BANDS,
                   confirm_rule=CONFIRM_RULE, model_format="yvy-bayts-state")
    item["properties"]["yvy:summary"]["new_dates"] = n_new
    finish_job(store, job_id, summary=item["properties"]["yvy:summary"])
    shutil.rmtree(scratch, ignore_errors=True)
    return item
