"""Read a detection product (the STAC item ``yvy detect`` registers, or its raster files) into
:class:`~yvy.alerts.vectorize.DetectionLayers`.

The item's assets ``break_days``, ``magnitude``, ``confirm_count`` and ``prev_obs_days`` are
single-band rasters on one grid; ``properties["yvy:last_processed"]`` is the latest scene seen.
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


def read_detection_layers(files: Mapping[str, str | Path], *, product_id: str,
                          observed_until: str | None = None) -> DetectionLayers:
    """DetectionLayers from one raster per name in :data:`NAMES` (nodata read as NaN / -1)."""
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
    return DetectionLayers(crs=crs, transform=transform, product_id=product_id,
                           observed_until_days=iso_to_days(observed_until) if observed_until else None,
                           **arrays)


def layers_from_item(item: Mapping) -> DetectionLayers:
    """DetectionLayers from a ``yvy-detections`` STAC item dict (local asset hrefs)."""
    assets = item.get("assets", {})
    files = {n: assets[n]["href"] for n in NAMES if n in assets}
    props = item.get("properties", {})
    until = props.get("yvy:last_processed") or props.get("end_datetime") or props.get("datetime")
    return read_detection_layers(files, product_id=str(item.get("id")), observed_until=until)
