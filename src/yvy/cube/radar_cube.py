"""Radar catalog items -> one polarisation in dB on one grid, read chunk by chunk.

:class:`RadarCube` implements the :class:`yvy.cube.build.TimeCube` reading interface
(``geobox``, ``times``, ``variable``, ``aoi``, ``read(rows, cols)``, ``describe()``) over
terrain-corrected radar items (OPERA RTC-S1, HyP3 RTC, ``sentinel-1-rtc`` items of a STAC API,
Equi7 tiles): each item's polarisation asset is found with
:func:`yvy.catalog.formats.radar.radar_band`, loaded with odc-stac onto the grid, scaled
(``raster:scale``, e.g. Equi7 dB x 100), converted from the item's unit to dB (or linear), and
masked where the product's layover/shadow layer says so (OPERA's ``mask``, HyP3's
``ls_map``). Onto a grid as fine as the items' or coarser
than theirs by less than 1 %, each pixel takes the nearest item pixel; onto a coarser grid (say
Landsat's 30 m for 10 m RTC), the items are loaded by nearest neighbour onto a grid ``k`` times finer
(``k = ceil(grid / item resolution)``: exactly the item pixels when the ratio is a whole number and
the grids align) and their **linear power** is averaged over each output pixel (valid values only;
layover/shadow excluded), then converted to the output unit. Items of the same day **and** the same orbit
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
from ..kernels.radar import block_mean
from .build import _item_crs, band_scaling
from .radar import layover_or_shadow, require_single_orbit, to_db, to_linear

__all__ = ["RadarCube", "footprint_factor"]

_MASKS = {"mask": "opera", "ls_map": "hyp3"}
"""Layover/shadow asset key -> how :func:`yvy.cube.radar.layover_or_shadow` reads it."""


def _when(item: Mapping) -> datetime:
    props = item["properties"]
    return parse_instant(props.get("datetime") or props.get("start_datetime"))


def footprint_factor(items: Sequence[Mapping], key: str, geobox) -> int:
    """Finer pixels per output pixel side over which :class:`RadarCube` averages power: 1 (nearest
    neighbour) unless every item states its pixel size (``proj:transform``) in a CRS of the grid's
    units and the coarsest is finer than the grid by more than 1 %; then ``ceil(grid / item)``."""
    import math

    from odc.geo.crs import CRS

    grid = max(abs(geobox.resolution.x), abs(geobox.resolution.y))
    sizes = []
    for it in items:
        asset = it.get("assets", {}).get(key, {})
        tr = asset.get("proj:transform") or it.get("properties", {}).get("proj:transform")
        code = _item_crs(it)
        if not tr or not code:
            return 1
        crs = CRS(code)
        if crs != geobox.crs and (crs.geographic or geobox.crs.geographic or crs.units != geobox.crs.units):
            return 1
        sizes.append(max(abs(tr[0]), abs(tr[4])))
    coarsest = max(sizes, default=grid)
    return 1 if coarsest >= 0.99 * grid else math.ceil(grid / coarsest - 1e-6)


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
    factor: int | None = None
    """Item pixels averaged per output pixel side (1: nearest neighbour); None: from the items
    (:func:`footprint_factor`). An incremental update passes the first run's."""
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
        if self.factor is None:
            self.factor = footprint_factor(ordered, self._key, self.geobox)
        self.dataset = self._load(ordered, groups)
        self.times = [_when(it) for it, _ in self._firsts]
        self.orbits = [k[1:] for k in groups]
        if self.single_orbit:
            require_single_orbit(self.orbits, f"{self.pol.upper()} scenes")
        self.variable = f"{self.pol.lower()}_{'db' if self.units == 'dB' else 'linear'}"

    def _load(self, ordered, groups):
        import odc.stac
        import pystac
        from affine import Affine
        from odc.geo.geobox import GeoBox

        index = {it["id"]: i for i, g in enumerate(groups.values()) for it, _ in g}

        def by_pass(item, _parsed, _idx):
            return f"{index[item.id]:06d}"

        bands = [self._key] + ([self._mask] if self._mask else [])
        k = self.factor
        geobox = self.geobox if k == 1 else GeoBox((self.geobox.shape[0] * k, self.geobox.shape[1] * k),
                                                   self.geobox.affine * Affine.scale(1 / k), self.geobox.crs)
        ds = odc.stac.load([pystac.Item.from_dict(dict(it)) for it in ordered], bands=bands,
                           groupby=by_pass, geobox=geobox, resampling="nearest",
                           chunks={"time": -1 if k == 1 else 1, "y": self.chunk * k, "x": self.chunk * k})
        if ds.sizes["time"] != len(groups):  # pragma: no cover - odc-stac grouping changed
            raise InputError("items", "could not group radar scenes by pass")
        return ds

    def _values(self, t: int, raw: np.ndarray) -> np.ndarray:
        """Raw values of pass ``t`` scaled into the item's unit, NaN = no data."""
        item, _ = self._firsts[t]
        scale, offset, nodata = band_scaling(item, self._key, None)
        bad = ~np.isfinite(raw) if nodata is None or np.isnan(nodata) else (raw == nodata)
        return np.where(bad, np.nan, raw * scale + offset)

    def read(self, rows: slice, cols: slice, times: np.ndarray | None = None) -> np.ndarray:
        """(time, rows, cols) float32 backscatter in :attr:`units`, NaN = no data or masked."""
        sel = np.arange(len(self.times)) if times is None else np.arange(len(self.times))[times]
        if self.factor > 1:
            return self._read_mean(rows, cols, sel)
        raw = np.asarray(self.dataset[self._key][sel, rows, cols].data.compute(), "float64")
        out = np.empty(raw.shape)
        for j, t in enumerate(sel):
            v, unit = self._values(t, raw[j]), self._firsts[t][1]
            out[j] = to_db(v, unit) if self.units == "dB" else to_linear(v, unit)
        if self._mask:
            mask = np.asarray(self.dataset[self._mask][sel, rows, cols].data.compute())
            out[layover_or_shadow(mask, _MASKS[self._mask])] = np.nan
        return out.astype(np.float32)

    def _read_mean(self, rows: slice, cols: slice, sel: np.ndarray) -> np.ndarray:
        """:meth:`read` onto a grid coarser than the items: linear power averaged over each pixel,
        one date at a time (the finer grid holds ``factor``² as many values)."""
        k = self.factor
        fine = (slice(rows.start * k, rows.stop * k), slice(cols.start * k, cols.stop * k))
        out = np.empty((sel.size, rows.stop - rows.start, cols.stop - cols.start))
        for j, t in enumerate(sel):
            raw = np.asarray(self.dataset[self._key][t, fine[0], fine[1]].data.compute(), "float64")
            power = to_linear(self._values(t, raw), self._firsts[t][1])
            if self._mask:
                mask = np.asarray(self.dataset[self._mask][t, fine[0], fine[1]].data.compute())
                power[layover_or_shadow(mask, _MASKS[self._mask])] = np.nan
            out[j] = block_mean(power[None], k)[0]
        return (to_db(out, "linear") if self.units == "dB" else out).astype(np.float32)

    def describe(self) -> dict:
        """Input item ids, collections, polarisation, orbits (and ``footprint_factor`` when over 1)."""
        return {"items": [it["id"] for it in self.items], "polarization": self.pol.upper(),
                "collections": sorted({str(it.get("collection")) for it in self.items}),
                "orbits": sorted({"/".join(str(x) for x in o) for o in self.orbits}),
                **({"footprint_factor": self.factor} if self.factor > 1 else {})}
