"""Calibrated Sentinel-1 GRD -> a map-projected GeoTIFF that ingest and the radar cube read.

:func:`geocode_grd` calibrates one polarisation (:func:`~.sentinel1_calib.calibrate_grd`,
thermal noise removed) and warps it from radar geometry to a map grid (UTM of the scene by
default) through the product's ground control points: the measurement TIFF's GCPs, or the
annotation's ``geolocationGrid`` when the TIFF has none. This is **ellipsoid geocoding, not
terrain correction**: heights come from the GCPs only, so slopes keep their foreshortening and
radiometric terrain effects (use OPERA / HyP3 RTC products where relief matters).

The output ``<product id>_<POL>_<quantity>.tif`` carries the acquisition time, the unit
(``UNITS=linear``) and the product's ``sar:*`` / ``sat:*`` properties (tag ``YVY_RADAR``), so
``yvy ingest`` describes it like its GRD (collection ``sentinel-1-grd-<quantity>``). Written to
a temporary file and renamed: the output is complete or absent.

Must not import: click, rich, sqlite3, yvy.storage, yvy.cli.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from ...dates import to_iso as isoformat
from ...io import atomic_path
from .sentinel1 import parse_xml, read_safe
from .sentinel1_calib import calibrate_grd, radar_geometry

__all__ = ["geocode_grd", "annotation_gcps"]


def annotation_gcps(product_xml: str) -> list:
    """The ``geolocationGridPoint`` s of a product annotation as rasterio GCPs (lon/lat/h)."""
    from rasterio.control import GroundControlPoint

    root = parse_xml(product_xml)
    return [GroundControlPoint(float(p.findtext("line")), float(p.findtext("pixel")),
                               float(p.findtext("longitude")), float(p.findtext("latitude")),
                               float(p.findtext("height")))
            for p in root.iter("geolocationGridPoint")]


def geocode_grd(safe: str | os.PathLike, pol: str, out_dir: str | os.PathLike, *,
                quantity: str = "sigma0", resolution: float = 20.0, crs: str | None = None,
                window=None, denoise: bool = True, progress=None) -> Path:
    """Calibrate and geocode one polarisation of a GRD SAFE folder; return the output path.

    ``progress(done_lines, total_lines)`` is called while calibrating.
    """
    import rasterio
    import rasterio.shutil
    from rasterio.enums import Resampling
    from rasterio.vrt import WarpedVRT
    from rasterio.warp import calculate_default_transform

    safe = Path(safe)
    prod = read_safe(str(safe), tuple(str(p) for p in safe.rglob("*") if p.is_file()))
    pol = pol.upper()
    dest = Path(out_dir) / f"{prod.name}_{pol}_{quantity}.tif"
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".geocode-") as tmp:
        radar = calibrate_grd(safe, pol, Path(tmp) / "radar.tif", quantity=quantity,
                              denoise=denoise, window=window, progress=progress)
        with radar_geometry(), rasterio.open(radar, "r+") as src:
            if not src.gcps[0]:
                src.gcps = (_shift(annotation_gcps(prod.objects[pol]["product"]), window),
                            "EPSG:4326")
        with rasterio.open(radar) as src:
            gcps, gcp_crs = src.gcps
            dst_crs = crs or _utm(gcps)
            transform, width, height = calculate_default_transform(
                gcp_crs, dst_crs, src.width, src.height, gcps=gcps, resolution=resolution)
            with WarpedVRT(src, crs=dst_crs, transform=transform, width=width, height=height,
                           resampling=Resampling.bilinear, nodata=float("nan")) as vrt, \
                    atomic_path(dest, ".tif") as part:
                rasterio.shutil.copy(vrt, part, driver="GTiff", tiled=True, compress="deflate",
                                     blockxsize=256, blockysize=256)
                with rasterio.open(part, "r+") as out:
                    out.update_tags(**_tags(prod, pol, quantity))
    return dest


def _shift(gcps: list, window) -> list:
    if window is None:
        return gcps
    from rasterio.control import GroundControlPoint

    r0, c0 = int(window.row_off), int(window.col_off)
    return [GroundControlPoint(g.row - r0, g.col - c0, g.x, g.y, g.z) for g in gcps]


def _utm(gcps) -> str:
    from pyproj.aoi import AreaOfInterest
    from pyproj.database import query_utm_crs_info

    lons = [g.x for g in gcps]
    lats = [g.y for g in gcps]
    info = query_utm_crs_info(datum_name="WGS 84", area_of_interest=AreaOfInterest(
        min(lons), min(lats), max(lons), max(lats)))
    return f"EPSG:{info[0].code}"


def _tags(prod, pol: str, quantity: str) -> dict:
    meta = prod.meta
    radar = {"sar:instrument_mode": meta["mode"], "sar:polarizations": [pol],
             "sar:product_type": "GRD", "sat:orbit_state": (meta["orbit"] or "").lower() or None,
             "sat:relative_orbit": meta["relative_orbit"],
             "sat:absolute_orbit": meta["absolute_orbit"], "platform": meta["platform"],
             "yvy:backscatter": quantity, "yvy:source_product": prod.name,
             "yvy:terrain_correction": "none (ellipsoid geocoding from the product GCPs)"}
    return {"ACQUISITION_DATETIME": isoformat(meta["start"]), "UNITS": "linear",
            "YVY_RADAR": json.dumps({k: v for k, v in radar.items() if v is not None})}
