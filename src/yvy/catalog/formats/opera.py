"""OPERA L2 RTC-S1 (radiometric terrain corrected Sentinel-1 bursts, NASA JPL / ASF).

A product is the files sharing one name stem
``OPERA_L2_RTC-S1_T<track>-<burst>-<subswath>_<sensing>Z_<processing>Z_S1<x>_30_v<n>``:
one COG per polarisation (``_VV.tif``, ``_VH.tif``, ...), the layover/shadow mask
(``_mask.tif``), the ISO 19115 metadata (``.iso.xml``) and optionally the HDF5 and browse PNG.

Units: OPERA RTC-S1 backscatter is **linear gamma0 power** (terrain-flattened, area-based RTC);
the ISO XML states it (``OutputBackscatterExpressionConvention`` / ``...NormalizationConvention``)
and, without the XML, the product specification does. The mask codes (product spec v1.0):
0 = valid, 1 = shadow, 2 = layover, 3 = layover and shadow, 255 = no data (see
:data:`MASK_CODES`; :func:`yvy.cube.radar.apply_layover_shadow` uses them).

Item: id = name stem, collection ``opera-rtc-s1``, ``sar:*`` / ``sat:*`` from the ISO XML
(mode, polarisations, orbit direction, track = relative orbit, absolute orbit), else from the
file name and the COG tags. When the ISO XML lists a polarisation that has no COG, the product
is refused (one line naming it).

Must not import: click, rich, sqlite3, yvy.storage, yvy.cli.
"""

from __future__ import annotations

import json
import re

import pystac

from ...errors import InputError
from ..items import SAT_EXT, AssetSpec, BandInfo, basename, build_item, read_raster
from . import IngestOptions, SceneGroup
from .radar import SAR_EXT, group_by_stem, norm_polarizations, norm_units, platform_of, sar_properties
from .sentinel1 import parse_xml

__all__ = ["OperaRtcFormat", "FORMAT", "MASK_CODES", "parse_iso_xml"]

NAME = "opera"
COLLECTION = "opera-rtc-s1"
MASK_CODES = {"valid": 0, "shadow": 1, "layover": 2, "layover_shadow": 3, "nodata": 255}
_STEM = re.compile(
    r"^(OPERA_L2_RTC-S1_T(\d{3})-(\d{6})-(IW[123]|EW[1-5])_(\d{8}T\d{6})Z_\d{8}T\d{6}Z_"
    r"(S1[ABCD])_(\d+)_v[\d.]+)(?:_(VV|VH|HH|HV|mask|BROWSE)\.(?:tif|tiff|png)|\.(iso\.xml|h5))$",
    re.I,
)
_GMD = "{http://www.isotc211.org/2005/gmd}"


class OperaRtcFormat:
    """OPERA L2 RTC-S1 burst products."""

    name = NAME

    def claim(self, paths: list[str]) -> list[SceneGroup]:
        """Group files by OPERA product stem (one group per stem with at least one COG)."""
        return [SceneGroup(NAME, sorted(files)[0], tuple(sorted(files)), {"stem": stem})
                for stem, files in group_by_stem(paths, _STEM).items()
                if any(f.lower().endswith((".tif", ".tiff")) for f in files)]

    def to_items(self, group: SceneGroup, options: IngestOptions) -> list[pystac.Item]:
        """Describe one burst product."""
        return [_item(group, options)]


FORMAT = OperaRtcFormat()


def parse_iso_xml(path: str) -> dict[str, str]:
    """The ``eos:AdditionalAttribute`` name -> value pairs of an OPERA ISO XML (plus the
    granule id as ``GranuleId``)."""
    root = parse_xml(path)
    out: dict[str, str] = {}
    for attr in root.iter():
        if not attr.tag.endswith("}AdditionalAttribute"):
            continue
        name = _char(attr, "name")
        value = _char(attr, "value")
        if name and value is not None:
            out.setdefault(name, value)
    if not out:
        raise InputError(path, "no OPERA additional attributes; not an OPERA RTC-S1 ISO XML")
    title = root.find(f".//{_GMD}fileIdentifier")
    if title is not None:
        out["GranuleId"] = "".join(title.itertext()).strip()
    return out


