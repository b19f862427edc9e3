"""The stored model of a detection product, chunk by chunk: one ``.npy`` file per array and chunk.

A monitoring update reads every model/state array of every chunk and writes most of them again, so
the store is laid out the way the job works: ``models/<id>/v<N>/<array>/c<i>.npy``, chunk ``i`` of
the product's row-major chunk windows (:func:`yvy.cube.build.chunk_windows`), in the array's storage
dtype (:func:`storage_dtype`). A chunk's arrays are written once, by the process that runs the job,
as its result arrives: into the job's scratch folder first (``<scratch>/state``, so ``--resume``
keeps them), moved into the version folder when the product is published (a rename, no copy). An
array that an update left bit-for-bit unchanged in a chunk is hard-linked to the previous version's
file instead of written (files are never modified in place, so versions can share them); one left
unchanged in every chunk keeps the previous version's folder.

Why not GeoTIFF, as before: the state is float64 noise that does not compress, nobody views it as a
map, and a tiled GeoTIFF per array was written twice per update (chunk file, then the raster) and
read through GDAL one window per array and chunk. Why not Zarr: the layout above is what a Zarr
array of one chunk per window stores, without a dependency, and with hard links between versions.
Models written before (one GeoTIFF per array, no ``chunk`` in their layout) are still read, and an
update moves the arrays it rewrites to this layout.

Must not import: click, rich, yvy.cli, yvy.storage.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..io import atomic_path

__all__ = ["DATE_COUNTS", "DAY_STATE", "LINKS", "MODEL_PREFIX", "NPY_CHUNKS", "STATE_LAYOUT", "STATE_PREFIX",
           "chunk_file", "chunk_side", "is_state_key", "narrow", "read_state_window", "save_state",
           "scratch_layout", "state_dir", "storage_dtype"]

MODEL_PREFIX = "model__"
STATE_PREFIX = "state__"
STATE_DIR = "state"
LAYOUT_FILE = "layout.json"
STATE_LAYOUT = "npy-chunks"
"""Recorded with each job's parameters (:func:`yvy.change.detect.run_chunks`): a job's scratch is
resumed only by the layout that wrote it."""
NPY_CHUNKS = "application/x-yvy-npy-chunks"
"""Media type of a model asset in this layout: a folder of ``c<i>.npy`` files."""
LINKS = "state_links_json"
"""Key of an update's chunk result: JSON ``{array: previous version's file of this chunk}`` for the
arrays the update left unchanged there (hard-linked instead of written)."""

DAY_STATE = ("state__last_valid_days", "state__prev_obs_days", "state__break_days")
"""State arrays of whole days since 1970-01-01 (or NaN), float64 in the kernel: stored as float32,
which holds every integer below 2**24 exactly (a day count up to the year 47,900)."""
DATE_COUNTS = ("model__break_index", "model__n_valid", "model__n_history", "model__window_pos",
               "model__mag_lo", "model__mag_hi", "model__bmag_lo", "model__bmag_hi", "state__confirm_count")
"""int32 arrays of BFAST Monitor's state bounded by the number of dates processed (indices, counts of
observations, ring slots): stored as int16 while the model has fewer than 2**15 dates."""


def is_state_key(key: str) -> bool:
    """Whether a chunk result's array belongs to the stored model (``model__*``, ``state__*``)."""
    return key.startswith((MODEL_PREFIX, STATE_PREFIX))


def storage_dtype(key: str, dtype: np.dtype, n_dates: int | None) -> str:
    """The dtype a model array is stored with: narrower than the kernel's where that is exact by
    construction (:data:`DAY_STATE`, :data:`DATE_COUNTS`); :func:`save_state` checks every chunk,
    and the reader casts back to the layout's dtype."""
    if key in DAY_STATE and dtype == np.float64:
        return "float32"
    if key in DATE_COUNTS and dtype == np.int32 and n_dates is not None and n_dates < 2**15 - 1:
        return "int16"
    return "uint8" if dtype.kind == "b" else dtype.name


def state_dir(scratch: Path) -> Path:
    """Where a job keeps the model arrays of its finished chunks."""
    return Path(scratch) / STATE_DIR


def chunk_side(windows) -> int:
    """The chunk side of a job's row-major windows (:func:`yvy.cube.build.chunk_windows`): the
    first window's longer side (a grid smaller than the chunk is one window)."""
    rows, cols = windows[0]
    return max(rows.stop - rows.start, cols.stop - cols.start)


