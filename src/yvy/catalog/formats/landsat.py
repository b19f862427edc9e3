"""Landsat Collection 2 Level-2 (Landsat 4-9): an MTL file (``_MTL.txt``, ``_MTL.xml`` or
``_MTL.json``) with one GeoTIFF per band, in a folder or a ``.tar`` (as /vsitar/ members).

Asset keys follow Earth Search / Planetary Computer: ``coastal, blue, green, red, nir08, swir16,
swir22, qa_pixel`` (+ ``lwir11`` / ``lwir`` for the surface temperature band, ``qa_aerosol``,
``qa_radsat`` when present). Surface reflectance scale and offset come from the MTL
(2.75e-5 / -0.2 in Collection 2).

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
from ..items import (
    VIEW_EXT,
    AssetSpec,
    BandInfo,
    basename,
    build_item,
    dirname,
    read_bytes,
    read_raster,
)
from . import IngestOptions, SceneGroup

__all__ = ["LandsatFormat", "FORMAT", "parse_mtl"]

NAME = "landsat"
_MTL = re.compile(r"^(?P<id>L[COTEM]\d\d_\w+?)_MTL\.(?P<ext>txt|xml|json)$", re.I)
# MTL file key -> (asset key, common name, centre wavelength um), for OLI (L8/9) and TM/ETM+
_OLI = {
    "BAND_1": ("coastal", "coastal", 0.44), "BAND_2": ("blue", "blue", 0.48),
    "BAND_3": ("green", "green", 0.56), "BAND_4": ("red", "red", 0.65),
    "BAND_5": ("nir08", "nir08", 0.86), "BAND_6": ("swir16", "swir16", 1.6),
    "BAND_7": ("swir22", "swir22", 2.2), "BAND_ST_B10": ("lwir11", "lwir11", 10.9),
}
_TM = {
    "BAND_1": ("blue", "blue", 0.49), "BAND_2": ("green", "green", 0.56),
    "BAND_3": ("red", "red", 0.66), "BAND_4": ("nir08", "nir08", 0.84),
    "BAND_5": ("swir16", "swir16", 1.65), "BAND_7": ("swir22", "swir22", 2.22),
    "BAND_ST_B6": ("lwir", "lwir", 11.45),
}
_QA = {"QUALITY_L1_PIXEL": "qa_pixel", "QUALITY_L2_AEROSOL": "qa_aerosol",
       "QUALITY_L1_RADIOMETRIC_SATURATION": "qa_radsat"}
_REQUIRED_QA = {"qa_pixel"}
_INSTRUMENTS = {"OLI_TIRS": ["oli", "tirs"], "OLI": ["oli"], "TIRS": ["tirs"], "ETM": ["etm+"],
                "TM": ["tm"], "MSS": ["mss"]}
_MTL_PREFERENCE = {"json": 0, "xml": 1, "txt": 2}


class LandsatFormat:
    """Landsat Collection 2 Level-2 products (MTL + per-band GeoTIFFs)."""

    name = NAME

    def claim(self, paths: list[str]) -> list[SceneGroup]:
        """Group each MTL with the files of its product (same folder, same product id prefix)."""
        by_product: dict[tuple[str, str], list[str]] = defaultdict(list)
        for p in paths:
            m = _MTL.match(basename(p))
            if m:
                by_product[(dirname(p), m.group("id"))].append(p)
        out = []
        for (folder, pid), mtls in by_product.items():
            mtl = min(mtls, key=lambda p: _MTL_PREFERENCE[_MTL.match(basename(p))["ext"].lower()])
            files = [p for p in paths if dirname(p) == folder and basename(p).startswith(pid + "_")]
            out.append(SceneGroup(NAME, mtl, tuple(sorted(files)), {"mtl": mtl, "id": pid}))
        return out

    def to_items(self, group: SceneGroup, options: IngestOptions) -> list[pystac.Item]:
        """One Item per product."""
        mtl_path = group.extra.get("mtl", group.key)
        mtl = parse_mtl(mtl_path)
        contents = mtl.get("PRODUCT_CONTENTS", {})
        attrs = mtl.get("IMAGE_ATTRIBUTES", {})
        sr = mtl.get("LEVEL2_SURFACE_REFLECTANCE_PARAMETERS", {})
        st = mtl.get("LEVEL2_SURFACE_TEMPERATURE_PARAMETERS", {})
        pid = contents.get("LANDSAT_PRODUCT_ID") or group.extra.get("id")
        spacecraft = str(attrs.get("SPACECRAFT_ID", pid[:4]))
        sensor = str(attrs.get("SENSOR_ID", ""))
        table = _OLI if sensor.startswith("OLI") or pid.startswith(("LC", "LO")) else _TM
        present = {basename(p): p for p in group.files}
        assets: dict[str, AssetSpec] = {}
        for mtl_key, (key, common, wavelength) in table.items():
            fname = contents.get(f"FILE_NAME_{mtl_key}")
            if not fname:
                continue
            path = present.get(fname)
            if path is None:
                if "_ST_" in mtl_key:
                    continue  # thermal band is optional for reflectance work
                raise InputError(mtl_path, f"references {fname} ({key}), which is missing")
            suffix = mtl_key.removeprefix("BAND_")
            if "_ST_" in mtl_key:
                scale = _num(st.get(f"TEMPERATURE_MULT_BAND_{suffix}"), 0.00341802)
                offset = _num(st.get(f"TEMPERATURE_ADD_BAND_{suffix}"), 149.0)
                unit = "kelvin"
            else:
                scale = _num(sr.get(f"REFLECTANCE_MULT_BAND_{suffix}"), 2.75e-5)
                offset = _num(sr.get(f"REFLECTANCE_ADD_BAND_{suffix}"), -0.2)
                unit = None
            kind = "ST" if "_ST_" in mtl_key else "SR"
            band = BandInfo(name=f"{kind}_B{suffix[-2:].lstrip('_B')}",
                            common_name=common, center_wavelength=wavelength, scale=scale,
                            offset=offset, nodata=0, unit=unit)
            assets[key] = AssetSpec(read_raster(path), [band], title=fname)
        for mtl_key, key in _QA.items():
            fname = contents.get(f"FILE_NAME_{mtl_key}")
            if not fname:
                continue
            path = present.get(fname)
            if path is None:
                if key in _REQUIRED_QA:
                    raise InputError(mtl_path, f"references {fname} ({key}), which is missing")
                continue
            band = BandInfo(name=key.upper(), nodata=1 if key == "qa_pixel" else None)
            assets[key] = AssetSpec(read_raster(path), [band], title=fname, roles=("cloud",))
        if not assets:
            raise InputError(mtl_path, "MTL lists no surface reflectance band files")
        when = _acquired(attrs, mtl_path)
        props = _properties(pid, spacecraft, sensor, attrs, contents)
        extra = {"mtl": pystac.Asset(mtl_path, title="MTL metadata", roles=["metadata"],
                                     media_type=_MTL_MEDIA[mtl_path.rsplit(".", 1)[-1].lower()])}
        return [build_item(
            pid, assets, fmt=NAME, datetime=when, properties=props, collection="landsat-c2-l2",
            checksum=options.checksum, extra_assets=extra, extensions=(VIEW_EXT,),
        )]


FORMAT = LandsatFormat()
_MTL_MEDIA = {"txt": str(pystac.MediaType.TEXT), "xml": str(pystac.MediaType.XML),
              "json": str(pystac.MediaType.JSON)}


def _num(value, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _acquired(attrs: dict, mtl_path: str) -> dt.datetime:
    date = attrs.get("DATE_ACQUIRED")
    time = str(attrs.get("SCENE_CENTER_TIME", "")).strip('"')
    when = find_datetime(f"{date}T{time[:15]}") if date and time else None
    when = when or find_datetime(date)
    if when is None:
        raise InputError(mtl_path, "DATE_ACQUIRED missing or unreadable in the MTL")
    return when


def _properties(pid: str, spacecraft: str, sensor: str, attrs: dict, contents: dict) -> dict:
    number = re.sub(r"\D", "", spacecraft) or pid[2:4].lstrip("0")
    parts = pid.split("_")
    props = {
        "platform": f"landsat-{int(number)}",
        "constellation": "landsat",
        "instruments": _INSTRUMENTS.get(sensor.split("_")[0] if sensor != "OLI_TIRS" else sensor,
                                        [sensor.lower()] if sensor else []),
        "landsat:wrs_type": "2",
        "landsat:correction": parts[1] if len(parts) > 1 else None,
        "landsat:collection_number": str(
            contents.get("COLLECTION_NUMBER", parts[-2] if len(parts) > 5 else "02")).zfill(2),
        "landsat:collection_category": contents.get(
            "COLLECTION_CATEGORY", parts[-1] if len(parts) > 5 else None),
    }
    for key, prop in (("WRS_PATH", "landsat:wrs_path"), ("WRS_ROW", "landsat:wrs_row")):
        if attrs.get(key) is not None:
            props[prop] = str(int(float(attrs[key]))).zfill(3)
    numeric = (("CLOUD_COVER", "eo:cloud_cover"), ("CLOUD_COVER_LAND", "landsat:cloud_cover_land"),
               ("SUN_AZIMUTH", "view:sun_azimuth"), ("SUN_ELEVATION", "view:sun_elevation"))
    for key, prop in numeric:
        v = _num(attrs.get(key), float("nan"))
        if v == v and v >= -180:
            props[prop] = v
    if props.get("landsat:cloud_cover_land", 0) < 0:
        props.pop("landsat:cloud_cover_land")
    scene = attrs.get("LANDSAT_SCENE_ID") or contents.get("LANDSAT_SCENE_ID")
    if scene:
        props["landsat:scene_id"] = scene
    return {k: v for k, v in props.items() if v is not None}


def parse_mtl(path: str) -> dict:
    """An MTL (txt ODL, XML or JSON) as ``{GROUP: {KEY: value}}`` under LANDSAT_METADATA_FILE."""
    raw = read_bytes(path, limit=8 << 20).decode("utf-8", "replace")
    ext = path.rsplit(".", 1)[-1].lower()
    try:
        if ext == "json":
            doc = json.loads(raw)
        elif ext == "xml":
            doc = _xml_to_dict(ET.fromstring(raw))
        else:
            doc = _odl_to_dict(raw)
    except (ValueError, ET.ParseError) as exc:
        raise InputError(path, f"unreadable MTL ({exc.__class__.__name__}: {exc})") from exc
    if not isinstance(doc, dict):
        raise InputError(path, "unreadable MTL (not a key/value document)")
    top = doc.get("LANDSAT_METADATA_FILE", doc)
    if not isinstance(top, dict) or "PRODUCT_CONTENTS" not in top:
        raise InputError(path, "not a Landsat Collection 2 MTL (no PRODUCT_CONTENTS group)")
    return top


def _xml_to_dict(el: ET.Element):
    children = list(el)
    if not children:
        return (el.text or "").strip()
    tag = el.tag.rsplit("}", 1)[-1]
    body = {c.tag.rsplit("}", 1)[-1]: _xml_to_dict(c) for c in children}
    return {tag: body} if tag == "LANDSAT_METADATA_FILE" else body


def _odl_to_dict(text: str) -> dict:
    root: dict = {}
    stack = [root]
    for line in text.splitlines():
        line = line.strip()
        if not line or line == "END":
            continue
        if "=" not in line:
            raise ValueError(f"unexpected line {line[:40]!r}")
        key, value = (s.strip() for s in line.split("=", 1))
        if key == "GROUP":
            child: dict = {}
            stack[-1][value] = child
            stack.append(child)
        elif key == "END_GROUP":
            if len(stack) == 1:
                raise ValueError("END_GROUP without GROUP")
            stack.pop()
        else:
            stack[-1][key] = value.strip('"')
    return root