def _char(elem, tag: str) -> str | None:
    for e in elem.iter():
        if e.tag.endswith("}" + tag):
            return "".join(e.itertext()).strip()
    return None


def _files(group: SceneGroup) -> dict[str, str]:
    out = {}
    for f in group.files:
        m = _STEM.match(basename(f))
        out[(m.group(8) or m.group(9)).upper()] = f
    return out


def _item(group: SceneGroup, options: IngestOptions) -> pystac.Item:
    files = _files(group)
    m = _STEM.match(basename(group.files[0]))
    iso = parse_iso_xml(files["ISO.XML"]) if "ISO.XML" in files else {}
    pols = norm_polarizations([k for k in files if k in ("VV", "VH", "HH", "HV")], group.key)
    listed = _listed_pols(iso, files.get("ISO.XML"))
    lacking = [p for p in listed if p not in pols]
    if lacking:
        raise InputError(group.key, f"polarisation {lacking[0]} is listed in the ISO metadata "
                         f"but {m.group(1)}_{lacking[0]}.tif is missing")
    rasters = {p: read_raster(files[p]) for p in pols}
    units = _units(iso, files.get("ISO.XML"), options)
    tags = {k.upper(): v for k, v in rasters[pols[0]].tags.items()}
    assets = {p.lower(): AssetSpec(r, [BandInfo(name=p.lower(), unit=units,
                                                description=f"gamma0 {p} ({units})")],
                                   title=f"gamma0 {p}")
              for p, r in rasters.items()}
    if "MASK" in files:
        assets["mask"] = AssetSpec(read_raster(files["MASK"]), [BandInfo(
            name="mask", nodata=MASK_CODES["nodata"],
            description="layover/shadow: 0 valid, 1 shadow, 2 layover, 3 both, 255 no data")],
            title="layover/shadow mask", roles=("data", "mask"))
    props = sar_properties(
        mode=(iso.get("AcquisitionMode") or m.group(4)[:2]).upper(), polarizations=pols,
        product_type="RTC", units=units,
        orbit=iso.get("OrbitPassDirection") or tags.get("ORBIT_PASS_DIRECTION"),
        relative_orbit=int(iso.get("TrackNumber") or m.group(2)),
        absolute_orbit=_int(iso.get("AbsoluteOrbitNumber") or tags.get("ABSOLUTE_ORBIT_NUMBER")),
        platform=platform_of(iso.get("Platform") or m.group(6)),
    )
    props |= {"opera:burst_id": f"T{m.group(2)}-{m.group(3)}-{m.group(4).upper()}",
              "yvy:terrain_correction": "radiometric (area-based RTC, gamma0)",
              "yvy:backscatter": "gamma0"}
    extra = {}
    for key, kind, mt in (("ISO.XML", "iso-xml", "application/xml"),
                          ("H5", "hdf5", "application/x-hdf5")):
        if key in files:
            extra[kind] = pystac.Asset(files[key], media_type=mt, roles=["metadata"])
    when = _sensing(iso, m.group(5))
    return build_item(m.group(1), assets, fmt=NAME, datetime=when, properties=props,
                      collection=COLLECTION, checksum=options.checksum, extra_assets=extra,
                      extensions=[SAR_EXT, SAT_EXT])


def _listed_pols(iso: dict, path: str | None) -> list[str]:
    raw = iso.get("ListOfPolarizations")
    if not raw:
        return []
    try:
        values = json.loads(raw)
    except json.JSONDecodeError:
        values = re.findall(r"[HV]{2}", raw)
    return norm_polarizations(values, path)


def _units(iso: dict, path: str | None, options: IngestOptions) -> str:
    forced = norm_units(getattr(options, "units", None))
    if forced:
        return forced
    conv = (iso.get("OutputBackscatterExpressionConvention") or "").lower()
    if not conv or "linear" in conv:
        return "linear"  # the RTC-S1 product specification: linear power
    if "decibel" in conv or "db" in conv.split():
        return "dB"
    raise InputError(path, f"unknown backscatter convention {conv!r}; give the units (db or linear)")


def _sensing(iso: dict, from_name: str):
    from ...dates import find_datetime

    return find_datetime(iso.get("ZeroDopplerStartTime")) or find_datetime(from_name)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
