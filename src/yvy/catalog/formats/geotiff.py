"""Generic GeoTIFF / COG reader: single- and multi-band rasters, time stacks, drone orthomosaics.

Claims every ``.tif`` / ``.tiff`` left over by the specific readers; one Item per file, id = file
stem and a short digest of the file's folder (``BAND0-1f3a9c2e``), so files of the same name in
different folders stay different items and the same file ingested twice stays one. A raster
whose band descriptions are all ISO dates or datetimes (two bands or more) is a **time stack**:
one Item, ``datetime`` null, ``start_datetime`` / ``end_datetime`` and ``yvy:stack_dates`` (one
ISO datetime per band, in band order), asset key ``data``.

Other rasters need a date: :attr:`IngestOptions.datetime` first, then
acquisition tags, a date band description, a date in the file name, ``TIFFTAG_DATETIME``.

Must not import: click, rich, sqlite3, yvy.storage, yvy.cli.
"""

from __future__ import annotations

import datetime as dt
import math
import re

import pystac

from ...dates import find_datetime, to_iso
from ...errors import DateRangeError, InputError
from ..items import AssetSpec, BandInfo, RasterInfo, basename, build_item, dirname, read_raster
from . import IngestOptions, SceneGroup

__all__ = ["GeoTiffFormat", "FORMAT", "stack_dates", "date_from_name", "generic_id", "option_datetime"]

NAME = "geotiff"
_ACQ_TAGS = (
    "ACQUISITION_DATETIME", "ACQUISITION_DATE", "ACQUISITIONDATE", "DATE_ACQUIRED",
    "ACQUISITION_TIME", "SENSING_TIME", "SENSING_DATE", "DATETIME_ORIGINAL", "DATETIMEORIGINAL",
    "EXIF_DATETIMEORIGINAL", "START_TIME", "START_DATETIME", "DATE", "DATETIME", "TIME",
)
_DRONE_WORDS = re.compile(
    r"\b(dji|pix4d|opendronemap|odm|webodm|agisoft|metashape|dronedeploy|parrot|sensefly|"
    r"micasense|sequoia|phantom|mavic|ebee)\b",
    re.I,
)
_DRONE_NAMES = re.compile(
    r"(odm_orthophoto|orthomosaic|orthophoto|pix4d|dji_|_dji|drone|uav)", re.I
)
_NAME_DATE = (
    re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(?!\d)"),
    re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)"),
    re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)"),
)


class GeoTiffFormat:
    """Any georeferenced GeoTIFF/COG (claimed last)."""

    name = NAME

    def claim(self, paths: list[str]) -> list[SceneGroup]:
        """One group per ``.tif`` / ``.tiff`` file."""
        return [
            SceneGroup(NAME, p, (p,))
            for p in paths
            if basename(p).lower().endswith((".tif", ".tiff"))
        ]

    def to_items(self, group: SceneGroup, options: IngestOptions) -> list[pystac.Item]:
        """Describe one raster file."""
        info = read_raster(group.key)
        return [describe_raster(info, options)]


FORMAT = GeoTiffFormat()


def describe_raster(info: RasterInfo, options: IngestOptions, fmt: str = NAME) -> pystac.Item:
    """Item for one generic raster (time stack, drone orthomosaic or plain image)."""
    stem = generic_id(info.href)
    dates = stack_dates(info)
    props: dict = {}
    props.update(_sensor_hints(info))
    drone = dates is None and is_drone(info, options)
    collection = options.collection or props.pop("_collection", None)
    if drone:
        collection = options.collection or "drone"
        props["yvy:drone"] = True
    collection = collection or "geotiff"
    props.pop("_collection", None)
    bands = [BandInfo(name=_band_name(info, i)) for i in range(info.count)]
    if dates is not None:
        bands = [BandInfo(name=to_iso(d), description=to_iso(d)) for d in dates]
        props["yvy:stack_dates"] = [to_iso(d) for d in dates]
        return build_item(
            stem, {"data": AssetSpec(info, bands)}, fmt=fmt, start_datetime=min(dates),
            end_datetime=max(dates), properties=props, collection=collection,
            checksum=options.checksum,
        )
    when = acquisition_datetime(info, options)
    if drone and _is_rgb(info):
        names = ("red", "green", "blue", "alpha")
        bands = [BandInfo(name=names[i], common_name=names[i] if i < 3 else None)
                 for i in range(info.count)]
    return build_item(
        stem, {"data": AssetSpec(info, bands)}, fmt=fmt, datetime=when, properties=props,
        collection=collection, checksum=options.checksum,
    )


