"""ASF HyP3 RTC products (GAMMA or ISCE3 RTC of Sentinel-1, usually delivered as a ``.zip``).

A product is the files sharing one name stem
``S1x_yy_YYYYMMDDTHHMMSS_ppo_RTCzz_u_defklm_ssss`` (HyP3 product guide): ``pp`` polarisation
type (``DV`` VV+VH, ``DH`` HH+HV, ``SV`` VV, ``SH`` HH), ``o`` orbit (precise, restituted,
original), ``zz`` pixel spacing, ``u`` software (G GAMMA, I ISCE3), then ``d`` gamma0 / sigma0
(``g`` / ``s``), ``e`` **power / amplitude / dB (``p`` / ``a`` / ``d``)**, ``f`` water mask,
``k`` speckle filter, ``l`` clipped, ``m`` DEM matching. Files: ``<stem>_VV.tif`` ... (one per
polarisation), ``_ls_map.tif`` (layover/shadow), ``_area.tif``, ``_inc_map.tif``, ``_dem.tif``,
``_rgb.tif``, ``.README.md.txt``, ``.log``.

The unit comes from the name (``e``), which HyP3 always writes; ``--units`` overrides it. The
polarisation type says which COGs must be there: a ``DV`` product without ``_VH.tif`` is
refused. The README names the source granule; its absolute orbit gives the relative orbit
(``(abs - 73) % 175 + 1`` for S1A, ``(abs - 27) % 175 + 1`` for S1B) and the README's
"ascending"/"descending" the orbit state.

Must not import: click, rich, sqlite3, yvy.storage, yvy.cli.
"""

from __future__ import annotations

import re

import pystac

from ...dates import find_datetime
from ...errors import InputError
from ..items import SAT_EXT, AssetSpec, BandInfo, basename, build_item, read_bytes, read_raster
from . import IngestOptions, SceneGroup
from .radar import SAR_EXT, group_by_stem, norm_units, platform_of, sar_properties

__all__ = ["Hyp3RtcFormat", "FORMAT", "relative_orbit"]

NAME = "hyp3"
COLLECTION = "hyp3-rtc"
_STEM = re.compile(
    r"^(S1([ABCD])_(IW|EW|S[1-6])_(\d{8}T\d{6})_([DS][VH])([PRO])_RTC(\d+)_([GI])_"
    r"([gs])([pad])([uw])([nf])([ec])([dm])_([0-9A-F]{4}))"
    r"(?:_(VV|VH|HH|HV|ls_map|area|inc_map|dem|rgb)\.tif|\.README\.md\.txt|\.log)$",
    re.I,
)
_UNITS = {"p": "linear", "a": "amplitude", "d": "dB"}
_POLS = {"DV": ["VV", "VH"], "DH": ["HH", "HV"], "SV": ["VV"], "SH": ["HH"]}
_LS_MAP = "layover/shadow map (GAMMA codes; see the product README)"
_GRANULE = re.compile(r"S1[ABCD]_\w\w_(?:SLC_|GRD[HM])_\w{4}_\d{8}T\d{6}_\d{8}T\d{6}_(\d{6})_")


class Hyp3RtcFormat:
    """ASF HyP3 RTC product folders and zips."""

    name = NAME

    def claim(self, paths: list[str]) -> list[SceneGroup]:
        """Group files by HyP3 RTC product stem (one group per stem with a polarisation COG)."""
        return [SceneGroup(NAME, _key(files), tuple(sorted(files)), {"stem": stem})
                for stem, files in group_by_stem(paths, _STEM).items()]

    def to_items(self, group: SceneGroup, options: IngestOptions) -> list[pystac.Item]:
        """Describe one RTC product."""
        return [_item(group, options)]


FORMAT = Hyp3RtcFormat()


def relative_orbit(platform: str, absolute: int) -> int | None:
    """Sentinel-1 relative orbit (track) from the absolute orbit number (S1A, S1B)."""
    offset = {"sentinel-1a": 73, "sentinel-1b": 27}.get(platform)
    return None if offset is None else (absolute - offset) % 175 + 1


def _key(files: list[str]) -> str:
    first = sorted(files)[0]
    if first.startswith("/vsizip/"):
        return first.split(".zip/", 1)[0].removeprefix("/vsizip/") + ".zip"
    return first.rsplit("/", 1)[0]


def _parts(group: SceneGroup) -> tuple[re.Match, dict[str, str]]:
    out = {}
    m = None
    for f in group.files:
        m = _STEM.match(basename(f))
        name = basename(f)
        kind = m.group(16) or ("README" if name.endswith(".README.md.txt") else "LOG")
        out[kind.upper()] = f
    return m, out


def _item(group: SceneGroup, options: IngestOptions) -> pystac.Item:
    m, files = _parts(group)
    expected = _POLS[m.group(5).upper()]
    lacking = [p for p in expected if p not in files]
    if lacking:
        raise InputError(group.key, f"polarisation type {m.group(5).upper()} needs "
                         f"{m.group(1)}_{lacking[0]}.tif, which is missing")
    units = norm_units(getattr(options, "units", None)) or _UNITS[m.group(10).lower()]
    quantity = "gamma0" if m.group(9).lower() == "g" else "sigma0"
    assets = {
        p.lower(): AssetSpec(read_raster(files[p]), [BandInfo(
            name=p.lower(), unit=units, description=f"{quantity} {p} ({units})")],
            title=f"{quantity} {p}")
        for p in expected
    }
    if "LS_MAP" in files:
        assets["ls_map"] = AssetSpec(read_raster(files["LS_MAP"]), [BandInfo(
            name="ls_map", description=_LS_MAP)], title="layover/shadow map",
            roles=("data", "mask"))
    for aux in ("AREA", "INC_MAP", "DEM"):
        if aux in files:
            assets[aux.lower()] = AssetSpec(read_raster(files[aux]), roles=("metadata",))
    platform = platform_of(m.group(2) and f"S1{m.group(2)}")
    readme = _readme(files.get("README"))
    absolute = readme.get("absolute_orbit")
    props = sar_properties(
        mode=m.group(3).upper(), polarizations=expected, product_type="RTC", units=units,
        orbit=readme.get("orbit"), absolute_orbit=absolute, platform=platform,
        relative_orbit=relative_orbit(platform, absolute) if absolute else None,
    )
    props |= {"yvy:terrain_correction": f"radiometric (HyP3 RTC, {quantity})",
              "yvy:backscatter": quantity, "hyp3:pixel_spacing": int(m.group(7))}
    extra = {}
    if "README" in files:
        extra["readme"] = pystac.Asset(files["README"], media_type="text/plain",
                                       roles=["metadata"])
    when = find_datetime(m.group(4))
    return build_item(m.group(1), assets, fmt=NAME, datetime=when, properties=props,
                      collection=COLLECTION, checksum=options.checksum, extra_assets=extra,
                      extensions=[SAR_EXT, SAT_EXT])


def _readme(path: str | None) -> dict:
    if path is None:
        return {}
    text = read_bytes(path, limit=4 << 20).decode("utf-8", "replace")
    out: dict = {}
    g = _GRANULE.search(text)
    if g:
        out["absolute_orbit"] = int(g.group(1))
    d = re.search(r"\b(ascending|descending)\b", text, re.I)
    if d:
        out["orbit"] = d.group(1)
    return out
