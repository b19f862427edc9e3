"""CBERS-4 / CBERS-4A products from INPE: one GeoTIFF per band.

INPE names: ``CBERS_4_AWFI_20180101_157_123_L4_BAND13.tif`` (plus ``.xml`` metadata per band,
``_CMASK`` masks, ``_GRID_SURFACE`` surface-reflectance variants); ``CBERS_4A_WFI_...``.
Also per-band **time stacks** named after the camera, as the sits/BDC samples are
(``sits_cbers4_awfi_b13_cerrado_2017_2018.tif``: band descriptions = ISO dates), and band
files saved under short names (``BAND0.tif`` ... as download tools write them) that keep the
TIFF tags INPE's G2T processor writes (Copyright ``INPE``, ImageDescription ``Band 2 Level 4
P223 R129 Acquisition Date 2021-08-29T14:41:29.645287 ...``): the scene, level, path/row and
acquisition time come from the tags, the satellite and camera from the band number and the
pixel size (:data:`CBERS_BANDS`).

Files of one scene (same directory, same name apart from the band token) become one Item with
one asset per band, keyed by common name (``blue``, ``green``, ``red``, ``nir``, ``pan``) and
``cmask``. Collection ``cbers-{4|4a}-{camera}``, e.g. ``cbers-4-awfi``, ``cbers-4a-wfi``.

Must not import: click, rich, sqlite3, yvy.storage, yvy.cli.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

import pystac

from ...dates import find_datetime, to_iso
from ...errors import InputError
from ..items import AssetSpec, BandInfo, basename, build_item, dirname, read_raster
from . import IngestOptions, SceneGroup
from .geotiff import date_from_name, stack_dates

__all__ = ["CbersFormat", "FORMAT", "CBERS_BANDS"]

NAME = "cbers"

# (satellite, camera) -> {band number: (common name, centre wavelength um, gsd m)}
_4_AWFI = {13: ("blue", 0.485, 64), 14: ("green", 0.555, 64), 15: ("red", 0.66, 64),
           16: ("nir", 0.83, 64)}
CBERS_BANDS: dict[tuple[str, str], dict[int, tuple[str, float, float]]] = {
    ("4", "awfi"): _4_AWFI,
    ("4a", "wfi"): {k: (c, w, 55) for k, (c, w, _) in _4_AWFI.items()},
    ("4", "mux"): {5: ("blue", 0.485, 20), 6: ("green", 0.555, 20), 7: ("red", 0.66, 20),
                   8: ("nir", 0.83, 20)},
    ("4a", "mux"): {5: ("blue", 0.485, 16.5), 6: ("green", 0.555, 16.5), 7: ("red", 0.66, 16.5),
                    8: ("nir", 0.83, 16.5)},
    ("4", "pan5m"): {1: ("pan", 0.625, 5)},
    ("4", "pan10m"): {2: ("green", 0.555, 10), 3: ("red", 0.66, 10), 4: ("nir", 0.83, 10)},
    ("4a", "wpm"): {0: ("pan", 0.675, 2), 1: ("blue", 0.485, 8), 2: ("green", 0.555, 8),
                    3: ("red", 0.66, 8), 4: ("nir", 0.83, 8)},
}
_INPE = re.compile(
    r"^(?P<scene>CBERS_?(?P<sat>4A?)_(?P<cam>AWFI|WFI|MUX|PAN5M|PAN10M|WPM)_(?P<date>\d{8})_"
    r"(?P<path>\d{3})_(?P<row>\d{3})_(?P<level>L\w\d?))_(?P<band>BAND\d+|CMASK|QUALITY)"
    r"(?P<rest>_[A-Z_]+)?\.(?P<ext>tiff?|xml)$",
    re.I,
)
_LOOSE = re.compile(
    r"^(?P<pre>.*?cbers[-_]?(?P<sat>4a?)[-_](?P<cam>awfi|wfi|mux|pan5m|pan10m|wpm)(?:[-_].*?)?)"
    r"[-_](?P<band>b(?:and)?\d+|cmask)(?P<post>(?:[-_].*)?)\.(?P<ext>tiff?)$",
    re.I,
)


_G2T = re.compile(
    r"Band (?P<band>\d+) Level (?P<level>\w+) P(?P<path>\d+) R(?P<row>\d+) "
    r"Acquisition Date (?P<when>\d{4}-\d{2}-\d{2}T[\d:.]+)", re.I,
)
_AMAZONIA = re.compile(
    r"^(?P<scene>AMAZONIA_1_(?P<cam>WFI)_(?P<date>\d{8})_(?P<path>\d{3})_(?P<row>\d{3})_(?P<level>L\d)"
    r"(?P<rest>_LEFT|_RIGHT)?)_(?P<band>BAND\d+)\.(?P<ext>tiff?|xml)$", re.I,
)
"""Amazonia-1 (INPE) band files: recognised so that their metadata is named, not yet read."""
_SHORT = re.compile(r"^band\d+\.tiff?$", re.I)
GSD_TOLERANCE = 0.1
"""Relative difference allowed between a file's pixel size and its camera's nominal GSD."""


def _parse(name: str) -> dict | None:
    m = _INPE.match(name)
    if m:
        d = m.groupdict()
        return {**d, "key": d["scene"] + (d["rest"] or ""), "inpe": True}
    m = _AMAZONIA.match(name)
    if m:
        d = m.groupdict()
        return {**d, "sat": "amazonia-1", "key": d["scene"], "inpe": True}
    m = _LOOSE.match(name)
    if m:
        d = m.groupdict()
        return {**d, "key": d["pre"] + d["post"], "inpe": False}
    return None


class CbersFormat:
    """CBERS-4/4A per-band products (INPE names) and per-band time stacks."""

    name = NAME

    def claim(self, paths: list[str]) -> list[SceneGroup]:
        """Group per-band files of one scene by directory and name without the band token
        (or, for short ``BANDn.tif`` names, by the scene INPE's tags describe)."""
        groups: dict[tuple[str, str], list[str]] = defaultdict(list)
        tagged: dict[str, dict] = {}
        for p in paths:
            info = _parse(basename(p))
            if info is None and _SHORT.match(basename(p)):
                info = tagged[p] = inpe_tags(p)
            if info:
                groups[(dirname(p), info["key"])].append(p)
        out = []
        for (folder, key), files in groups.items():
            metas = {f: tagged[f] for f in files if f in tagged}
            out.append(SceneGroup(NAME, f"{folder}/{key}", tuple(sorted(files)), {"id": key, "tagged": metas}))
        return out

    def to_items(self, group: SceneGroup, options: IngestOptions) -> list[pystac.Item]:
        """One Item per scene (or per stack), one asset per band."""
        if not any(f.lower().endswith((".tif", ".tiff")) for f in group.files):
            names = ", ".join(basename(f) for f in group.files)
            raise InputError(group.key, f"metadata only: INPE band metadata ({names}) without the band "
                                        "GeoTIFFs it describes")
        if basename(group.key).upper().startswith("AMAZONIA"):
            raise InputError(group.key, "an Amazonia-1 WFI product; yvy reads CBERS-4/4A band files, "
                                        "not Amazonia-1 ones yet")
        assets: dict[str, AssetSpec] = {}
        extra: dict[str, pystac.Asset] = {}
        first = None
        for path in group.files:
            meta = group.extra.get("tagged", {}).get(path) or _parse(basename(path))
            if meta["ext"].lower() == "xml":
                extra[f"metadata_{meta['band'].lower()}"] = pystac.Asset(
                    path, media_type=str(pystac.MediaType.XML), roles=["metadata"])
                continue
            first = first or meta
            sat, cam = meta["sat"].lower(), meta["cam"].lower()
            key, band = _band(sat, cam, meta["band"], path)
            info = read_raster(path)
            n = info.count
            assets[key] = AssetSpec(info, [band] * n, title=meta["band"].upper(),
                                    roles=("cloud",) if key == "cmask" else ("data",))
        sat, cam = first["sat"].lower(), first["cam"].lower()
        props = {"platform": f"cbers-{sat}", "constellation": "cbers", "instruments": [cam]}
        if first["inpe"]:
            props |= {"cbers:path": int(first["path"]), "cbers:row": int(first["row"]),
                      "processing:level": first["level"].upper()}
        gsd = CBERS_BANDS.get((sat, cam), {})
        if gsd:
            props["gsd"] = next(iter(gsd.values()))[2]
        when, start, end = _dates(group, assets, first, options)
        if start is not None:
            dates = stack_dates(next(iter(assets.values())).raster)
            props["yvy:stack_dates"] = [to_iso(d) for d in dates]
            assets = {k: AssetSpec(a.raster, [_dated(a.bands[0], d) for d in dates], a.title,
                                   a.roles) for k, a in assets.items()}
        item = build_item(
            group.extra.get("id") or basename(group.key), assets, fmt=NAME, datetime=when,
            start_datetime=start, end_datetime=end, properties=props,
            collection=f"cbers-{sat}-{cam}", checksum=options.checksum, extra_assets=extra,
        )
        return [item]


FORMAT = CbersFormat()


def _band(sat: str, cam: str, token: str, path: str) -> tuple[str, BandInfo]:
    token = token.upper()
    if token in ("CMASK", "QUALITY"):
        return "cmask", BandInfo(name="cmask", description="cloud mask")
    number = int(re.sub(r"\D", "", token))
    table = CBERS_BANDS.get((sat, cam), {})
    if number not in table:
        raise InputError(path, f"band {number} is not a CBERS-{sat.upper()} {cam.upper()} band")
    common, wavelength, _ = table[number]
    return common, BandInfo(name=f"B{number}", common_name=common, center_wavelength=wavelength,
                            description=f"CBERS-{sat.upper()} {cam.upper()} band {number}")


def _dated(band: BandInfo, d: dt.datetime) -> BandInfo:
    return BandInfo(name=to_iso(d), description=to_iso(d), common_name=band.common_name,
                    center_wavelength=band.center_wavelength)


def _dates(group, assets, first, options):
    """(datetime, start, end): a scene date, or the span of per-band time stacks."""
    stacks = {k: stack_dates(a.raster) for k, a in assets.items()}
    if all(s is not None for s in stacks.values()):
        values = list(stacks.values())
        if any(v != values[0] for v in values[1:]):
            raise InputError(group.key, "band files of this stack have different dates")
        return None, min(values[0]), max(values[0])
    if first["inpe"]:
        return find_datetime(first.get("when") or first["date"]), None, None
    d = date_from_name(group.key)
    if d is None and options.datetime:
        from .geotiff import option_datetime

        d = option_datetime(options)
    if d is None:
        raise InputError(group.key, "no acquisition date in band descriptions or file name; "
                                    "give the date")
    return d, None, None


def inpe_tags(path: str) -> dict | None:
    """Scene facts from the TIFF tags INPE's G2T processor writes into a band file, or None.

    The satellite and camera are the :data:`CBERS_BANDS` entry that has the band number and a
    nominal GSD within :data:`GSD_TOLERANCE` of the file's pixel size (CBERS-4A WPM: band 0 at
    2 m, bands 1-4 at 8 m). None when the tags are not INPE's or the camera is ambiguous.
    """
    import rasterio

    try:
        with rasterio.open(path) as ds:
            tags, res = ds.tags(), abs(ds.transform.a)
    except rasterio.errors.RasterioError:
        return None
    m = _G2T.search(tags.get("TIFFTAG_IMAGEDESCRIPTION", ""))
    if m is None or "INPE" not in tags.get("TIFFTAG_COPYRIGHT", "").upper():
        return None
    band = int(m["band"])
    cams = [(sat, cam) for (sat, cam), table in CBERS_BANDS.items()
            if band in table and abs(res - table[band][2]) <= GSD_TOLERANCE * table[band][2]]
    if len(cams) != 1:
        return None
    sat, cam = cams[0]
    day = m["when"][:10].replace("-", "")
    scene = f"CBERS_{sat.upper()}_{cam.upper()}_{day}_{int(m['path']):03d}_{int(m['row']):03d}_L{m['level']}"
    return {"sat": sat, "cam": cam, "band": f"BAND{band}", "ext": "tif", "date": day, "when": m["when"],
            "path": m["path"], "row": m["row"], "level": f"L{m['level']}", "key": scene, "inpe": True}
