"""Turn finished chunk files into the detection and model products and register them.

Shared by :func:`yvy.change.detect.run_detection` and :func:`yvy.change.monitor.update_monitoring`.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import time
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path

import numpy as np

from ..catalog.items import link_collection
from ..dates import now_iso
from ..errors import NotFoundError
from ._state import (
    DATE_COUNTS,  # noqa: F401 - re-exported
    DAY_STATE,  # noqa: F401 - re-exported
    MODEL_PREFIX,  # noqa: F401 - re-exported
    NPY_CHUNKS,
    STATE_PREFIX,  # noqa: F401 - re-exported
    chunk_side,
    scratch_layout,
    state_dir,
    storage_dtype,  # noqa: F401 - re-exported
)
from .product import (
    BREAKS_BANDS,
    CONFIRM_RULE,
    DETECTIONS,
    MODELS,
    OUTPUTS,
    STAC_VERSION,
    assemble,
    chunk_path,
    collection_dict,
    grid_properties,
    json_ready,
    load_chunk,
    output_specs,
    raster_asset,
    write_breaks,
)

__all__ = ["existing_version", "publish", "publish_detection", "store_model_arrays"]

RESIDUALS = "model__residuals"
UNCHANGED = "unchanged_json"
"""Key of a chunk file (an update's): JSON list of the model/state arrays equal to the previous
version's in that chunk (:func:`yvy.change.monitor.unchanged_arrays`)."""


def _chunk_file(scratch: Path):
    return functools.partial(chunk_path, scratch)


def _unchanged_everywhere(scratch: Path, n_chunks: int) -> set[str] | None:
    """Model arrays that every chunk of an update reports unchanged; None when a chunk does not
    say (a detection, a fusion update): every array is then written."""
    common = None
    for i in range(n_chunks):
        with load_chunk(_chunk_file(scratch)(i)) as z:
            if UNCHANGED not in z.files:
                return None
            keys = set(json.loads(str(z[UNCHANGED])))
        common = keys if common is None else common & keys
    return common or set()


def store_model_arrays(scratch: Path, n_chunks: int, dest: Path, chunk: int,
                       previous: Mapping[str, dict]) -> tuple[dict, dict[str, Path]]:
    """Move the model arrays of a finished job (``<scratch>/state``) into the version folder
    ``dest``; return (layout of the moved arrays, array -> its folder). An array that every chunk of
    an update reports unchanged keeps the previous version's asset (in ``previous``): not moved."""
    layout = scratch_layout(scratch)
    same = _unchanged_everywhere(scratch, n_chunks) or set()
    same = {k for k in same if k in previous and Path(previous[k]["href"]).exists()}
    moved = {}
    dest.mkdir(parents=True, exist_ok=True)
    for key in sorted(set(layout) - same):
        folder = dest / key
        if folder.exists():  # left by a publish that failed before it registered the item
            shutil.rmtree(folder)
        os.replace(state_dir(scratch) / key, folder)
        moved[key] = folder
    return {k: {**v, "chunk": chunk} for k, v in layout.items() if k in moved}, moved


def _summary(scratch: Path, n_chunks: int) -> dict:
    pixels = breaks = nobreak = little = 0
    bounded = None
    for i in range(n_chunks):
        with load_chunk(_chunk_file(scratch)(i)) as z:
            s = z["status"]
            if "median_bounded" in z.files:  # an update: pixels whose medians are only bounds
                bounded = (bounded or 0) + int(np.count_nonzero(z["median_bounded"]))
        pixels += int((s != -128).sum())
        breaks += int((s == 1).sum())
        nobreak += int((s == 0).sum())
        little += int((s == -2).sum())
    out = {"pixels": pixels, "breaks": breaks, "no_break": nobreak, "too_little_history": little}
    if bounded is not None:
        out["median_bounded"] = bounded
    return out


def existing_version(store, collection: str, item_id: str) -> tuple[int, dict | None]:
    """(version, item) of a registered product, or (0, None)."""
    try:
        item = store.get_item(collection, item_id)
    except NotFoundError:
        return 0, None
    return int(item["properties"].get("yvy:version", 1)), item


def _ensure_collections(store) -> None:
    for cid in (DETECTIONS, MODELS):
        try:
            store.get_collection(cid)
        except NotFoundError:
            store.upsert_collection(collection_dict(cid))


def _merge_layout(prev: dict, new: dict) -> dict:
    """Model layout after this version: the new arrays replace the old ones; the growing residual
    batches of the old layout (kept in models written before the state was fixed-size) go."""
    out = {k: v for k, v in prev.items() if k != RESIDUALS}
    out.update(new)
    return out


def _cleanup(roots, keep_hrefs: set[str]) -> None:
    """Remove the files of version folders that the catalog no longer references, and the folders
    left empty (an update keeps some files of an older version: the history fit's)."""
    for root in roots:
        if not root.exists():
            continue
        for folder in root.glob("v*"):
            if not folder.is_dir():
                continue
            for f in folder.iterdir():
                if str(f.absolute()) in keep_hrefs:
                    continue
                if f.is_dir():
                    shutil.rmtree(f, ignore_errors=True)
                else:
                    f.unlink(missing_ok=True)
            if not any(folder.iterdir()):
                folder.rmdir()


def publish(store, workspace, *, product_id: str, geobox, windows, scratch: Path, props: dict,
            geometry: dict, bbox: list, out: str | None, store_model: bool, started: float,
            previous_model: dict | None = None, outputs=OUTPUTS, breaks_bands=BREAKS_BANDS,
            confirm_rule: str = CONFIRM_RULE, model_format: str = "yvy-bfast-model",
            kept_outputs: dict[str, str] | None = None) -> dict:
    """Assemble the rasters of a new version, register detection (and model) items, clean up.

    ``props`` are the detection item's properties without the summary and version. With
    ``previous_model`` (an update), model arrays missing from the chunks (those the history fit
    set) keep their files; the others are written anew (the state is fixed-size per pixel).
    ``outputs``, ``breaks_bands``, ``confirm_rule`` and ``model_format`` describe the method's
    product (BFAST Monitor's by default; see :mod:`yvy.change.fusion` for bayts).
    ``kept_outputs`` (an update): output name -> file of the previous version that stays as it is.
    In an update, any other raster whose values did not change keeps its previous file too (it is
    compared with it window by window instead of being written and compressed again).
    """
    assets_root = Path(workspace.assets)
    version, _old = existing_version(store, DETECTIONS, product_id)
    version += 1
    det_dir = assets_root / "detections" / product_id / f"v{version}"
    mod_dir = assets_root / "models" / product_id / f"v{version}"
    chunk_file = _chunk_file(scratch)
    kept = {k: Path(v) for k, v in (kept_outputs or {}).items()}
    specs = [s for s in output_specs(outputs) if s.name not in kept]
    prev_files = ({k: a["href"] for k, a in _old.get("assets", {}).items()}
                  if previous_model is not None and _old is not None else None)
    files = {**assemble(scratch, windows, geobox, det_dir, specs, chunk_file, previous=prev_files), **kept}
    summary = _summary(scratch, len(windows))
    grid = grid_properties(geobox)
    last = props["yvy:last_processed"]
    model_item = None
    if store_model:
        prev_props = previous_model["properties"] if previous_model else {}
        prev_assets = previous_model["assets"] if previous_model else {}
        layout, moved = store_model_arrays(scratch, len(windows), mod_dir, chunk_side(windows), prev_assets)
        with load_chunk(chunk_file(0)) as z:
            meta = json.loads(str(z["meta_json"])) if "meta_json" in z.files else {}
        layout = _merge_layout(prev_props.get("yvy:model_arrays", {}), layout)
        model_assets = {k: v for k, v in prev_assets.items() if not k.startswith(RESIDUALS)}
        model_assets.update({k: {"href": str(f.absolute()), "type": NPY_CHUNKS, "title": k, "roles": ["data"]}
                             for k, f in moved.items()})
        model_item = {
            "type": "Feature", "stac_version": STAC_VERSION, "stac_extensions": [], "id": product_id,
            "collection": MODELS, "geometry": geometry, "bbox": bbox, "links": [],
            "properties": json_ready({
                "datetime": last, "start_datetime": props["yvy:history_start"], "end_datetime": last,
                "yvy:format": model_format, "yvy:detection": product_id, "yvy:model_meta": meta,
                "yvy:model_arrays": layout, "yvy:params": props["yvy:params"],
                "yvy:monitor_start": props["yvy:monitor_start"], "yvy:last_processed": last,
                "yvy:version": version, **grid, "updated": now_iso(),
            }),
            "assets": model_assets,
        }
    summary["seconds"] = round(time.perf_counter() - started, 3)
    det_props = {
        "datetime": last, "start_datetime": props["yvy:history_start"], "end_datetime": last,
        "yvy:format": "yvy-detection", **props, **grid, "yvy:version": version, "yvy:summary": summary,
        "yvy:confirm_rule": confirm_rule, "created": props.get("created") or now_iso(), "updated": now_iso(),
    }
    det_props["yvy:model"] = product_id if store_model else None
    item = {
        "type": "Feature", "stac_version": STAC_VERSION, "stac_extensions": [], "id": product_id,
        "collection": DETECTIONS, "geometry": geometry, "bbox": bbox, "properties": json_ready(det_props),
        "links": [],
        "assets": {o.name: raster_asset(files[o.name], o.description, o.dtype, o.nodata, o.unit)
                   for o in outputs},
    }
    _ensure_collections(store)
    item = link_collection(item)
    with store.transaction():
        store.upsert_item(item)
        if model_item is not None:
            store.upsert_item(link_collection(model_item))
        elif _old is not None:  # a rerun without a model: drop the stale one
            try:
                store.delete_item(MODELS, product_id)
            except NotFoundError:
                pass
    hrefs = {a["href"] for a in item["assets"].values()}
    hrefs |= {a["href"] for a in (model_item or {"assets": {}})["assets"].values()}
    _cleanup((assets_root / "detections" / product_id, assets_root / "models" / product_id), hrefs)
    if out:
        write_breaks(files, geobox, Path(out) / "breaks.tif", windows, breaks_bands)
    return item


def publish_detection(store, workspace, plan, scratch: Path, *, started: float) -> dict:
    """Publish the result of :func:`yvy.change.detect.run_detection`."""
    req = plan.request
    geobox = plan.cube.geobox
    footprint = geobox.extent.to_crs("EPSG:4326")
    if plan.aoi is not None:
        inter = plan.aoi.intersection(footprint)
        footprint = inter if not inter.is_empty else footprint
    request = {k: v for k, v in asdict(req).items() if k not in ("resume", "out")}
    if plan.aoi_geojson is not None:
        request["geometry"] = plan.aoi_geojson
    def iso(d):
        return f"{np.datetime_as_string(np.datetime64(int(d), 'D'))}T00:00:00Z"
    props = {
        "yvy:index": plan.cube.variable,
        "yvy:params": {"order": req.order, "trend": req.trend, "h": req.h, "level": req.level,
                       "history": req.history, "direction": req.direction},
        "yvy:history_start": f"{req.history_start}T00:00:00Z" if len(req.history_start) == 10 else req.history_start,
        "yvy:monitor_start": req.monitor_start,
        "yvy:monitor_start_decimal_year": plan.monitor_start,
        "yvy:last_processed": iso(plan.days[-1]),
        "yvy:first_date": iso(plan.days[0]),
        "yvy:n_dates": int(plan.t.size),
        "yvy:n_history_dates": int(plan.n_history),
        "yvy:aoi": plan.aoi_geojson,
        "yvy:inputs": plan.inputs,
        "yvy:request": request,
        "yvy:chunk": req.chunk,
        "yvy:breaks_bands": list(BREAKS_BANDS),
        "yvy:forest_rule": plan.forest_rule.to_dict() if plan.forest_rule else None,
    }
    minx, miny, maxx, maxy = footprint.boundingbox
    return publish(store, workspace, product_id=plan.product_id, geobox=geobox, windows=plan.windows,
                   scratch=scratch, props=props, geometry=footprint.json, bbox=[minx, miny, maxx, maxy],
                   out=req.out, store_model=req.store_model, started=started)

