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
from .. import assets as keys
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

__all__ = ["LandsatFormat", "FORMAT", "describe_mtl", "mtl_epsg", "parse_mtl"]

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
_QA = {"QUALITY_L1_PIXEL": keys.QA_PIXEL, "QUALITY_L2_AEROSOL": keys.QA_AEROSOL,
       "QUALITY_L1_RADIOMETRIC_SATURATION": "qa_radsat"}
_REQUIRED_QA = {keys.QA_PIXEL}
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
        facts = describe_mtl(mtl, mtl_path, group.extra.get("id"))
        contents = mtl.get("PRODUCT_CONTENTS", {})
        attrs = mtl.get("IMAGE_ATTRIBUTES", {})
        sr = mtl.get("LEVEL2_SURFACE_REFLECTANCE_PARAMETERS", {})
        st = mtl.get("LEVEL2_SURFACE_TEMPERATURE_PARAMETERS", {})
        pid = facts["id"]
        if not str(facts["level"]).upper().startswith("L2"):
            raise InputError(mtl_path, f"a Level-1 product ({facts['level']}); yvy ingests Collection 2 "
                                       "Level-2 surface reflectance (L2SP, L2SR)")
        sensor = str(attrs.get("SENSOR_ID", ""))
        table = _OLI if sensor.startswith("OLI") or pid.startswith(("LC", "LO")) else _TM
        present = {basename(p): p for p in group.files}
        _check_files(mtl_path, contents, table, present)
        assets: dict[str, AssetSpec] = {}
        for mtl_key, (key, common, wavelength) in table.items():
            fname = contents.get(f"FILE_NAME_{mtl_key}")
            if not fname:
                continue
            path = present.get(fname)
            if path is None:
                continue  # thermal band is optional for reflectance work
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
            band = BandInfo(name=key.upper(), nodata=1 if key == keys.QA_PIXEL else None)
            assets[key] = AssetSpec(read_raster(path), [band], title=fname, roles=("cloud",))
        if not assets:
            raise InputError(mtl_path, "MTL lists no surface reflectance band files")
        when, props = facts["datetime"], facts["properties"]
        extra = {"mtl": pystac.Asset(mtl_path, title="MTL metadata", roles=["metadata"],
                                     media_type=_MTL_MEDIA[mtl_path.rsplit(".", 1)[-1].lower()])}
        return [build_item(
            pid, assets, fmt=NAME, datetime=when, properties=props, collection="landsat-c2-l2",
            checksum=options.checksum, extra_assets=extra, extensions=(VIEW_EXT,),
        )]


FORMAT = LandsatFormat()
_MTL_MEDIA = {"txt": str(pystac.MediaType.TEXT), "xml": str(pystac.MediaType.XML),
              "json": str(pystac.MediaType.JSON)}


def _check_files(mtl_path: str, contents: dict, table: dict, present: dict) -> None:
    """One line naming every band file the MTL lists but the product lacks (thermal optional)."""
    wanted = [(contents.get(f"FILE_NAME_{k}"), key) for k, (key, _, _) in table.items() if "_ST_" not in k]
    wanted += [(contents.get(f"FILE_NAME_{k}"), key) for k, key in _QA.items() if key in _REQUIRED_QA]
    lacking = [f"{fname} ({key})" for fname, key in wanted if fname and fname not in present]
    if len(lacking) == 1:
        raise InputError(mtl_path, f"references {lacking[0]}, which is missing")
    if lacking and len(lacking) == sum(1 for fname, _ in wanted if fname):
        raise InputError(mtl_path, f"metadata only: none of the {len(lacking)} band files the MTL lists "
                                   f"is present (first: {lacking[0]})")
    if lacking:
        raise InputError(mtl_path, f"partial product: {len(lacking)} band files the MTL lists are missing: "
                                   f"{', '.join(lacking)}")


def mtl_epsg(mtl: dict) -> int | None:
    """EPSG code of the product grid the MTL describes (UTM north zones, as USGS delivers them,
    or Antarctic polar stereographic), or None."""
    proj = mtl.get("PROJECTION_ATTRIBUTES", {})
    kind = str(proj.get("MAP_PROJECTION", "")).upper()
    if kind == "UTM" and proj.get("UTM_ZONE") not in (None, ""):
        return 32600 + int(float(proj["UTM_ZONE"]))
    if kind == "PS" and _num(proj.get("TRUE_SCALE_LAT"), 0.0) < 0:
        return 3031
    return None


def describe_mtl(mtl: dict, mtl_path: str, fallback_id: str | None = None) -> dict:
    """What an MTL says of its product: ``id``, ``level``, ``datetime``, ``epsg`` and the STAC
    ``properties`` (platform, instruments, WRS path/row, cloud cover, sun angles...)."""
    contents = mtl.get("PRODUCT_CONTENTS", {})
    attrs = mtl.get("IMAGE_ATTRIBUTES", {})
    pid = contents.get("LANDSAT_PRODUCT_ID") or fallback_id
    if not pid:
        raise InputError(mtl_path, "LANDSAT_PRODUCT_ID missing in the MTL")
    spacecraft = str(attrs.get("SPACECRAFT_ID", pid[:4]))
    sensor = str(attrs.get("SENSOR_ID", ""))
    return {"id": pid, "level": contents.get("PROCESSING_LEVEL") or pid.split("_")[1],
            "datetime": _acquired(attrs, mtl_path), "epsg": mtl_epsg(mtl),
            "properties": _properties(pid, spacecraft, sensor, attrs, contents)}


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
