"""Sentinel-1 Level-1 GRD SAFE products (folder, ``.zip`` or the AWS ``productInfo.json`` layout).

Claims every ``manifest.safe`` whose product folder is named ``S1?_<mode>_<type>_...``. The
manifest lists every file of the product (``dataObject/fileLocation``); the AWS layout renames
them, and its ``productInfo.json`` ``filenameMap`` says how.

One Item per product, id = product name without ``.SAFE``, collection ``sentinel-1-grd``:

* properties: ``sar:*`` (mode, C band, polarisations, product type ``GRD``, pixel spacing),
  ``sat:orbit_state`` / ``sat:relative_orbit`` / ``sat:absolute_orbit``, ``platform``,
  ``s1:resolution``, ``s1:timeliness``, ``yvy:units`` = ``dn`` and
  ``yvy:terrain_correction`` = ``none``;
* assets, named as Planetary Computer and Earth Search name them: ``vv`` / ``vh`` / ``hh`` /
  ``hv`` (the measurement TIFF, digital numbers), ``schema-product-<pol>``,
  ``schema-calibration-<pol>``, ``schema-noise-<pol>`` and ``safe-manifest``.

A GRD is in radar (slant-range-to-ground, not map) geometry and is **not terrain corrected**:
its pixels are georeferenced by GCPs only, so the Item has a footprint from the manifest but
no ``proj:*`` grid. Calibration to sigma0 / gamma0 / beta0 (with thermal-noise removal) is
:mod:`yvy.catalog.formats.sentinel1_calib`; every product is checked here for what that needs:
each polarisation the manifest lists must have its measurement, product annotation,
calibration and noise files, and every calibration file must parse to calibration vectors.

SLC products are recognised and refused (complex data; use GRD or an RTC product).

Must not import: click, rich, sqlite3, yvy.storage, yvy.cli.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pystac

from ...dates import find_datetime
from ...errors import E_, InputError
from ...io import multihash_sha256, sha256_file
from ..items import FILE_EXT, SAT_EXT, basename, dirname, file_size, read_bytes
from . import IngestOptions, SceneGroup
from .radar import SAR_EXT, norm_polarizations, platform_of, sar_properties

__all__ = ["Sentinel1GrdFormat", "FORMAT", "SafeProduct", "read_safe", "parse_xml"]

NAME = "sentinel1"
COLLECTION = "sentinel-1-grd"
_PRODUCT = re.compile(
    r"^S1([ABCD])_(IW|EW|WV|S[1-6])_(GRD|SLC|OCN|RAW)([HMF_])_(\d)S([SDHV])([HV])_"
    r"(\d{8}T\d{6})_(\d{8}T\d{6})_(\d{6})_([0-9A-F]{6})_([0-9A-F]{4})(?:\.SAFE)?$",
    re.I,
)
_ROLES = {"product": "schema-product", "calibration": "schema-calibration", "noise": "schema-noise"}


class Sentinel1GrdFormat:
    """Sentinel-1 GRD SAFE (folder, zip, AWS layout)."""

    name = NAME

    def claim(self, paths: list[str]) -> list[SceneGroup]:
        """One group per ``manifest.safe`` in a folder named like a Sentinel-1 product."""
        out = []
        for p in paths:
            if basename(p).lower() != "manifest.safe":
                continue
            safe = dirname(p)
            if not _PRODUCT.match(basename(safe)):
                continue
            files = tuple(sorted(f for f in paths if f.startswith(safe + "/")))
            out.append(SceneGroup(NAME, safe, files, {"manifest": p}))
        return out

    def to_items(self, group: SceneGroup, options: IngestOptions) -> list[pystac.Item]:
        """Describe one GRD product; InputError naming the product for anything missing."""
        product = read_safe(group.key, group.files)
        return [_item(product, options)]


FORMAT = Sentinel1GrdFormat()


class SafeProduct:
    """What the manifest, annotation and file list of one SAFE product say."""

    def __init__(self, safe: str, files: tuple[str, ...]):
        self.safe = safe
        self.name = basename(safe).removesuffix(".SAFE").removesuffix(".safe")
        self.files = set(files)
        self.manifest = safe + "/manifest.safe"
        self.rename = _filename_map(safe, self.files)
        self.meta: dict = {}
        self.objects: dict[str, dict[str, str]] = {}
        """pol -> kind (measurement, product, calibration, noise) -> path."""

    def path(self, href: str) -> str:
        """The local path of a manifest ``href`` (``./annotation/x.xml``)."""
        rel = href.removeprefix("./")
        return f"{self.safe}/{self.rename.get(rel, rel)}"


def read_safe(safe: str, files: tuple[str, ...]) -> SafeProduct:
    """Parse and check one SAFE product (metadata files only)."""
    prod = SafeProduct(safe, files)
    m = _PRODUCT.match(basename(safe))
    if m and m.group(3).upper() != "GRD":
        raise InputError(safe, f"Sentinel-1 {m.group(3).upper()} products are not supported; "
                         "ingest the GRD or an RTC product (OPERA, HyP3) of this acquisition")
    root = parse_xml(prod.manifest)
    prod.meta = _manifest_meta(root, prod.manifest)
    _collect_objects(prod, root)
    _check_complete(prod)
    annotation = parse_xml(prod.objects[prod.meta["pols"][0]]["product"])
    prod.meta.update(_annotation_meta(annotation))
    for pol in prod.meta["pols"]:
        check_calibration(prod.objects[pol]["calibration"])
    return prod


def parse_xml(path: str) -> ET.Element:
    """Root element of a small XML file; InputError naming it when missing or truncated."""
    data = read_bytes(path)
    if not data.strip():
        raise InputError(path, "empty XML file")
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise InputError(path, f"truncated or invalid XML ({exc})") from exc


def check_calibration(path: str) -> int:
    """Number of calibration vectors of a calibration XML; InputError when it has none or
    when a vector's sigmaNought / betaNought / gamma lengths differ from its pixel list."""
    root = parse_xml(path)
    vectors = root.findall("./calibrationVectorList/calibrationVector")
    if not vectors:
        raise InputError(path, "no calibration vectors; the product cannot be calibrated")
    for v in vectors:
        n = len((v.findtext("pixel") or "").split())
        for key in ("sigmaNought", "betaNought", "gamma"):
            if len((v.findtext(key) or "").split()) != n:
                raise InputError(path, f"calibration vector at line {v.findtext('line')}: "
                                 f"{key} has not one value per pixel ({n})")
    return len(vectors)


