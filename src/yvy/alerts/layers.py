"""Read a detection product (the STAC item ``yvy detect`` registers, or its raster files) into
:class:`~yvy.alerts.vectorize.DetectionLayers`.

The item's assets ``break_days``, ``magnitude``, ``confirm_count`` and ``prev_obs_days`` are
single-band rasters on one grid; ``properties["yvy:last_processed"]`` is the latest scene seen.
The forest mask of the layers is a user's file (``forest_mask``, see
:func:`yvy.alerts.forest.read_forest_mask`) or else the product's ``forest_history`` layer when
the product has a forest rule (``properties["yvy:forest_rule"]``; see :mod:`yvy.change.forest`).
Imports rasterio; no storage.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..io import open_raster
from .vectorize import DetectionLayers, iso_to_days

__all__ = ["layers_from_item", "read_detection_layers"]

NAMES = ("break_days", "magnitude", "confirm_count", "prev_obs_days")
FOREST_HISTORY = "forest_history"
FUSED = ("confirm_count_optical", "confirm_count_radar", "pchange")
"""Optional rasters of a fused (bayts / sar) product, read when present."""
DIRECTION_SIGNS = {"both": 0, "negative": -1, "positive": 1}
"""``yvy:params.direction`` of a product -> ``DetectionLayers.break_direction``."""


def read_detection_layers(files: Mapping[str, str | Path], *, product_id: str,
                          observed_until: str | None = None, forest_mask: str | Path | None = None,
                          use_forest_history: bool = False, break_direction: int = 0) -> DetectionLayers:
    """DetectionLayers from one raster per name in :data:`NAMES` (nodata read as NaN / -1).

    ``files["break_magnitude"]`` and a fused product's :data:`FUSED` rasters are read when
    present. The forest mask is ``forest_mask`` (a
    raster or polygon file, put on the grid) if given, else ``files["forest_history"]`` when
    ``use_forest_history``, else none.
    """
    missing = [n for n in NAMES if n not in files]
    if missing:
        raise InputError(product_id, f"detection product lacks {', '.join(missing)}")
    arrays, crs, transform, shape = {}, None, None, None
    for name in NAMES:
        with open_raster(files[name]) as ds:
            a = ds.read(1, masked=True)
            if crs is None:
                crs, transform, shape = ds.crs, ds.transform, (ds.height, ds.width)
            elif (ds.height, ds.width) != shape or ds.transform != transform:
                raise InputError(files[name], "not on the same grid as the other detection rasters")
        fill = -1.0 if name == "confirm_count" else np.nan
        arrays[name] = np.ma.filled(a.astype(np.float64), fill)
    extra = {}
    for name in ("break_magnitude", *FUSED):
        if name in files:
            with open_raster(files[name]) as ds:
                if (ds.height, ds.width) != shape or ds.transform != transform:
                    raise InputError(files[name], "not on the same grid as the other detection rasters")
                fill = -1.0 if name.startswith("confirm_count") else np.nan
                extra[name] = np.ma.filled(ds.read(1, masked=True).astype(np.float64), fill)
    forest, source = None, None
    if forest_mask is not None:
        from .forest import read_forest_mask

        forest, source = read_forest_mask(forest_mask, crs, transform, shape), str(forest_mask)
    elif use_forest_history and "forest_history" in files:
        with open_raster(files["forest_history"]) as ds:
            if (ds.height, ds.width) != shape or ds.transform != transform:
                raise InputError(files["forest_history"], "not on the same grid as the other detection rasters")
            forest, source = ds.read(1), FOREST_HISTORY
    return DetectionLayers(crs=crs, transform=transform, product_id=product_id,
                           observed_until_days=iso_to_days(observed_until) if observed_until else None,
                           forest=forest, forest_source=source, break_direction=break_direction,
                           **extra, **arrays)


def layers_from_item(item: Mapping, *, forest_mask: str | Path | None = None,
                     forest_filter: bool = True) -> DetectionLayers:
    """DetectionLayers from a ``yvy-detections`` STAC item dict (local asset hrefs).

    ``forest_mask``: a user's forest raster or polygons; without one, the product's
    ``forest_history`` layer when it has a forest rule. ``forest_filter=False``: no forest mask.
    """
    assets = item.get("assets", {})
    files = {n: assets[n]["href"] for n in (*NAMES, FOREST_HISTORY, "break_magnitude", *FUSED) if n in assets}
    props = item.get("properties", {})
    until = props.get("yvy:last_processed") or props.get("end_datetime") or props.get("datetime")
    direction = (props.get("yvy:params") or {}).get("direction")
    return read_detection_layers(files, product_id=str(item.get("id")), observed_until=until,
                                 forest_mask=forest_mask if forest_filter else None,
                                 use_forest_history=forest_filter and bool(props.get("yvy:forest_rule")),
                                 break_direction=DIRECTION_SIGNS.get(direction, 0))
