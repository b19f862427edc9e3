"""What every radar reader shares: the sar/sat STAC fields, the unit rule, name parsing.

Radar items carry the STAC ``sar`` extension (``sar:instrument_mode``, ``sar:frequency_band``,
``sar:center_frequency``, ``sar:polarizations``, ``sar:product_type``), the ``sat`` extension
(``sat:orbit_state``, ``sat:relative_orbit``, ``sat:absolute_orbit`` when known) and the unit of
their backscatter in ``yvy:units`` and in each band's ``unit`` (raster:bands / bands):

``dB``
    ``10 * log10(power)``.
``linear``
    Backscatter power (intensity), e.g. gamma0 or sigma0 as a ratio.
``amplitude``
    Square root of the power (HyP3 ``A`` products, GRD digital numbers after calibration).
``dn``
    Uncalibrated digital numbers (Sentinel-1 GRD measurement TIFFs); calibrate first.

dB versus linear is never guessed silently. :func:`resolve_units` takes, in order: the unit
the user forced (``--units``), the unit the product declares (metadata, file-name convention),
then the **value-range rule** of :func:`units_from_values` on a small decimated sample of the
pixels; when none decides, it raises a one-line :class:`~yvy.errors.InputError` asking for
``--units db|linear``.

Must not import: click, rich, sqlite3, yvy.storage, yvy.cli.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

from ...errors import InputError

__all__ = [
    "SAR_EXT",
    "UNITS",
    "C_BAND_GHZ",
    "norm_units",
    "resolve_units",
    "units_from_values",
    "sample_values",
    "sar_properties",
    "norm_polarizations",
    "orbit_state",
    "platform_of",
    "RADAR_COLLECTIONS",
    "COLLECTION_UNITS",
    "radar_band",
    "annotate_radar_item",
]

SAR_EXT = "https://stac-extensions.github.io/sar/v1.0.0/schema.json"
UNITS = ("dB", "linear", "amplitude", "dn")
C_BAND_GHZ = 5.405
_POLS = ("VV", "VH", "HH", "HV")
_UNIT_ALIASES = {
    "db": "dB", "decibel": "dB", "decibels": "dB",
    "linear": "linear", "power": "linear", "intensity": "linear", "lin": "linear",
    "amplitude": "amplitude", "amp": "amplitude", "dn": "dn",
}

#: Share of sampled values that must be negative to call a band dB (linear power and
#: amplitude are never negative).
DB_NEGATIVE_SHARE = 0.9
#: Largest 99th percentile of a non-negative sample still read as linear power: land
#: backscatter power rarely exceeds 3 (+4.8 dB) outside point targets, while dB samples
#: of land are mostly negative and fall to the rule above.
LINEAR_P99_MAX = 3.0


def group_by_stem(paths: Iterable[str], stem: re.Pattern) -> dict[str, list[str]]:
    """Paths grouped by the first group of ``stem`` matched on their file name (product readers
    whose files share a product stem: OPERA bursts, HyP3 RTC products)."""
    from collections import defaultdict

    from ..items import basename

    groups: dict[str, list[str]] = defaultdict(list)
    for p in paths:
        m = stem.match(basename(p))
        if m:
            groups[m.group(1)].append(p)
    return dict(sorted(groups.items()))


def norm_units(value: object, subject: object = "units") -> str | None:
    """``dB`` / ``linear`` / ``amplitude`` / ``dn`` from any common spelling; None for None."""
    if value is None or value == "":
        return None
    key = str(value).strip().lower()
    if key not in _UNIT_ALIASES:
        raise InputError(subject, f"unknown backscatter unit {value!r}; use db or linear")
    return _UNIT_ALIASES[key]


def units_from_values(values: np.ndarray) -> str | None:
    """Apply the value-range rule to a sample of backscatter values; None when undecided.

    * at least :data:`DB_NEGATIVE_SHARE` of the finite values are negative -> ``dB``;
    * no value is negative and the 99th percentile is at most :data:`LINEAR_P99_MAX`
      -> ``linear``;
    * otherwise (or fewer than 16 finite values) -> None.
    """
    v = np.asarray(values, dtype="float64").ravel()
    v = v[np.isfinite(v)]
    if v.size < 16:
        return None
    if np.mean(v < 0) >= DB_NEGATIVE_SHARE:
        return "dB"
    if v.min() >= 0 and np.percentile(v, 99) <= LINEAR_P99_MAX:
        return "linear"
    return None


def sample_values(href: str, bands: Iterable[int] | None = None, size: int = 64) -> np.ndarray:
    """A decimated sample (``size`` x ``size`` per band, 16 bands at most) of scaled values.

    Nodata becomes NaN; ``scale`` / ``offset`` of the header are applied.
    """
    from ...io import open_raster

    with open_raster(href) as ds:
        idx = list(bands or range(1, ds.count + 1))
        if len(idx) > 16:
            idx = [idx[int(i)] for i in np.linspace(0, len(idx) - 1, 16)]
        out_shape = (len(idx), min(size, ds.height), min(size, ds.width))
        data = ds.read(idx, out_shape=out_shape, masked=True).astype("float64")
        scales = np.array([ds.scales[i - 1] for i in idx])[:, None, None]
        offsets = np.array([ds.offsets[i - 1] for i in idx])[:, None, None]
    values = data.filled(np.nan) * scales + offsets
    return values[np.abs(values) < 1e30]


def resolve_units(subject: object, *, forced: str | None, declared: str | None,
                  sample=None) -> str:
    """The unit of a radar product: forced, else declared, else the value-range rule.

    ``sample`` is an array, or a callable returning one (called only when needed).
    Raises InputError (one line, naming ``subject``) when nothing decides.
    """
    forced = norm_units(forced)
    if forced:
        return forced
    declared = norm_units(declared, subject)
    if declared:
        return declared
    if sample is not None:
        values = sample() if callable(sample) else sample
        found = units_from_values(values)
        if found:
            return found
        v = np.asarray(values, dtype="float64")
        v = v[np.isfinite(v)]
        rng = f"values {v.min():.3g}..{v.max():.3g}" if v.size else "no valid values"
        raise InputError(
            subject, f"cannot tell dB from linear backscatter ({rng}); give the units (db or linear)"
        )
    raise InputError(subject, "backscatter unit unknown; give the units (db or linear)")


def norm_polarizations(values: Iterable[str], subject: object) -> list[str]:
    """Upper-case polarisations in VV, VH, HH, HV order; InputError for anything else."""
    pols = {str(v).strip().upper() for v in values}
    bad = sorted(p for p in pols if p not in _POLS)
    if bad:
        raise InputError(subject, f"unknown polarisation {bad[0]!r}; expected one of HH, HV, VH, VV")
    if not pols:
        raise InputError(subject, "no polarisation found")
    return [p for p in _POLS if p in pols]


def orbit_state(value: object) -> str | None:
    """``ascending`` / ``descending`` from ``ASCENDING``, ``Ascending``, ``A``, ``D``..."""
    if value is None:
        return None
    s = str(value).strip().lower()
    if s in ("a", "asc", "ascending"):
        return "ascending"
    if s in ("d", "desc", "dsc", "descending"):
        return "descending"
    return None


def sar_properties(*, mode: str, polarizations: list[str], product_type: str, units: str,
                   orbit: str | None = None, relative_orbit: int | None = None,
                   absolute_orbit: int | None = None, platform: str | None = None,
                   frequency_ghz: float = C_BAND_GHZ) -> dict:
    """The sar/sat/yvy properties of one Sentinel-1 product (None values left out)."""
    props = {
        "sar:instrument_mode": mode,
        "sar:frequency_band": "C",
        "sar:center_frequency": frequency_ghz,
        "sar:polarizations": list(polarizations),
        "sar:product_type": product_type,
        "sat:orbit_state": orbit_state(orbit),
        "sat:relative_orbit": relative_orbit,
        "sat:absolute_orbit": absolute_orbit,
        "constellation": "sentinel-1",
        "platform": platform,
        "instruments": ["c-sar"],
        "yvy:units": units,
    }
    return {k: v for k, v in props.items() if v is not None}


_PLATFORM = re.compile(r"(?i)S1([ABCD])")


def platform_of(text: str) -> str | None:
    """``sentinel-1a`` from ``S1A`` / ``s1a`` / ``Sentinel-1A``."""
    m = re.search(r"(?i)sentinel-?1([abcd])", text) or _PLATFORM.search(text)
    return f"sentinel-1{m.group(1).lower()}" if m else None


_SRC = "Sentinel-1 backscatter"
#: Collection templates of the radar readers (title, description, keywords).
RADAR_COLLECTIONS = {
    "sentinel-1-grd": ("Sentinel-1 GRD", "Sentinel-1 Level-1 Ground Range Detected SAFE products "
                       "(digital numbers in radar geometry; calibration vectors included).",
                       ["sentinel", "copernicus", "esa", "sar", "grd"]),
    "opera-rtc-s1": ("OPERA RTC-S1", "OPERA L2 radiometric terrain corrected Sentinel-1 bursts "
                     "(linear gamma0, layover/shadow mask).", ["opera", "rtc", "sar", "sentinel"]),
    "hyp3-rtc": ("ASF HyP3 RTC", "ASF HyP3 radiometric terrain corrected Sentinel-1 products.",
                 ["hyp3", "asf", "rtc", "sar", "sentinel"]),
    "sentinel-1-equi7": ("Sentinel-1 sigma0 (Equi7)", f"{_SRC} tiles on the Equi7 grid "
                         "(TU Wien processing, int16 dB).", ["sar", "sentinel", "equi7"]),
    "sentinel-1-stack": ("Sentinel-1 time stacks", f"{_SRC} time stacks (one band per date).",
                         ["sar", "sentinel", "time stack"]),
}


#: Backscatter unit of the public STAC API collections whose items do not state it.
#: Planetary Computer ``sentinel-1-rtc``: terrain-corrected gamma0, linear power (float32);
#: ``sentinel-1-grd`` (Planetary Computer, Earth Search): uncalibrated digital numbers;
#: OPERA RTC-S1 (ASF / CMR STAC): linear gamma0.
COLLECTION_UNITS = {
    "sentinel-1-rtc": "linear",
    "sentinel-1-grd": "dn",
    "opera-rtc-s1": "linear",
    "OPERA_L2_RTC-S1_V1": "linear",
    "hyp3-rtc": None,
    "sentinel-1-equi7": "dB",
}


def radar_band(item: dict, pol: str, forced_units: str | None = None) -> tuple[str, str]:
    """(asset key, unit) of polarisation ``pol`` in a radar item from any reader or STAC API.

    Asset keys tried: ``vv``, ``VV``, ``gamma0_vv``, ``sigma0_vv``, ``Gamma0_VV``, ``data``
    (single-polarisation stacks). Unit: ``forced_units``, else ``yvy:units``, else the asset's
    band ``unit``, else :data:`COLLECTION_UNITS`; InputError (one line naming the item) for a
    missing polarisation or an unknown unit.
    """
    item_id = item.get("id", "item")
    props = item.get("properties", {})
    assets = item.get("assets", {})
    pol = pol.upper()
    pols = [str(p).upper() for p in props.get("sar:polarizations", [])]
    key = next((k for k in (pol.lower(), pol, f"gamma0_{pol.lower()}", f"sigma0_{pol.lower()}",
                            f"Gamma0_{pol}") if k in assets), None)
    if key is None and pols == [pol] and "data" in assets:
        key = "data"
    if key is None:
        have = ", ".join(pols) or "none"
        raise InputError(item_id, f"no {pol} polarisation (the product has {have})")
    band = (assets[key].get("raster:bands") or assets[key].get("bands") or [{}])[0]
    declared = (_known_unit(props.get("yvy:units")) or _known_unit(band.get("unit"))
                or COLLECTION_UNITS.get(item.get("collection")))
    return key, resolve_units(item_id, forced=forced_units, declared=declared)


def _known_unit(value: object) -> str | None:
    try:
        return norm_units(value)
    except InputError:
        return None


def annotate_radar_item(item: dict) -> dict:
    """Add ``yvy:units`` to a radar item (one with ``sar:polarizations``) from a STAC API when
    its collection's unit is known (:data:`COLLECTION_UNITS`); other items are returned as
    they are."""
    props = item.get("properties", {})
    if not props.get("sar:polarizations") or props.get("yvy:units"):
        return item
    units = COLLECTION_UNITS.get(item.get("collection"))
    if units:
        item = dict(item)
        item["properties"] = dict(props) | {"yvy:units": units}
    return item
