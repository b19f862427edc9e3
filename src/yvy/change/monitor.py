"""Incremental monitoring: advance a stored BFAST Monitor model with scenes newer than its last update.

:func:`update_monitoring` reads the history model that :func:`yvy.change.detect.run_detection`
stored (collection ``yvy-models``), loads only the observations dated after the product's
``yvy:last_processed`` day (a catalog query by datetime, or the newer bands of a time stack), runs
the kernel's ``monitor_update`` chunk by chunk without refitting, and publishes a new version of
the detection product and the model. The result equals a from-scratch run on all the data.

The update is a resumable chunked job like detection (``jobs`` table + per-chunk ``.npz``).

Must not import: click, rich, sqlite3, yvy.cli.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from ..catalog.ports import ItemQuery
from ..cube.build import ItemCube, aoi_mask, chunk_windows
from ..cube.mask import sensor_of
from ..dates import now_iso, parse_instant
from ..errors import ConflictError, InputError, NotFoundError
from . import _engine
from ._publish import UNCHANGED, publish
from ._state import LINKS, MODEL_PREFIX, chunk_file, chunk_side, read_state_window
from .detect import PRODUCT_COLLECTIONS, Progress, Runner, finish_job, run_chunks
from .forest import ForestRule
from .product import DETECTIONS, MODELS, geobox_from_properties, read_window, same_bits
from .timebase import bfast_dates, decimal_year

__all__ = ["UpdatePlan", "latest_product", "update_monitoring"]


def latest_product(store) -> dict:
    """The most recently updated detection product, or NotFoundError."""
    best = None
    for it in store.iter_items(ItemQuery(collections=[DETECTIONS])):
        key = (it["properties"].get("updated") or "", it["id"])
        if best is None or key > best[0]:
            best = (key, it)
    if best is None:
        raise NotFoundError(DETECTIONS, "no detection product yet; run `yvy detect` first")
    return best[1]


@dataclass
class UpdatePlan:
    """What an update will do: the product, its model and the new observations."""

    product: dict
    model: dict
    cube: object | None
    keep: np.ndarray
    t: np.ndarray
    days: np.ndarray
    windows: list
    geobox: object
    aoi: object | None
    new_inputs: dict


def _aoi_of(props: Mapping):
    geom = props.get("yvy:aoi")
    if not geom:
        return None
    from odc.geo.geom import Geometry

    return Geometry(geom, "EPSG:4326")


def _new_cube(store, product: dict, geobox, aoi, stack: str | None, stack_mask: str | None):
    """(cube, inputs) of the observations newer than the product, or (None, {}) when none."""
    props = product["properties"]
    req = props.get("yvy:request", {})
    inputs = props.get("yvy:inputs", {})
    last = parse_instant(props["yvy:last_processed"]).date()
    if stack or req.get("stack") or "stack" in inputs or "stack_bands" in inputs:
        from ..cube.stack import StackCube, stack_item_cube

        if stack is None and "stack" not in inputs:
            item = store.find_item(inputs["items"][0])
            cube = stack_item_cube(item, index=req.get("index", "ndvi"), aoi=aoi, crs=req.get("crs"),
                                   resolution=req.get("resolution"))
        else:
            path = stack or inputs["stack"]
            if not Path(path).exists():
                raise InputError(path, "stack file not found; give the updated stack")
            cube = StackCube(path, mask=stack_mask or (inputs.get("stack_mask") if not stack else None),
                             aoi=aoi, crs=req.get("crs"), resolution=req.get("resolution"),
                             variable=props.get("yvy:index"))
        if tuple(cube.geobox.shape) != tuple(geobox.shape) or cube.geobox.affine != geobox.affine:
            raise InputError(stack or inputs.get("stack"), "the stack's grid differs from the product's grid")
        return cube, cube.describe()
    q = ItemQuery(collections=[req["collection"]] if req.get("collection") else None,
                  intersects=aoi.json if aoi is not None else None,
                  start=f"{last.isoformat()}T00:00:00Z")
    sensors = {s for s in (sensor_of(store.find_item(i)) for i in inputs.get("items", [])[:1]) if s}
    new = [it for it in store.iter_items(q)
           if it.get("collection") not in PRODUCT_COLLECTIONS and sensor_of(it) is not None
           and (not sensors or sensor_of(it) in sensors)
           and parse_instant(it["properties"].get("datetime") or it["properties"]["start_datetime"]).date() > last]
    if not new:
        return None, {}
    cube = ItemCube(new, req.get("index", "ndvi"), geobox, aoi=aoi, chunk=int(props.get("yvy:chunk", 512)))
    return cube, cube.describe()


def product_and_model(store, product_id: str | None = None) -> tuple[dict, dict]:
    """(detection item, model item) of a product (default: the latest); errors when the model is
    missing or of another version."""
    product = store.get_item(DETECTIONS, product_id) if product_id else latest_product(store)
    try:
        model = store.get_item(MODELS, product["id"])
    except NotFoundError:
        raise InputError(product["id"], "this product has no stored model; rerun `yvy detect`") from None
    if int(model["properties"].get("yvy:version", 0)) != int(product["properties"].get("yvy:version", 0)):
        raise ConflictError(product["id"], "model and detection versions differ; rerun `yvy detect`")
    return product, model


def plan_update(store, product_id: str | None = None, *, stack: str | None = None,
                stack_mask: str | None = None) -> UpdatePlan:
    """Find the product and its model and the newer observations; nothing is written."""
    product, model = product_and_model(store, product_id)
    props = product["properties"]
    geobox = geobox_from_properties(props)
    aoi = _aoi_of(props)
    windows = chunk_windows(tuple(geobox.shape), int(props.get("yvy:chunk", 512)))
    cube, new_inputs = _new_cube(store, product, geobox, aoi, stack, stack_mask)
    last = parse_instant(props["yvy:last_processed"]).date()
    keep = np.zeros(0, dtype=np.int64)
    t = np.zeros(0)
    days = np.zeros(0, dtype=np.int64)
    if cube is not None:
        sel = np.array([i for i, tm in enumerate(cube.times) if tm.date() > last], dtype=np.int64)
        end = props.get("yvy:request", {}).get("end")
        if end:
            sel = np.array([i for i in sel if cube.times[i].date() <= parse_instant(end).date()], dtype=np.int64)
        if sel.size:
            t, k = bfast_dates([cube.times[i].date().isoformat() for i in sel])
            keep = sel[k]
            last_t = float(decimal_year(last.isoformat())[0])
            newer = t > last_t  # 29 Feb / 1 Mar share a stamp: never rewrite a processed one
            t, keep = t[newer], keep[newer]
            days = np.array([(cube.times[i].date() - date(1970, 1, 1)).days for i in keep], dtype=np.int64)
            ms = float(props.get("yvy:monitor_start_decimal_year", -np.inf))
            if t.size and t[0] < ms:
                raise InputError(product["id"], f"{int((t < ms).sum())} new dates fall before the monitoring "
                                                f"start {props.get('yvy:monitor_start')}; the history must be "
                                                "refitted: run `yvy detect` again")
    return UpdatePlan(product, model, cube, keep, t, days, windows, geobox, aoi, new_inputs)


def _model_chunk(model: dict, rows: slice, cols: slice) -> tuple[dict, dict]:
    """(kernel model dict, state dict) of one window, read from the stored model (either layout)."""
    layout = model["properties"].get("yvy:model_arrays", {})
    assets = model["assets"]
    h, w = rows.stop - rows.start, cols.stop - cols.start
    kmodel: dict = {"meta": dict(model["properties"].get("yvy:model_meta", {}))}
    state: dict = {}
    for key, info in layout.items():
        lead = tuple(int(v) for v in info["lead"])
        if "batches" in info and "chunk" not in info:  # residuals: append-only batches, one per version
            parts = [read_window(assets[b]["href"], rows, cols) for b in info["batches"]]
            arr = np.concatenate(parts, axis=0) if parts else np.zeros((0, h, w))
        elif key in assets:
            arr = _stored_window(model, key, rows, cols)
        else:  # an array with no bands (nothing monitored yet)
            arr = np.zeros((*lead, h, w))
        arr = arr.reshape(*lead, h * w).astype(info["dtype"], copy=False)
        target = kmodel if key.startswith(MODEL_PREFIX) else state
        target[key.split("__", 1)[1]] = arr
    return kmodel, state


def _stored_window(model: dict, key: str, rows: slice, cols: slice) -> np.ndarray:
    """``(*lead, h, w)`` of one stored array of a model item, as stored: one ``.npy`` per chunk
    (:mod:`yvy.change._state`) or, for a model written before, one GeoTIFF."""
    info, href = model["properties"]["yvy:model_arrays"][key], model["assets"][key]["href"]
    if "chunk" in info:
        return read_state_window(href, int(info["chunk"]), tuple(model["properties"]["proj:shape"]), rows, cols)
    return read_window(href, rows, cols)


def model_array(model: dict, key: str) -> np.ndarray:
    """One stored array of a model item over its whole grid, ``(*lead, height, width)``, as stored."""
    h, w = model["properties"]["proj:shape"]
    return _stored_window(model, key, slice(0, h), slice(0, w))


def unchanged_arrays(arrays: Mapping[str, np.ndarray], kmodel: dict, state: dict) -> list[str]:
    """Model and state arrays of a chunk result (``model__*`` / ``state__*``) equal, bit for bit, to
    the ones the update read: the publish step keeps the previous file of an array unchanged in
    every chunk and writes the others without comparing them with the previous files."""
    out, sources = [], {"model": kmodel, "state": state}
    for key, arr in arrays.items():
        prefix, sep, name = key.partition("__")
        old = sources[prefix].get(name) if sep and prefix in sources else None
        if old is None or np.asarray(old).size != arr.size:
            continue
        if same_bits(np.asarray(arr).reshape(-1), np.asarray(old).reshape(-1)):
            out.append(key)
    return out


def previous_chunk_files(model: dict, keys: list[str], i: int, windows: list) -> dict[str, str]:
    """key -> the previous version's file of chunk ``i``, for the ``keys`` stored one file per chunk
    of the same chunk windows (an update hard-links them instead of writing them again)."""
    layout, assets = model["properties"].get("yvy:model_arrays", {}), model["assets"]
    chunk = chunk_side(windows)
    return {k: str(chunk_file(Path(assets[k]["href"]), i)) for k in keys
            if k in assets and layout.get(k, {}).get("chunk") == chunk}


def _fixed_outputs(product: dict) -> dict[str, str]:
    """Output rasters of the history fit that an update keeps: name -> file (those present)."""
    assets = product.get("assets", {})
    return {k: assets[k]["href"] for k in _engine.FIXED_OUTPUTS
            if k in assets and Path(assets[k]["href"]).exists()}


def update_monitoring(store, workspace, product_id: str | None = None, *, stack: str | None = None,
                      stack_mask: str | None = None, progress: Progress | None = None,
                      resume: bool = False, runner: Runner | None = None, sar_stack: str | None = None) -> dict:
    """Monitor the scenes newer than a detection product's last update; return its new item.

    Parameters
    ----------
    product_id
        Detection product id (default: the most recently updated one).
    stack, stack_mask
        For a product made from a time stack: the stack that now holds newer bands
        (default: the original path, re-read).

    sar_stack
        For a bayts / sar product: the radar stack with newer bands (``stack`` is then the optical
        one); such products are continued by :func:`yvy.change._fusion_update.update_fusion`.

    Returns the product item unchanged, with ``yvy:new_dates`` 0 in its summary, when there is
    nothing new.
    """
    started = time.perf_counter()
    product, model = product_and_model(store, product_id)
    if product["properties"].get("yvy:method") in ("bayts", "sar"):
        from ._fusion_update import update_fusion

        return update_fusion(store, workspace, product, model, stack=stack, sar_stack=sar_stack,
                             progress=progress, resume=resume, runner=runner)
    if sar_stack is not None:
        raise InputError("sar_stack", f"{product['id']} is not a bayts or sar product")
    plan = plan_update(store, product_id, stack=stack, stack_mask=stack_mask)
    props = plan.product["properties"]
    if plan.t.size == 0:
        item = dict(plan.product)
        item["properties"] = {**props, "yvy:summary": {**props.get("yvy:summary", {}), "new_dates": 0}}
        return item
    pid = plan.product["id"]
    version = int(props.get("yvy:version", 1))
    scratch = Path(workspace.assets) / "detections" / pid / f".scratch-update-v{version + 1}"
    job_id = f"monitor:{pid}:v{version + 1}"
    kept = _fixed_outputs(plan.product)
    rule = ForestRule(**props["yvy:forest_rule"]) if props.get("yvy:forest_rule") else None
    if "forest_history" in kept:  # the layer's file stays: no need to recompute it per chunk
        rule = None

    def work(i: int) -> dict:
        rows, cols = plan.windows[i]
        h, w = rows.stop - rows.start, cols.stop - cols.start
        inside = aoi_mask(plan.geobox, plan.aoi, rows, cols)
        kmodel, state = _model_chunk(plan.model, rows, cols)
        if inside.any():
            y = plan.cube.read(rows, cols, plan.keep)
            y[:, ~inside] = np.nan
        else:
            y = np.full((plan.t.size, h, w), np.nan, dtype=np.float32)
        res = _engine.update(kmodel, state, y.reshape(y.shape[0], -1), plan.t, plan.days, forest_rule=rule)
        arrays = _engine.to_chunk(res, h, w, inside)
        same = unchanged_arrays(arrays, kmodel, state)
        arrays[UNCHANGED] = np.array(json.dumps(same))
        arrays[LINKS] = np.array(json.dumps(previous_chunk_files(plan.model, same, i, plan.windows)))
        return arrays

    job_params = {"product": pid, "from_version": version, "dates": [int(d) for d in plan.days]}
    run_chunks(store, job_id, "monitor", job_params, scratch, len(plan.windows), work,
               resume=resume, progress=progress, runner=runner)
    iso = f"{np.datetime_as_string(np.datetime64(int(plan.days[-1]), 'D'))}T00:00:00Z"
    inputs = dict(props.get("yvy:inputs", {}))
    if "items" in plan.new_inputs and "stack" not in inputs:
        inputs["items"] = list(dict.fromkeys([*inputs.get("items", []), *plan.new_inputs["items"]]))
    if "stack" in plan.new_inputs:
        inputs["stack"] = plan.new_inputs["stack"]
    new_props = {k: v for k, v in props.items()
                 if k.startswith("yvy:") and k not in ("yvy:summary", "yvy:version", "yvy:model",
                                                       "yvy:confirm_rule")}
    new_props.update({
        "yvy:last_processed": iso, "yvy:inputs": inputs,
        "yvy:n_dates": int(props.get("yvy:n_dates", 0)) + int(plan.t.size),
        "yvy:updates": [*props.get("yvy:updates", []), {"at": now_iso(), "new_dates": int(plan.t.size),
                                                        "last_processed": iso}],
        "created": props.get("created"),
    })
    item = publish(store, workspace, product_id=pid, geobox=plan.geobox, windows=plan.windows,
                   scratch=scratch, props=new_props, geometry=plan.product["geometry"],
                   bbox=plan.product["bbox"], out=None, store_model=True, started=started,
                   previous_model=plan.model, kept_outputs=kept)
    item["properties"]["yvy:summary"]["new_dates"] = int(plan.t.size)
    finish_job(store, job_id, summary=item["properties"]["yvy:summary"])
    shutil.rmtree(scratch, ignore_errors=True)
    return item



