"""Sentinel-2 Level-2A: the ESA SAFE layout and the one-COG-per-band cloud layout.

* SAFE (folder or zip members): ``S2*_MSIL2A_*.SAFE/MTD_MSIL2A.xml`` and
  ``GRANULE/*/IMG_DATA/R10m|R20m|R60m/*_B04_10m.jp2``; each band is taken at its native
  resolution (SCL at 20 m). Id = SAFE name without ``.SAFE``.
* Cloud layout (Earth Search ``sentinel-2-l2a``): a folder with ``B02.tif`` ... ``B12.tif``,
  ``SCL.tif``, optionally the provider's STAC Item JSON (its id and properties are kept, its
  remote hrefs replaced by the local files). Id = the JSON id, else the folder name.

Reflectance: scale 1/BOA_QUANTIFICATION_VALUE (1e-4) and, from processing baseline 04.00,
BOA_ADD_OFFSET -1000 -> ``raster:offset`` -0.1. Asset keys follow Earth Search v1.

Must not import: click, rich, sqlite3, yvy.storage, yvy.cli.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from collections import defaultdict

import pystac

from ...dates import find_datetime
from ...errors import InputError
from .. import assets as keys
from ..items import (
    MGRS_EXT,
    SAT_EXT,
    AssetSpec,
    BandInfo,
    basename,
    build_item,
    dirname,
    read_bytes,
    read_raster,
)
from . import IngestOptions, SceneGroup
from .geotiff import option_datetime

__all__ = ["Sentinel2Format", "FORMAT", "S2_BANDS", "safe_metadata"]

NAME = "sentinel2"
# band -> (asset key, common name, centre wavelength um, native resolution m)
S2_BANDS = {
    "B01": ("coastal", "coastal", 0.443, 60), "B02": ("blue", "blue", 0.49, 10),
    "B03": ("green", "green", 0.56, 10), "B04": ("red", "red", 0.665, 10),
    "B05": ("rededge1", "rededge", 0.704, 20), "B06": ("rededge2", "rededge", 0.74, 20),
    "B07": ("rededge3", "rededge", 0.783, 20), "B08": ("nir", "nir", 0.842, 10),
    "B8A": ("nir08", "nir08", 0.865, 20), "B09": ("nir09", "nir09", 0.945, 60),
    "B11": ("swir16", "swir16", 1.61, 20), "B12": ("swir22", "swir22", 2.19, 20),
}
_BAND_IDS = ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10",
             "B11", "B12"]
_AUX = {"SCL": (keys.SCL, 20), "AOT": (keys.AOT, 10), "WVP": (keys.WVP, 10), "TCI": (keys.VISUAL, 10)}
_SAFE_IMG = re.compile(r"/IMG_DATA/R(\d+)m/[^/]*_(B\d[\dA]|SCL|AOT|WVP|TCI)_(\d+)m\.jp2$", re.I)
_COG = re.compile(r"^(B\d[\dA]|SCL|AOT|WVP|TCI|visual)\.tiff?$", re.I)
_ES_NAME = re.compile(r"^S2([ABCD])_(\d{1,2})([C-X])([A-Z]{2})_(\d{8})_\d+_L2A$")
_SAFE_NAME = re.compile(
    r"^S2([ABCD])_MSIL2A_(\d{8}T\d{6})_N(\d{4})_R(\d{3})_T(\d{2})([C-X])([A-Z]{2})_\d{8}T\d{6}$")
_BASELINE4_FROM = dt.datetime(2022, 1, 25, tzinfo=dt.UTC)


class Sentinel2Format:
    """Sentinel-2 L2A SAFE and cloud (one COG per band) layouts."""

    name = NAME

    def claim(self, paths: list[str]) -> list[SceneGroup]:
        """SAFE folders (by MTD_MSIL2A.xml) and folders of ``Bnn.tif`` / ``SCL.tif``."""
        out = []
        taken: set[str] = set()
        for p in paths:
            name = basename(p).upper()
            if name in ("MTD_MSIL2A.XML", "MTD_MSIL1C.XML") or (
                    name == "TILEINFO.JSON" and not any(_COG.match(basename(f)) for f in paths
                                                        if dirname(f) == dirname(p))):
                safe = dirname(p)
                files = tuple(sorted(f for f in paths if f.startswith(safe + "/")))
                layout = {"MTD_MSIL2A.XML": "safe", "MTD_MSIL1C.XML": "l1c"}.get(name, "aws")
                out.append(SceneGroup(NAME, safe, files, {"layout": layout, "mtd": p}))
                taken.update(files)
        by_dir: dict[str, list[str]] = defaultdict(list)
        for p in paths:
            if p not in taken:
                by_dir[dirname(p)].append(p)
        for folder, files in by_dir.items():
            bands = [f for f in files if _COG.match(basename(f))]
            named = {basename(f).split(".")[0].upper() for f in bands}
            s2_name = bool(re.match(r"^S2[ABCD]_", basename(folder)))
            if not (named & set(S2_BANDS)) or not ("SCL" in named or len(named) >= 3 or s2_name):
                continue
            jsons = [f for f in files if f.lower().endswith(".json") and _is_s2_json(f)]
            extras = [f for f in files if basename(f).lower() in
                      ("granule_metadata.xml", "tileinfo_metadata.json", "l2a_pvi.jpg",
                       "thumbnail.jpg")]
            group_files = tuple(sorted(set(bands + jsons + extras)))
            out.append(SceneGroup(NAME, folder, group_files,
                                  {"layout": "cog", "json": jsons[0] if jsons else None}))
        return out

    def to_items(self, group: SceneGroup, options: IngestOptions) -> list[pystac.Item]:
        """One Item per product."""
        layout = group.extra.get("layout")
        if layout == "l1c":
            raise InputError(group.key, "a Sentinel-2 Level-1C product (top-of-atmosphere); yvy ingests "
                                        "Level-2A surface reflectance (MSIL2A)")
        if layout == "aws":
            raise InputError(group.key, "metadata only: an AWS sentinel-s2-l2a tile folder (tileInfo.json) "
                                        "without its band files (B02.jp2 ... SCL.jp2)")
        if layout == "safe":
            return [_safe_item(group, options)]
        return [_cog_item(group, options)]


FORMAT = Sentinel2Format()


def _is_s2_json(path: str) -> bool:
    if basename(path).lower() == "tileinfo_metadata.json":
        return True
    try:
        doc = json.loads(read_bytes(path, limit=4 << 20))
    except (InputError, ValueError):
        return False
    if not isinstance(doc, dict) or doc.get("type") != "Feature":
        return False
    props = doc.get("properties") or {}
    return str(props.get("platform", "")).lower().startswith("sentinel-2") or str(
        doc.get("id", "")).startswith("S2")


# ---------------------------------------------------------------------------------------------
# SAFE


def _xml_fields(path: str) -> tuple[ET.Element, dict[str, str]]:
    try:
        root = ET.fromstring(read_bytes(path))
    except ET.ParseError as exc:
        raise InputError(path, f"not well-formed XML ({exc})") from exc
    fields: dict[str, str] = {}
    for el in root.iter():
        tag = el.tag.rsplit("}", 1)[-1]
        if el.text and el.text.strip() and tag not in fields:
            fields[tag] = el.text.strip()
    return root, fields


def safe_metadata(mtd: str) -> dict:
    """What ``MTD_MSIL2A.xml`` says of its product: ``datetime``, ``baseline``, ``cloud_cover``,
    ``scale`` and per-band ``offset`` (reflectance units: ``BOA_ADD_OFFSET`` over
    ``BOA_QUANTIFICATION_VALUE``; -0.1 from baseline 04.00 when the file has no offsets),
    plus the raw ``fields`` (first text of each tag)."""
    root, f = _xml_fields(mtd)
    when = find_datetime(f.get("PRODUCT_START_TIME") or f.get("DATATAKE_SENSING_START"))
    if when is None:
        raise InputError(mtd, "PRODUCT_START_TIME missing or unreadable")
    baseline = f.get("PROCESSING_BASELINE")
    quant = float(f.get("BOA_QUANTIFICATION_VALUE", 10000) or 10000)
    default_add = -1000.0 if baseline and float(baseline) >= 4.0 else 0.0
    offsets = dict.fromkeys(S2_BANDS, default_add / quant)
    for el in root.iter():
        band = _BAND_IDS[int(el.get("band_id", 0))]
        if el.tag.rsplit("}", 1)[-1] == "BOA_ADD_OFFSET" and el.text and band in offsets:
            offsets[band] = float(el.text) / quant
    cc = f.get("Cloud_Coverage_Assessment")
    return {"datetime": when, "baseline": baseline, "scale": 1 / quant, "offset": offsets,
            "cloud_cover": None if cc is None else float(cc), "fields": f}


def _safe_item(group: SceneGroup, options: IngestOptions) -> pystac.Item:
    mtd = group.extra["mtd"]
    meta = safe_metadata(mtd)
    f, when, baseline = meta["fields"], meta["datetime"], meta["baseline"]
    safe = group.key
    name = basename(safe)
    name = name[:-5] if name.upper().endswith(".SAFE") else name
    found: dict[str, dict[int, str]] = defaultdict(dict)
    for p in group.files:
        m = _SAFE_IMG.search(p)
        if m:
            found[m.group(2).upper()][int(m.group(3))] = p
    _check_bands(safe, found)
    assets: dict[str, AssetSpec] = {}
    for band, (key, common, wl, native) in S2_BANDS.items():
        path = found[band].get(native) or found[band][min(found[band])]
        info = BandInfo(name=band, common_name=common, center_wavelength=wl, nodata=0,
                        scale=meta["scale"], offset=meta["offset"][band])
        assets[key] = AssetSpec(read_raster(path), [info], title=f"{band} ({native} m)")
    for band, (key, native) in _AUX.items():
        if band not in found:
            if band == "SCL":
                raise InputError(safe, "SCL missing (no GRANULE/*/IMG_DATA/R20m/*_SCL_20m.jp2)")
            continue
        path = found[band].get(native) or found[band][min(found[band])]
        assets[key] = AssetSpec(read_raster(path), _aux_bands(band, f),
                                roles=("cloud",) if band == "SCL" else ("data",), title=band)
    platform = (f.get("SPACECRAFT_NAME") or f"Sentinel-2{name[2]}").lower()
    props = {"platform": platform, "constellation": "sentinel-2", "instruments": ["msi"],
             "s2:product_uri": f.get("PRODUCT_URI", basename(safe)),
             "s2:product_type": f.get("PRODUCT_TYPE", "S2MSI2A")}
    if baseline:
        props["s2:processing_baseline"] = baseline
    if meta["cloud_cover"] is not None:
        props["eo:cloud_cover"] = meta["cloud_cover"]
    m = _SAFE_NAME.match(name)
    if m:
        props["sat:relative_orbit"] = int(m.group(4))
        props |= _mgrs(m.group(5), m.group(6), m.group(7))
    if f.get("SENSING_ORBIT_DIRECTION"):
        props["sat:orbit_state"] = f["SENSING_ORBIT_DIRECTION"].lower()
    extra = {"product_metadata": pystac.Asset(mtd, media_type=str(pystac.MediaType.XML),
                                              roles=["metadata"])}
    for p in group.files:
        if basename(p) == "MTD_TL.xml":
            extra["granule_metadata"] = pystac.Asset(p, media_type=str(pystac.MediaType.XML),
                                                     roles=["metadata"])
    return build_item(name, assets, fmt=NAME, datetime=when, properties=props,
                      collection="sentinel-2-l2a", checksum=options.checksum, extra_assets=extra,
                      extensions=(SAT_EXT, MGRS_EXT))


def _check_bands(safe: str, found: dict) -> None:
    """One line naming every reflectance band (and SCL) the SAFE lacks."""
    lacking = [b for b in [*S2_BANDS, "SCL"] if b not in found]
    if len(lacking) == 1:
        where = "R20m/*_SCL_20m" if lacking[0] == "SCL" else f"R*m/*_{lacking[0]}_*"
        raise InputError(safe, f"band {lacking[0]} missing (no GRANULE/*/IMG_DATA/{where}.jp2)")
    if lacking and not found:
        raise InputError(safe, "metadata only: no band files under GRANULE/*/IMG_DATA/R*m/")
    if lacking:
        raise InputError(safe, f"partial product: bands {', '.join(lacking)} missing (present: "
                               f"{', '.join(sorted(found))}; GRANULE/*/IMG_DATA/R*m/*_Bnn_*.jp2)")


def _aux_bands(band: str, f: dict) -> list[BandInfo]:
    if band == "SCL":
        return [BandInfo(name="SCL", description="scene classification", nodata=0)]
    if band == "TCI":
        return [BandInfo(name=c, common_name=c, nodata=0) for c in ("red", "green", "blue")]
    q = float(f.get(f"{band}_QUANTIFICATION_VALUE", 1000) or 1000)
    return [BandInfo(name=band, scale=1 / q, offset=0.0, nodata=0)]


def _mgrs(zone: str, band: str, square: str) -> dict:
    return {"mgrs:utm_zone": int(zone), "mgrs:latitude_band": band, "mgrs:grid_square": square,
            "grid:code": f"MGRS-{int(zone)}{band}{square}"}


# ---------------------------------------------------------------------------------------------
# Cloud (one COG per band) layout


def _cog_item(group: SceneGroup, options: IngestOptions) -> pystac.Item:
    folder = group.key
    src = _load_json(group.extra.get("json"))
    src_props = dict(src.get("properties", {})) if src else {}
    src_assets = src.get("assets", {}) if src else {}
    item_id = (src or {}).get("id") or basename(folder)
    when = find_datetime(src_props.get("datetime")) if src else None
    m = _ES_NAME.match(item_id) or _ES_NAME.match(basename(folder))
    tile = _tileinfo(group)
    if when is None and m:
        when = find_datetime(m.group(5))
    when = when or tile.get("datetime") or option_datetime(options)
    if when is None:
        raise InputError(folder, "no acquisition date (no STAC JSON, tileinfo_metadata.json "
                                 "or S2X_TILE_YYYYMMDD_N_L2A folder name); give the date")
    baseline = src_props.get("s2:processing_baseline")
    add = -0.1 if (float(baseline) >= 4.0 if baseline else when >= _BASELINE4_FROM) else 0.0
    by_name = {}
    for key, a in src_assets.items():
        by_name[basename(str(a.get("href", ""))).lower()] = (key, a)
    assets: dict[str, AssetSpec] = {}
    for p in group.files:
        if not _COG.match(basename(p)):
            continue
        band = basename(p).split(".")[0].upper()
        _, src_asset = by_name.get(basename(p).lower(), (None, {}))
        src_rb = (src_asset.get("raster:bands") or [{}])[0]
        if band in S2_BANDS:
            key, common, wl, _ = S2_BANDS[band]
            info = BandInfo(name=band, common_name=common, center_wavelength=wl, nodata=0,
                            scale=src_rb.get("scale", 1e-4), offset=src_rb.get("offset", add))
            assets[key] = AssetSpec(read_raster(p), [info], title=band)
        elif band in _AUX or band == "VISUAL":
            aux = "TCI" if band == "VISUAL" else band
            assets[_AUX[aux][0]] = AssetSpec(read_raster(p), _aux_bands(aux, {}), title=aux,
                                             roles=("cloud",) if aux == "SCL" else ("data",))
    props = {k: v for k, v in src_props.items()
             if not k.startswith(("proj:", "datetime", "created", "updated"))}
    props.setdefault("constellation", "sentinel-2")
    props.setdefault("instruments", ["msi"])
    if m:
        props.setdefault("platform", f"sentinel-2{m.group(1).lower()}")
        for k, v in _mgrs(m.group(2), m.group(3), m.group(4)).items():
            props.setdefault(k, v)
    for k, v in tile.items():
        if k != "datetime":
            props.setdefault(k, v)
    if baseline is None:
        props["yvy:offset_assumed"] = "processing baseline unknown; offset from the date"
    extra = {}
    for p in group.files:
        name = basename(p).lower()
        if name in ("granule_metadata.xml", "tileinfo_metadata.json"):
            extra[name.split(".")[0]] = pystac.Asset(p, roles=["metadata"])
        elif name in ("l2a_pvi.jpg", "thumbnail.jpg"):
            extra["thumbnail"] = pystac.Asset(p, media_type=str(pystac.MediaType.JPEG),
                                              roles=["thumbnail"])
    exts = tuple(e for e in (src or {}).get("stac_extensions", []) if "projection" not in e
                 and "/eo/" not in e and "/raster/" not in e and "/file/" not in e)
    return build_item(item_id, assets, fmt=NAME, datetime=when, properties=props,
                      collection="sentinel-2-l2a", checksum=options.checksum, extra_assets=extra,
                      extensions=(MGRS_EXT, *exts))


def _load_json(path: str | None) -> dict | None:
    if not path or basename(path).lower() == "tileinfo_metadata.json":
        return None
    try:
        return json.loads(read_bytes(path))
    except ValueError as exc:
        raise InputError(path, f"not valid JSON ({exc})") from exc


def _tileinfo(group: SceneGroup) -> dict:
    for p in group.files:
        if basename(p).lower() == "tileinfo_metadata.json":
            try:
                doc = json.loads(read_bytes(p))
            except ValueError as exc:
                raise InputError(p, f"not valid JSON ({exc})") from exc
            out = {}
            if d := find_datetime(doc.get("timestamp")):
                out["datetime"] = d
            if doc.get("utmZone") and doc.get("latitudeBand") and doc.get("gridSquare"):
                out |= _mgrs(str(doc["utmZone"]), doc["latitudeBand"], doc["gridSquare"])
            if (cc := doc.get("cloudyPixelPercentage")) is not None:
                out["eo:cloud_cover"] = float(cc)
            return out
    return {}
