"""Radar catalog items -> one polarisation in dB on one grid, read chunk by chunk.

:class:`RadarCube` implements the :class:`yvy.cube.build.TimeCube` reading interface
(``geobox``, ``times``, ``variable``, ``aoi``, ``read(rows, cols)``, ``describe()``) over
terrain-corrected radar items (OPERA RTC-S1, HyP3 RTC, ``sentinel-1-rtc`` items of a STAC API,
Equi7 tiles): each item's polarisation asset is found with
:func:`yvy.catalog.formats.radar.radar_band`, loaded with odc-stac onto the grid, scaled
(``raster:scale``, e.g. Equi7 dB x 100), converted from the item's unit to dB (or linear), and
masked where the product's layover/shadow layer says so (OPERA's ``mask``, HyP3's ``ls_map``).
Items of the same day **and** the same orbit
are mosaicked (bursts of one pass); passes of different orbits stay separate time steps, and
``orbits`` gives each step's ``(orbit_state, relative_orbit)`` for
:func:`yvy.cube.radar.normalise_orbits`.

GRD items (digital numbers in radar geometry) are refused: calibrate and terrain-correct
them first, or use RTC products.

Must not import: click, rich, sqlite3, yvy.storage, yvy.cli.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from ..catalog.formats.radar import radar_band
from ..dates import parse_instant
from ..errors import EmptyAOIError, InputError
from .build import band_scaling
from .radar import layover_or_shadow, require_single_orbit, to_db, to_linear

__all__ = ["RadarCube"]

_MASKS = {"mask": "opera", "ls_map": "hyp3"}
"""Layover/shadow asset key -> how :func:`yvy.cube.radar.layover_or_shadow` reads it."""


def _when(item: Mapping) -> datetime:
    props = item["properties"]
    return parse_instant(props.get("datetime") or props.get("start_datetime"))


def _pass_key(item: Mapping) -> tuple:
    props = item.get("properties", {})
    return (_when(item).date().isoformat(), props.get("sat:orbit_state"),
            props.get("sat:relative_orbit"))


@dataclass
class RadarCube:
    """:class:`~yvy.cube.build.TimeCube` of one polarisation of radar items (see module)."""

    items: Sequence[Mapping]
    pol: str
    geobox: object
    aoi: object | None = None
    chunk: int = 512
    units: str = "dB"
    """Output unit: ``dB`` or ``linear``."""
    forced_units: str | None = None
    """Input unit for items that do not state one (``--units``)."""
    single_orbit: bool = False
    """Refuse items of more than one orbit (for methods that do not normalise per orbit)."""
    dataset: object = field(init=False, repr=False)
    times: list[datetime] = field(init=False)
    orbits: list[tuple] = field(init=False)
    variable: str = field(init=False)

    def __post_init__(self):
        if not self.items:
            raise EmptyAOIError("AOI", "no radar scenes to build a cube from")
        ordered = sorted(self.items, key=lambda it: (_when(it), it["id"]))
        bands = [radar_band(it, self.pol, self.forced_units) for it in ordered]
        keys = {k for k, _ in bands}
        if len(keys) > 1:
            raise InputError("items", f"{self.pol} is stored under different asset keys "
                             f"({', '.join(sorted(keys))}); ingest the scenes with one reader")
        if any(u == "dn" for _, u in bands):
            bad = next(it["id"] for it, (_, u) in zip(ordered, bands, strict=True) if u == "dn")
            raise InputError(bad, "uncalibrated GRD in radar geometry; calibrate and "
                             "terrain-correct it first, or use RTC products")
        self._key = keys.pop()
        groups: dict[tuple, list] = {}
        for it, (_, u) in zip(ordered, bands, strict=True):
            groups.setdefault(_pass_key(it), []).append((it, u))
        self._firsts = [g[0] for g in groups.values()]
        # the layover/shadow layer, when every item has one of the same provider (OPERA `mask`,
        # HyP3 `ls_map`); items without one are not masked
        self._mask = next((key for key in _MASKS if all(key in it.get("assets", {}) for it in ordered)), None)
        self.dataset = self._load(ordered, groups)
        self.times = [_when(it) for it, _ in self._firsts]
        self.orbits = [k[1:] for k in groups]
        if self.single_orbit:
            require_single_orbit(self.orbits, f"{self.pol.upper()} scenes")
        self.variable = f"{self.pol.lower()}_{'db' if self.units == 'dB' else 'linear'}"

    def _load(self, ordered, groups):
        import odc.stac
        import pystac

        index = {it["id"]: i for i, g in enumerate(groups.values()) for it, _ in g}

        def by_pass(item, _parsed, _idx):
            return f"{index[item.id]:06d}"

        bands = [self._key] + ([self._mask] if self._mask else [])
        ds = odc.stac.load([pystac.Item.from_dict(dict(it)) for it in ordered], bands=bands,
                           groupby=by_pass, geobox=self.geobox, resampling="nearest",
                           chunks={"time": -1, "y": self.chunk, "x": self.chunk})
        if ds.sizes["time"] != len(groups):  # pragma: no cover - odc-stac grouping changed
            raise InputError("items", "could not group radar scenes by pass")
        return ds

    def read(self, rows: slice, cols: slice, times: np.ndarray | None = None) -> np.ndarray:
        """(time, rows, cols) float32 backscatter in :attr:`units`, NaN = no data or masked."""
        sel = np.arange(len(self.times)) if times is None else np.arange(len(self.times))[times]
        raw = np.asarray(self.dataset[self._key][sel, rows, cols].data.compute(), "float64")
        out = np.empty(raw.shape)
        for j, t in enumerate(sel):
            item, unit = self._firsts[t]
            scale, offset, nodata = band_scaling(item, self._key, None)
            v = raw[j]
            bad = ~np.isfinite(v) if nodata is None or np.isnan(nodata) else (v == nodata)
            v = np.where(bad, np.nan, v * scale + offset)
            out[j] = to_db(v, unit) if self.units == "dB" else to_linear(v, unit)
        if self._mask:
            mask = np.asarray(self.dataset[self._mask][sel, rows, cols].data.compute())
            out[layover_or_shadow(mask, _MASKS[self._mask])] = np.nan
        return out.astype(np.float32)

    def describe(self) -> dict:
        """Input item ids, collections, polarisation and orbits."""
        return {"items": [it["id"] for it in self.items], "polarization": self.pol.upper(),
                "collections": sorted({str(it.get("collection")) for it in self.items}),
                "orbits": sorted({"/".join(str(x) for x in o) for o in self.orbits})}
