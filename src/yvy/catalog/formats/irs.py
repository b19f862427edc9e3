"""Indian Remote Sensing products as NRSC distributes them (ResourceSat-1/2/2A LISS-III,
LISS-IV, AWiFS): one GeoTIFF per band (``BAND2.tif`` ...) beside a metadata file.

Metadata: the Bhuvan ortho-tile XML (``<metadata>`` with ``Name_of_the_Satellite``, ``Sensor``,
``Path``, ``Row``, ``Date_of_Pass``) or an NRSC ``*META*.txt`` text of ``key = value`` lines
(``SatID``, ``Sensor``, ``Path``, ``Row``, ``DateOfPass``...; keys are matched loosely).
Collection per satellite and sensor, e.g. ``irs-resourcesat-2-liss3``.

Must not import: click, rich, sqlite3, yvy.storage, yvy.cli.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections import defaultdict

import pystac

from ...errors import InputError
from ..items import AssetSpec, BandInfo, basename, build_item, dirname, read_bytes, read_raster
from . import IngestOptions, SceneGroup

__all__ = ["IrsFormat", "FORMAT", "parse_irs_metadata"]

NAME = "irs"
_BAND_FILE = re.compile(r"^(?:.*[_-])?BAND[_-]?(\d)\.tiff?$", re.I)
_META_TXT = re.compile(r"meta.*\.txt$|\.meta$", re.I)
# band number -> (asset key / common name, centre wavelength um)
_LISS3 = {2: ("green", 0.555), 3: ("red", 0.65), 4: ("nir", 0.815), 5: ("swir16", 1.625)}
IRS_BANDS = {"liss3": _LISS3, "awifs": _LISS3, "liss4": {k: _LISS3[k] for k in (2, 3, 4)}}
_GSD = {"liss3": 23.5, "liss4": 5.8, "awifs": 56.0}
_SATS = {
    "irsr2a": "resourcesat-2a", "resourcesat2a": "resourcesat-2a", "rs2a": "resourcesat-2a",
    "irsr2": "resourcesat-2", "resourcesat2": "resourcesat-2", "rs2": "resourcesat-2",
    "irsp6": "resourcesat-1", "resourcesat1": "resourcesat-1", "rs1": "resourcesat-1",
}
_SENSORS = {
    "l3": "liss3", "liss3": "liss3", "lissiii": "liss3", "l4": "liss4", "liss4": "liss4",
    "lissiv": "liss4", "l4fx": "liss4", "l4mx": "liss4", "aw": "awifs", "awifs": "awifs",
    "awifsa": "awifs", "awifsb": "awifs",
}
_KEYS = {
    "satellite": ("nameofthesatellite", "satid", "satellite", "satellitename", "mission",
                  "imageacquiredfrom"),
    "sensor": ("sensor", "sensorid", "sensorname"),
    "path": ("path",),
    "row": ("row",),
    "date": ("dateofpass", "dateofacquisition", "acquisitiondate", "imagingdate", "passdate",
             "sceneacquisitiondate"),
    "time": ("scenecentertime", "scenecentretime", "imagingtime", "scenestarttime"),
    "name": ("nameofthedataset", "productid", "productname", "otsproductid", "productcode"),
    "tile": ("tilename", "tileno"),
}


class IrsFormat:
    """NRSC IRS products: BANDn.tif files + metadata XML or META text."""

    name = NAME

    def claim(self, paths: list[str]) -> list[SceneGroup]:
        """A folder with ``BANDn.tif`` files and a metadata file naming an IRS satellite."""
        by_dir: dict[str, list[str]] = defaultdict(list)
        for p in paths:
            by_dir[dirname(p)].append(p)
        out = []
        for folder, files in by_dir.items():
            bands = [f for f in files if _BAND_FILE.match(basename(f))]
            if not bands:
                continue
            for meta in sorted(f for f in files if _is_meta_name(f)):
                try:
                    parsed = parse_irs_metadata(meta)
                except InputError:
                    continue
                if parsed.get("satellite") and parsed.get("sensor"):
                    group_files = tuple(sorted(bands + [meta]))
                    out.append(SceneGroup(NAME, folder, group_files, {"metadata": meta}))
                    break
        return out

    def to_items(self, group: SceneGroup, options: IngestOptions) -> list[pystac.Item]:
        """One Item per product, assets keyed by common name (green, red, nir, swir16)."""
        meta_path = group.extra.get("metadata") or next(f for f in group.files if _is_meta_name(f))
        meta = parse_irs_metadata(meta_path)
        sat, sensor = meta.get("satellite"), meta.get("sensor")
        if not sat or not sensor:
            raise InputError(meta_path, "satellite or sensor not found in the IRS metadata")
        when = meta.get("datetime")
        if when is None:
            raise InputError(meta_path, "date of pass not found or unreadable in the IRS metadata")
        table = IRS_BANDS[sensor]
        assets = {}
        for path in group.files:
            m = _BAND_FILE.match(basename(path))
            if not m:
                continue
            number = int(m.group(1))
            if number not in table:
                raise InputError(path, f"band {number} is not a {sensor.upper()} band")
            key, wavelength = table[number]
            band = BandInfo(name=f"B{number}", common_name=key, center_wavelength=wavelength,
                            description=f"{sensor.upper()} band {number}")
            assets[key] = AssetSpec(read_raster(path), [band], title=f"Band {number}")
        props = {"platform": sat, "constellation": "irs", "instruments": [sensor],
                 "gsd": _GSD[sensor]}
        for k in ("path", "row", "tile"):
            if meta.get(k):
                props[f"irs:{k}"] = meta[k]
        item_id = meta.get("name") or basename(group.key)
        metadata = pystac.Asset(meta_path, title="NRSC metadata", roles=["metadata"],
                                media_type=_media_type(meta_path))
        return [build_item(
            item_id, assets, fmt=NAME, datetime=when, properties=props,
            collection=f"irs-{sat}-{sensor}", checksum=options.checksum,
            extra_assets={"metadata": metadata},
        )]


FORMAT = IrsFormat()


def _is_meta_name(path: str) -> bool:
    name = basename(path)
    return name.lower().endswith(".xml") or bool(_META_TXT.search(name))


def _media_type(path: str) -> str:
    return str(pystac.MediaType.XML if path.lower().endswith(".xml") else pystac.MediaType.TEXT)


def _norm(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", key.lower())


def parse_irs_metadata(path: str) -> dict:
    """Satellite, sensor, path, row, datetime, name and tile from an NRSC XML or META text."""
    raw = read_bytes(path, limit=4 << 20).decode("utf-8", "replace")
    fields: dict[str, str] = {}
    if raw.lstrip().startswith("<"):
        try:
            root = ET.fromstring(raw)
        except ET.ParseError as exc:
            raise InputError(path, f"not well-formed XML ({exc})") from exc
        for el in root.iter():
            tag = el.tag.rsplit("}", 1)[-1]
            if el.text and el.text.strip() and _norm(tag) not in fields:
                fields[_norm(tag)] = el.text.strip()
    else:
        for line in raw.splitlines():
            m = re.match(r"^\s*([A-Za-z][\w .()/-]*?)\s*[=:]\s*(.*?)\s*$", line)
            if m and _norm(m.group(1)) not in fields:
                fields[_norm(m.group(1))] = m.group(2).strip().strip('"')
    out: dict = {}
    for name, keys in _KEYS.items():
        value = next((fields[k] for k in keys if fields.get(k)), None)
        if value is not None:
            out[name] = value
    out["satellite"] = _SATS.get(_norm(out.get("satellite", "")))
    out["sensor"] = _SENSORS.get(_norm(out.get("sensor", "")))
    for k in ("path", "row"):
        if out.get(k):
            out[k] = out[k].lstrip("0") or "0"
    out["datetime"] = _pass_datetime(out.get("date"), out.get("time"))
    return out


def _pass_datetime(date: str | None, time: str | None) -> dt.datetime | None:
    if not date:
        return None
    text = date.strip()
    day = None
    for fmt in ("%d%b%y", "%d-%b-%Y", "%d%b%Y", "%d-%b-%y", "%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y",
                "%Y%m%d", "%d %b %Y"):
        try:
            day = dt.datetime.strptime(text.title() if "%b" in fmt else text, fmt)
            break
        except ValueError:
            continue
    if day is None:
        return None
    if time:
        m = re.search(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", time)
        if m:
            day = day.replace(hour=int(m.group(1)), minute=int(m.group(2)),
                              second=int(m.group(3) or 0))
    return day.replace(tzinfo=dt.UTC)
