"""Sentinel-1 backscatter GeoTIFFs that are not provider products: Equi7 tiles and time stacks.

* **TU Wien / Equi7 tiles** ``SIG0_<YYYYMMDDTHHMMSS>__<pol>_<A|D><orbit>_<tile>_<grid>_<version>_
  <sensor>.tif`` (e.g. ``SIG0_20210327T051656__VH_D095_E051N018T3_EU020M_V1M0R1_S1BIWGRDH.tif``):
  one date per file; the name gives quantity (SIG0 = sigma0, GMR = gamma0), polarisation, orbit
  direction and relative orbit, and sensor. Their int16 pixels are dB scaled by an integer
  factor that the files do not state and that differs between processing runs (the shared
  sample holds both dB x 10 and dB x 100 files). :func:`equi7_scale` decides it per file by an
  explicit rule on the median of the valid pixels (``raster:scale`` 0.1 or 0.01, unit dB,
  ``yvy:scale_rule``), and refuses a file where the rule cannot decide. Id = file stem,
  collection ``sentinel-1-equi7``.
* **Radar time stacks**: a GeoTIFF whose file name has a Sentinel-1 / SAR token (``s1``,
  ``s1a``, ``sentinel1``, ``sar``, ``sig0``, ``sigma0``, ``gamma0``) **and** a polarisation
  token (``vv``, ``vh``, ``hh``, ``hv``), e.g. ``bayts_s1_vv_bolivia_2014_2016.tif``. Described as
  the generic reader describes a stack (asset ``data``, ``yvy:stack_dates``) plus ``sar:*``
  and the unit. Collection ``sentinel-1-stack``; a calibrated, geocoded GRD written by
  :mod:`.sentinel1_geocode` (tag ``YVY_RADAR``) keeps its product's sar/sat properties and
  goes to ``sentinel-1-grd-<quantity>``.

Unit rule (see :mod:`yvy.catalog.formats.radar`): ``--units``, else a unit the file declares
(band ``unit`` / ``UNITS`` tag), else the value-range rule on a decimated sample, else a
one-line error asking for ``--units db|linear``.

Must not import: click, rich, sqlite3, yvy.storage, yvy.cli.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pystac

from ...dates import find_datetime
from ...errors import InputError
from ..items import SAT_EXT, AssetSpec, BandInfo, basename, build_item, read_raster
from . import IngestOptions, SceneGroup
from .geotiff import describe_raster
from .radar import SAR_EXT, platform_of, resolve_units, sample_values, sar_properties

__all__ = ["Sentinel1StackFormat", "FORMAT", "parse_equi7_name", "is_radar_name", "equi7_scale"]

NAME = "sentinel1_stack"
_EQUI7 = re.compile(
    r"^(SIG0|GMR|SIG0-?\w*)_(\d{8}T\d{6})__(VV|VH|HH|HV)_([AD])(\d{3})_(E\d{3}N\d{3}T\d)_"
    r"([A-Z]{2}\d{3}M)_(V\w+?)_(S1[ABCD])(IW|EW|SM)(GRD[HM]|SLC)\.tiff?$",
    re.I,
)
_SAR_TOKEN = re.compile(r"(?i)(?:^|[_\-.])(s1[abcd]?|sentinel-?1|sar|sig0|sigma0|gamma0)(?=[_\-.]|$)")
_POL_TOKEN = re.compile(r"(?i)(?:^|[_\-.])(vv|vh|hh|hv)(?=[_\-.]|$)")
_UNIT_TAGS = ("UNITS", "UNIT", "BACKSCATTER_UNITS", "SCALE_UNITS")


class Sentinel1StackFormat:
    """Equi7 backscatter tiles and radar time-stack GeoTIFFs (claimed before generic GeoTIFF)."""

    name = NAME

    def claim(self, paths: list[str]) -> list[SceneGroup]:
        """One group per Equi7 tile or radar-named GeoTIFF."""
        out = []
        for p in paths:
            name = basename(p)
            if not name.lower().endswith((".tif", ".tiff")):
                continue
            if _EQUI7.match(name):
                out.append(SceneGroup(NAME, p, (p,), {"kind": "equi7"}))
            elif is_radar_name(name):
                out.append(SceneGroup(NAME, p, (p,), {"kind": "stack"}))
        return out

    def to_items(self, group: SceneGroup, options: IngestOptions) -> list[pystac.Item]:
        """Describe one file."""
        if group.extra.get("kind") == "equi7":
            return [_equi7_item(group.key, options)]
        return [_stack_item(group.key, options)]


FORMAT = Sentinel1StackFormat()


def is_radar_name(name: str) -> bool:
    """True when a file name has both a SAR token and a polarisation token."""
    stem = name.rsplit(".", 1)[0]
    return bool(_SAR_TOKEN.search(stem) and _POL_TOKEN.search(stem))


def parse_equi7_name(name: str) -> dict | None:
    """Fields of an Equi7 file name, or None when it is not one."""
    m = _EQUI7.match(basename(name))
    if not m:
        return None
    return {
        "quantity": "gamma0" if m.group(1).upper() == "GMR" else "sigma0",
        "datetime": find_datetime(m.group(2)),
        "polarization": m.group(3).upper(),
        "orbit": "ascending" if m.group(4).upper() == "A" else "descending",
        "relative_orbit": int(m.group(5)),
        "tile": m.group(6).upper(),
        "grid": m.group(7).upper(),
        "version": m.group(8).upper(),
        "platform": platform_of(m.group(9)),
        "mode": m.group(10).upper(),
        "product_type": m.group(11).upper(),
    }


def equi7_scale(path: str) -> float | None:
    """dB per integer step of an Equi7 tile: 0.01 or 0.1; None when it has no valid pixel.

    Rule on the median ``m`` of the valid integers (backscatter medians of land lie between
    -40 and -6 dB): ``m <= -600`` -> dB x 100 (0.01); ``-400 <= m < 0`` -> dB x 10 (0.1);
    anything else -> InputError (one line) naming the file.
    """
    values = sample_values(path, size=256)
    if values.size == 0:
        return None
    m = float(np.median(values))
    if m <= -600:
        return 0.01
    if -400 <= m < 0:
        return 0.1
    raise InputError(path, f"cannot tell the dB scaling of this Equi7 tile (median value {m:g}: "
                     "neither dB x 10 nor dB x 100 of land backscatter)")


def _radar_tag(info, path: str) -> dict:
    raw = {k.upper(): v for k, v in info.tags.items()}.get("YVY_RADAR")
    if not raw:
        return {}
    try:
        return dict(json.loads(raw))
    except (ValueError, TypeError) as exc:
        raise InputError(path, f"invalid YVY_RADAR tag ({exc})") from exc


def _declared_units(info) -> str | None:
    tags = {k.upper(): v for k, v in info.tags.items()}
    for bt in info.band_tags[:1]:
        tags.update({k.upper(): v for k, v in bt.items()})
    for key in _UNIT_TAGS:
        if tags.get(key):
            return tags[key]
    return None


def _equi7_item(path: str, options: IngestOptions) -> pystac.Item:
    f = parse_equi7_name(path)
    info = read_raster(path)
    if info.count != 1:
        raise InputError(path, f"an Equi7 backscatter tile has one band, this one has {info.count}")
    units = resolve_units(path, forced=options.units, declared="dB")
    scale = None
    if info.dtypes[0] in ("int16", "int32") and units == "dB":
        scale = equi7_scale(path)
    band = BandInfo(name=f["polarization"].lower(), scale=scale, offset=0.0 if scale else None,
                    unit=units, description=f"{f['quantity']} {f['polarization']} ({units})")
    props = sar_properties(
        mode=f["mode"], polarizations=[f["polarization"]], product_type=f["product_type"],
        units=units, orbit=f["orbit"], relative_orbit=f["relative_orbit"],
        platform=f["platform"],
    )
    props |= {"equi7:tile": f["tile"], "equi7:grid": f["grid"], "yvy:version": f["version"],
              "yvy:backscatter": f["quantity"],
              "yvy:scale_rule": "median of valid pixels" if scale else "no valid pixels"}
    stem = basename(path).rsplit(".", 1)[0]
    return build_item(stem, {f["polarization"].lower(): AssetSpec(info, [band])}, fmt=NAME,
                      datetime=f["datetime"], properties=props, collection="sentinel-1-equi7",
                      checksum=options.checksum, extensions=[SAR_EXT, SAT_EXT])


def _stack_item(path: str, options: IngestOptions) -> pystac.Item:
    info = read_raster(path)
    stem = basename(path).rsplit(".", 1)[0]
    pol = _POL_TOKEN.search(stem).group(1).upper()
    units = resolve_units(path, forced=options.units, declared=_declared_units(info),
                          sample=lambda: sample_values(path))
    item = describe_raster(info, options, fmt=NAME)
    d = item.to_dict(include_self_link=False)
    for band in d["assets"]["data"]["bands"] + d["assets"]["data"]["raster:bands"]:
        band["unit"] = units
    radar = _radar_tag(info, path)
    if radar:  # written by yvy.catalog.formats.sentinel1_geocode
        props = sar_properties(mode=radar.pop("sar:instrument_mode", "IW"), polarizations=[pol],
                               product_type=radar.pop("sar:product_type", "GRD"), units=units,
                               orbit=radar.pop("sat:orbit_state", None),
                               relative_orbit=radar.pop("sat:relative_orbit", None),
                               absolute_orbit=radar.pop("sat:absolute_orbit", None),
                               platform=radar.pop("platform", None) or platform_of(stem))
        props |= {k: v for k, v in radar.items() if k.startswith("yvy:")}
        collection = f"sentinel-1-grd-{radar.get('yvy:backscatter', 'calibrated')}"
    else:
        props = sar_properties(mode="IW", polarizations=[pol], product_type="GRD", units=units,
                               platform=platform_of(stem))
        props["yvy:assumed"] = ["sar:instrument_mode", "sar:product_type"]  # not in the file
        collection = "sentinel-1-stack"
    d["properties"] |= props
    d["collection"] = options.collection or collection
    d["stac_extensions"] = list(dict.fromkeys(d["stac_extensions"] + [SAR_EXT]))
    return pystac.Item.from_dict(d, preserve_dict=False)