def _filename_map(safe: str, files: set[str]) -> dict[str, str]:
    info = safe + "/productInfo.json"
    if info not in files:
        return {}
    try:
        data = json.loads(read_bytes(info))
    except json.JSONDecodeError as exc:
        raise InputError(info, f"invalid JSON ({exc.msg})") from exc
    return dict(data.get("filenameMap") or {})


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(root: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in root.iter() if _local(e.tag) == name]


def _text(root: ET.Element, name: str, **attrs) -> str | None:
    for e in _find(root, name):
        if all(e.get(k) == v for k, v in attrs.items()):
            return (e.text or "").strip()
    return None


def _manifest_meta(root: ET.Element, path: str) -> dict:
    pols = [e.text for e in _find(root, "transmitterReceiverPolarisation")]
    start = find_datetime(_text(root, "startTime"))
    stop = find_datetime(_text(root, "stopTime"))
    if start is None:
        raise InputError(path, "no acquisition start time (safe:startTime)")
    coords = _text(root, "coordinates")
    if not coords:
        raise InputError(path, "no footprint (gml:coordinates)")
    ring = [tuple(float(v) for v in pair.split(","))[::-1] for pair in coords.split()]
    return {
        "pols": norm_polarizations(pols, path),
        "mode": _text(root, "mode"),
        "product_type": _text(root, "productType") or "GRD",
        "platform": "sentinel-1" + (_text(root, "number") or "").lower(),
        "absolute_orbit": _int(_text(root, "orbitNumber", type="start")),
        "relative_orbit": _int(_text(root, "relativeOrbitNumber", type="start")),
        "orbit": _text(root, "pass"),
        "timeliness": _text(root, "productTimelinessCategory"),
        "start": start,
        "stop": stop or start,
        "ring": ring + ring[:1],
    }