def stack_dates(info: RasterInfo) -> list[dt.datetime] | None:
    """Per-band datetimes when every band description (two bands or more) is an ISO date."""
    if info.count < 2 or not all(info.descriptions):
        return None
    dates = [find_datetime(d) for d in info.descriptions]
    if any(d is None for d in dates):
        return None
    return dates


def acquisition_datetime(info: RasterInfo, options: IngestOptions) -> dt.datetime:
    """Acquisition datetime of a single-date raster; InputError asking for the date."""
    forced = option_datetime(options)
    if forced:
        return forced
    tags = {k.upper(): v for k, v in info.tags.items()}
    for key in _ACQ_TAGS:
        if key in tags and (d := find_datetime(tags[key])):
            return d
    if info.count == 1 and (d := find_datetime(info.descriptions[0])):
        return d
    if d := date_from_name(info.href):
        return d
    if d := find_datetime(tags.get("TIFFTAG_DATETIME")):
        return d
    raise InputError(
        info.href,
        "no acquisition date in tags, band descriptions or file name; give the date",
    )


def option_datetime(options: IngestOptions) -> dt.datetime | None:
    """``--datetime`` parsed, or None; DateRangeError when it is not an ISO date."""
    if not options.datetime:
        return None
    d = find_datetime(options.datetime)
    if d is None:
        raise DateRangeError("datetime", f"{options.datetime!r} is not an ISO date or datetime")
    return d


def date_from_name(path: str) -> dt.datetime | None:
    """First plausible date in a file name (``20230105T101010``, ``2023-01-05``, ``20230105``)."""
    name = basename(path)
    for rx in _NAME_DATE:
        for m in rx.finditer(name):
            parts = [int(g) for g in m.groups()]
            try:
                value = dt.datetime(*parts, tzinfo=dt.UTC)
            except ValueError:
                continue
            if 1970 <= value.year <= 2100:
                return value
    return None


def is_drone(info: RasterInfo, options: IngestOptions) -> bool:
    """``--drone``, drone software/camera tags or names, or pixels finer than 0.5 m."""
    if options.drone:
        return True
    text = " ".join(
        str(info.tags.get(k, ""))
        for k in ("TIFFTAG_SOFTWARE", "TIFFTAG_MAKE", "TIFFTAG_MODEL", "TIFFTAG_IMAGEDESCRIPTION",
                  "TIFFTAG_ARTIST", "SOFTWARE", "SENSOR", "CAMERA")
    )
    if _DRONE_WORDS.search(text) or _DRONE_NAMES.search(basename(info.href)):
        return True
    return _pixel_metres(info) < 0.5


def _pixel_metres(info: RasterInfo) -> float:
    res = info.resolution
    crs = info.crs
    if crs is not None and crs.is_geographic:
        lat = (info.bounds[1] + info.bounds[3]) / 2
        return res * 111_320 * max(math.cos(math.radians(lat)), 0.01)
    try:
        factor = crs.linear_units_factor[1] if crs is not None else 1.0
    except Exception:  # CRS without linear units description
        factor = 1.0
    return res * factor


def _is_rgb(info: RasterInfo) -> bool:
    ci = tuple(c.lower() for c in info.colorinterp[:3])
    return info.count in (3, 4) and (ci == ("red", "green", "blue") or info.dtypes[0] == "uint8")


def _sensor_hints(info: RasterInfo) -> dict:
    """Platform hints from SENSOR/SOURCE tags (e.g. CBERS-4 AWFI stacks renamed by the user)."""
    keys = ("SENSOR", "SOURCE", "SATELLITE", "PLATFORM")
    text = " ".join(str(info.tags.get(k, "")) for k in keys)
    m = re.search(r"CBERS[-_ ]?(4A?)[-_ ](AWFI|WFI|MUX|PAN5M|PAN10M|WPM)", text, re.I)
    if m:
        sat, sensor = m.group(1).lower(), m.group(2).lower()
        return {
            "platform": f"cbers-{sat}", "constellation": "cbers", "instruments": [sensor],
            "_collection": f"cbers-{sat}-{sensor}",
        }
    return {}


def _band_name(info: RasterInfo, i: int) -> str:
    return info.descriptions[i] or f"b{i + 1}"


def generic_id(path: str) -> str:
    """Item id of a generic raster: its stem and 8 hex digits of SHA-256 of its folder."""
    import hashlib
    import os

    folder = dirname(path)
    if not folder.startswith("/vsi"):
        folder = os.path.abspath(folder or ".")
    return f"{_stem(path)}-{hashlib.sha256(folder.encode()).hexdigest()[:8]}"


def _stem(path: str) -> str:
    name = basename(path)
    for ext in (".tiff", ".tif", ".jp2"):
        if name.lower().endswith(ext):
            return name[: -len(ext)]
    return name