def chunk_file(folder: Path, i: int) -> Path:
    """The file of chunk ``i`` in an array's folder."""
    return Path(folder) / f"c{i:06d}.npy"


def narrow(key: str, arr: np.ndarray, stored: str) -> np.ndarray:
    """``arr`` in its storage dtype; ValueError when a value does not survive the cast (a bug)."""
    out = arr.astype(stored, copy=False)
    if out.dtype != arr.dtype and arr.dtype.kind != "b" and not np.array_equal(
            out.astype(arr.dtype), arr, equal_nan=arr.dtype.kind == "f"):
        raise ValueError(f"{key}: values do not fit {stored}")
    return out


def _link(src: str, dest: Path) -> bool:
    """Hard-link ``src`` as ``dest`` (a copy across file systems); False when ``src`` is gone."""
    if not Path(src).exists():
        return False
    dest.unlink(missing_ok=True)
    try:
        os.link(src, dest)
    except OSError:
        with atomic_path(dest, suffix=".npy") as tmp:
            shutil.copyfile(src, tmp)
    return True


def save_state(scratch: Path, i: int, arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Write the model/state arrays of chunk ``i`` to ``<scratch>/state/<array>/c<i>.npy`` (each
    file atomically; those named in :data:`LINKS` hard-linked); return the chunk's other arrays.

    Chunk 0 also writes the layout (leading shape, kernel and storage dtype of each array)."""
    meta = json.loads(str(arrays["meta_json"])) if "meta_json" in arrays else {}
    links = json.loads(str(arrays[LINKS])) if LINKS in arrays else {}
    rest, layout = {}, {}
    for key, value in arrays.items():
        if key == LINKS:
            continue
        if not is_state_key(key):
            rest[key] = value
            continue
        arr = np.asarray(value)
        stored = storage_dtype(key, arr.dtype, meta.get("n_dates"))
        layout[key] = {"lead": list(arr.shape[:-2]), "dtype": arr.dtype.name, "stored": stored}
        dest = chunk_file(state_dir(scratch) / key, i)
        dest.parent.mkdir(parents=True, exist_ok=True)
        if key in links and _link(links[key], dest):
            continue
        out = narrow(key, arr, stored)
        with atomic_path(dest, suffix=".npy") as tmp:
            np.save(tmp, out, allow_pickle=False)
    if i == 0 and layout:
        with atomic_path(state_dir(scratch) / LAYOUT_FILE) as tmp:
            tmp.write_text(json.dumps(layout, sort_keys=True))
    return rest


def scratch_layout(scratch: Path) -> dict:
    """The layout written with chunk 0 (empty when the job stored no model)."""
    path = state_dir(scratch) / LAYOUT_FILE
    return json.loads(path.read_text()) if path.exists() else {}


def read_state_window(folder: str | Path, chunk: int, shape: tuple[int, int], rows: slice,
                      cols: slice) -> np.ndarray:
    """``(*lead, h, w)`` of an array stored in this layout (storage dtype), for any window of the
    ``shape`` grid; a window of the job's own chunks reads one file."""
    height, width = shape
    per_row = -(-width // chunk)
    r0, c0 = rows.start // chunk, cols.start // chunk
    if (rows.start % chunk == 0 and cols.start % chunk == 0 and rows.stop == min(rows.start + chunk, height)
            and cols.stop == min(cols.start + chunk, width)):
        return np.load(chunk_file(Path(folder), r0 * per_row + c0), allow_pickle=False)
    h, w = rows.stop - rows.start, cols.stop - cols.start
    out = None
    for r in range(r0, (rows.stop - 1) // chunk + 1):
        for c in range(c0, (cols.stop - 1) // chunk + 1):
            part = np.load(chunk_file(Path(folder), r * per_row + c), mmap_mode="r", allow_pickle=False)
            if out is None:
                out = np.empty((*part.shape[:-2], h, w), part.dtype)
            ys = slice(max(rows.start, r * chunk), min(rows.stop, (r + 1) * chunk))
            xs = slice(max(cols.start, c * chunk), min(cols.stop, (c + 1) * chunk))
            out[..., ys.start - rows.start:ys.stop - rows.start, xs.start - cols.start:xs.stop - cols.start] = \
                part[..., ys.start - r * chunk:ys.stop - r * chunk, xs.start - c * chunk:xs.stop - c * chunk]
    return out