def _int(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


def _collect_objects(prod: SafeProduct, root: ET.Element) -> None:
    for obj in _find(root, "dataObject"):
        loc = next(iter(_find(obj, "fileLocation")), None)
        if loc is None or not loc.get("href"):
            continue
        href = loc.get("href")
        kind = _kind(href)
        m = re.search(r"-(hh|hv|vh|vv)-", basename(href), re.I)
        if kind and m:
            prod.objects.setdefault(m.group(1).upper(), {})[kind] = prod.path(href)


def _kind(href: str) -> str | None:
    name = basename(href).lower()
    if href.lstrip("./").startswith("measurement/"):
        return "measurement"
    if "/rfi/" in href:
        return None
    if name.startswith("calibration-"):
        return "calibration"
    if name.startswith("noise-"):
        return "noise"
    if href.lstrip("./").startswith("annotation/") and name.startswith("s1"):
        return "product"
    return None


def _check_complete(prod: SafeProduct) -> None:
    for pol in prod.meta["pols"]:
        have = prod.objects.get(pol, {})
        for kind in ("measurement", "product", "calibration", "noise"):
            path = have.get(kind)
            if path is None or path not in prod.files:
                raise InputError(prod.safe, _missing(pol, kind, path, prod.safe))  # i18n: relayed


def _missing(pol: str, kind: str, path: str | None, safe: str) -> str:
    rel = path[len(safe) + 1:] if path else f"{kind} file"
    if kind == "measurement":
        return E_(f"polarisation {pol} is listed in manifest.safe but {rel} is missing")
    if kind in ("calibration", "noise"):
        return E_(f"no {kind} data for {pol} ({rel} missing); a GRD cannot be calibrated without it")
    return E_(f"{pol} product annotation {rel} is missing")


def _annotation_meta(root: ET.Element) -> dict:
    out = {}
    for key, name in (("sar:pixel_spacing_range", "rangePixelSpacing"),
                      ("sar:pixel_spacing_azimuth", "azimuthPixelSpacing")):
        value = _text(root, name)
        if value:
            out[key] = float(value)
    freq = _text(root, "radarFrequency")
    if freq:
        out["frequency_ghz"] = round(float(freq) / 1e9, 4)
    return out


def _item(prod: SafeProduct, options: IngestOptions) -> pystac.Item:
    from shapely.geometry import Polygon, mapping
    from shapely.geometry.polygon import orient

    meta = prod.meta
    poly = Polygon(meta["ring"])
    if not poly.is_valid:
        poly = poly.buffer(0)
    poly = orient(poly)
    geometry = json.loads(json.dumps(mapping(poly)))  # tuples -> lists
    m = _PRODUCT.match(basename(prod.safe))
    props = sar_properties(
        mode=meta["mode"] or (m.group(2).upper() if m else "IW"), polarizations=meta["pols"],
        product_type=meta["product_type"], units="dn", orbit=meta["orbit"],
        relative_orbit=meta["relative_orbit"], absolute_orbit=meta["absolute_orbit"],
        platform=meta["platform"] or platform_of(prod.name),
        frequency_ghz=meta.get("frequency_ghz", 5.405),
    )
    props |= {k: v for k, v in meta.items() if k.startswith("sar:")}
    props |= {
        "start_datetime": meta["start"].isoformat().replace("+00:00", "Z"),
        "end_datetime": meta["stop"].isoformat().replace("+00:00", "Z"),
        "s1:resolution": {"H": "high", "M": "medium", "F": "full"}.get(m.group(4).upper())
        if m else None,
        "s1:timeliness": meta["timeliness"],
        "yvy:format": NAME,
        "yvy:terrain_correction": "none",
    }
    item = pystac.Item(
        id=prod.name, geometry=geometry, bbox=[float(v) for v in poly.bounds],
        datetime=meta["start"], properties={k: v for k, v in props.items() if v is not None},
        collection=COLLECTION,
    )
    for pol in meta["pols"]:
        _add_pol_assets(item, prod, pol, options)
    item.add_asset("safe-manifest", pystac.Asset(prod.manifest, media_type="application/xml",
                                                 roles=["metadata"], title="SAFE manifest"))
    item.stac_extensions = [SAR_EXT, SAT_EXT, FILE_EXT]
    return item


def _add_pol_assets(item: pystac.Item, prod: SafeProduct, pol: str, options) -> None:
    files = prod.objects[pol]
    href = files["measurement"]
    fields = {"raster:bands": [{"data_type": "uint16", "nodata": 0, "unit": "dn"}],
              "file:size": file_size(href)}
    if options.checksum:
        fields["file:checksum"] = multihash_sha256(sha256_file(href))
    item.add_asset(pol.lower(), pystac.Asset(
        href, media_type=str(pystac.MediaType.GEOTIFF), roles=["data"],
        title=f"{pol} digital numbers (calibrate with the {pol} calibration vectors)",
        extra_fields=fields,
    ))
    for kind, key in _ROLES.items():
        item.add_asset(f"{key}-{pol.lower()}", pystac.Asset(
            files[kind], media_type="application/xml", roles=["metadata"],
            title=f"{pol} {kind} annotation",
        ))
