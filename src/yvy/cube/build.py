"""Catalog items -> a lazy, chunked index cube on one grid (odc-stac + odc-geo).

The cube is an ``xarray.Dataset`` with the raw bands, an ``invalid`` mask (sensor quality band:
S2 SCL or Landsat QA_PIXEL, see :mod:`yvy.cube.mask`) and the index variable (float32, NaN where
masked, nodata or outside the AOI). Every variable is a Dask array chunked in space with the
whole time axis in one chunk, so a spatial chunk is the unit of work and the full stack never
has to fit in memory.

:class:`ItemCube` wraps that Dataset behind the small reading interface the change pipeline
uses (``geobox``, ``times``, ``read(rows, cols)``); :class:`yvy.cube.stack.StackCube` offers the
same interface over a ready-made time-stack GeoTIFF.

Must not import: click, rich, sqlite3, yvy.storage, yvy.cli.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

import numpy as np

from ..bbox import parse_bbox
from ..dates import parse_instant
from ..errors import EmptyAOIError, InputError, ProjectionError
from ..kernels.indices import INDICES, compute_index, index_names
from .mask import SENSORS, SensorSpec, sensor_of

__all__ = [
    "ItemCube",
    "TimeCube",
    "aoi_mask",
    "band_scaling",
    "bbox_geometry",
    "build_cube",
    "check_index",
    "chunk_windows",
    "footprint_wgs84",
    "item_geometry",
    "plan_geobox",
    "read_aoi",
    "resolve_bands",
]


class TimeCube(Protocol):
    """What the change pipeline reads: one variable on one grid, chunk by chunk."""

    geobox: object
    """``odc.geo.geobox.GeoBox`` of the cube."""
    times: list[datetime]
    """UTC acquisition time of each time step, ascending."""
    variable: str
    """Name of the variable (the index, or the stack's name)."""
    aoi: object | None
    """``odc.geo.geom.Geometry`` outside which pixels are NaN, or None."""

    def read(self, rows: slice, cols: slice, times: np.ndarray | None = None) -> np.ndarray:
        """Values of a window, (time, rows, cols) float32, NaN = missing; only the time steps
        ``times`` (ascending indices into :attr:`times`) when given."""
        ...

    def describe(self) -> dict:
        """JSON-able description of the inputs (item ids or stack path)."""
        ...


# -- AOI ----------------------------------------------------------------------------------------
def read_aoi(path: str | Path):
    """Read an area of interest (GeoJSON or any vector file) as one WGS84 ``Geometry``.

    Raises :class:`~yvy.errors.InputError` for an unreadable file and
    :class:`~yvy.errors.EmptyAOIError` for an empty geometry.
    """
    from odc.geo.geom import Geometry
    from shapely.geometry import shape
    from shapely.ops import unary_union

    path = Path(path)
    if not path.exists():
        raise InputError(path, "AOI file not found")
    crs = "EPSG:4326"
    if path.suffix.lower() in (".json", ".geojson"):
        try:
            doc = json.loads(path.read_text())
        except (ValueError, UnicodeDecodeError) as exc:
            raise InputError(path, f"not a GeoJSON file ({exc})") from None
        kind = doc.get("type") if isinstance(doc, dict) else None
        if kind == "FeatureCollection":
            geoms = [f.get("geometry") for f in doc.get("features", [])]
        elif kind == "Feature":
            geoms = [doc.get("geometry")]
        elif kind in ("Polygon", "MultiPolygon", "GeometryCollection"):
            geoms = [doc]
        else:
            raise InputError(path, "not a GeoJSON Polygon, Feature or FeatureCollection")
        legacy = (doc.get("crs") or {}).get("properties", {}).get("name")
        if legacy:
            crs = legacy
        try:
            geom = unary_union([shape(g) for g in geoms if g])
        except (ValueError, TypeError, AttributeError) as exc:
            raise InputError(path, f"invalid GeoJSON geometry ({exc})") from None
    else:
        try:
            import geopandas as gpd

            df = gpd.read_file(path)
        except Exception as exc:  # noqa: BLE001 - any reader failure is a bad input file
            raise InputError(path, f"not a readable vector file ({str(exc).splitlines()[0][:120]})") from None
        if df.crs is not None:
            df = df.to_crs("EPSG:4326")
        geom = df.geometry.union_all() if len(df) else None
    if geom is None or geom.is_empty or geom.area == 0:
        raise EmptyAOIError(path, "the area of interest is empty (no polygon with an area)")
    g = Geometry(geom, crs)
    return g.to_crs("EPSG:4326") if crs != "EPSG:4326" else g


def bbox_geometry(bbox: Sequence[float]):
    """WGS84 ``Geometry`` of a (minx, miny, maxx, maxy) lon/lat box (validated by
    :func:`yvy.bbox.parse_bbox`; a box without area is an EmptyAOIError)."""
    from odc.geo.geom import box

    minx, miny, maxx, maxy = parse_bbox(bbox)
    if not (minx < maxx and miny < maxy):
        raise EmptyAOIError("bbox", f"{list(bbox)} has no area; use minx,miny,maxx,maxy")
    return box(minx, miny, maxx, maxy, "EPSG:4326")


def item_geometry(item: Mapping):
    """WGS84 footprint ``Geometry`` of a STAC item dict (for ``--scene``)."""
    from odc.geo.geom import Geometry

    if not item.get("geometry"):
        raise EmptyAOIError(item.get("id"), "the scene has no footprint geometry")
    return Geometry(item["geometry"], "EPSG:4326")


# -- items --------------------------------------------------------------------------------------
def check_index(name: str) -> str:
    """The normalised index name, or InputError listing the known ones."""
    key = str(name).lower()
    if key not in INDICES:
        raise InputError("index", f"unknown index {name!r}; choose one of {', '.join(index_names())}")
    return key


def _band_keys(item: Mapping) -> dict[str, str]:
    """``eo:common_name`` -> asset key for the item's assets (plus the keys themselves)."""
    out: dict[str, str] = {}
    for key, asset in item.get("assets", {}).items():
        out.setdefault(key, key)
        bands = asset.get("eo:bands") or asset.get("bands") or []
        if len(bands) == 1:
            common = bands[0].get("common_name") or bands[0].get("eo:common_name")
            if common:
                out.setdefault(common, key)
    return out


def resolve_bands(items: Sequence[Mapping], index: str, sensor: SensorSpec | None) -> dict[str, str]:
    """Role -> asset key for the bands ``index`` needs, the same in every item.

    Raises InputError naming the missing bands and what the items have.
    """
    spec = INDICES[check_index(index)]
    out: dict[str, str] = {}
    missing = []
    for role in spec.bands:
        candidates = sensor.roles.get(role, (role,)) if sensor else (role,)
        found = None
        for cand in candidates:
            if all(cand in _band_keys(it) for it in items):
                found = _band_keys(items[0])[cand]
                break
        if found is None:
            missing.append(role)
        else:
            out[role] = found
    if missing:
        have = sorted(set.intersection(*(set(it.get("assets", {})) for it in items)))
        raise InputError(
            "index", f"{index} needs bands {', '.join(spec.bands)}; the scenes lack {', '.join(missing)} "
                       f"(they have {', '.join(have) or 'none'})")
    return out


def band_scaling(item: Mapping, key: str, sensor: SensorSpec | None) -> tuple[float, float, float | None]:
    """(scale, offset, nodata) of asset ``key``: ``raster:bands`` first, then sensor defaults.

    Sentinel-2 without raster metadata gets offset -0.1 from processing baseline 04.00 on
    (and for scenes after 2022-01-25 when the baseline is unknown).
    """
    asset = item.get("assets", {}).get(key, {})
    rb = (asset.get("raster:bands") or [{}])[0]
    common = (asset.get("bands") or [{}])[0]
    scale = rb.get("scale", common.get("raster:scale"))
    offset = rb.get("offset", common.get("raster:offset"))
    nodata = rb.get("nodata", common.get("nodata"))
    if sensor is not None:
        if scale is None and offset is None:
            scale, offset = sensor.default_scale, sensor.default_offset
            if sensor.name == "sentinel-2":
                offset = _s2_offset(item)
        if nodata is None:
            nodata = sensor.nodata
    if isinstance(nodata, str):
        nodata = float(nodata)
    return (1.0 if scale is None else float(scale), 0.0 if offset is None else float(offset),
            None if nodata is None else float(nodata))


def _s2_offset(item: Mapping) -> float:
    props = item.get("properties", {})
    baseline = props.get("s2:processing_baseline") or props.get("processing:version")
    if baseline:
        try:
            return -0.1 if float(baseline) >= 4.0 else 0.0
        except ValueError:
            pass
    when = parse_instant(props.get("datetime") or props.get("start_datetime"))
    return -0.1 if when >= datetime(2022, 1, 25, tzinfo=UTC) else 0.0


def _item_crs(item: Mapping) -> str | None:
    props = item.get("properties", {})
    if props.get("proj:code"):
        return str(props["proj:code"])
    if props.get("proj:epsg"):
        return f"EPSG:{int(props['proj:epsg'])}"
    for asset in item.get("assets", {}).values():
        if asset.get("proj:code"):
            return str(asset["proj:code"])
        if asset.get("proj:epsg"):
            return f"EPSG:{int(asset['proj:epsg'])}"
    return None


MAX_GRID_PIXELS = 1e10
"""Largest output grid of one run (Paraguay at 10 m is about 4e9 pixels)."""


def plan_geobox(aoi, items: Sequence[Mapping] = (), *, crs: str | None = None,
                resolution: float | None = None, sensor: SensorSpec | None = None):
    """The output grid: the AOI in ``crs`` (default: the items' most common CRS, else UTM) at
    ``resolution`` (default: the sensor's native resolution), pixel edges on multiples of it."""
    from odc.geo.geobox import GeoBox

    if crs is None:
        codes = Counter(c for c in (_item_crs(it) for it in items) if c)
        crs = codes.most_common(1)[0][0] if codes else "utm"
    if crs == "utm":
        from odc.geo.crs import CRS

        crs = str(CRS.utm(aoi.centroid))
    if resolution is None:
        resolution = sensor.resolution if sensor else None
        if resolution is None:
            raise InputError("resolution", "cannot guess the resolution of these scenes; give one")
    if not resolution > 0:
        raise InputError("resolution", f"{resolution} must be positive")
    try:
        minx, miny, maxx, maxy = aoi.to_crs(crs).boundingbox
    except Exception as exc:  # noqa: BLE001 - pyproj/odc raise several types for a bad CRS
        raise ProjectionError("crs", f"cannot build a grid in {crs} ({str(exc).splitlines()[0][:120]})") from None
    pixels = ((maxx - minx) / resolution + 1) * ((maxy - miny) / resolution + 1)
    if not pixels <= MAX_GRID_PIXELS:
        raise InputError("resolution", f"{resolution:g} gives {pixels:.3g} pixels over this area; at most "
                         f"{MAX_GRID_PIXELS:.0e} per run (a coarser resolution or a smaller area)")
    try:
        return GeoBox.from_geopolygon(aoi.to_crs(crs), resolution=resolution, crs=crs)
    except Exception as exc:  # noqa: BLE001 - pyproj/odc raise several types for a bad CRS
        raise ProjectionError("crs", f"cannot build a grid in {crs} ({str(exc).splitlines()[0][:120]})") from None


# -- cube ---------------------------------------------------------------------------------------
def _solar_day(item: Mapping) -> str:
    props = item["properties"]
    when = parse_instant(props.get("datetime") or props.get("start_datetime"))
    bbox = item.get("bbox") or [0, 0, 0, 0]
    lon = (bbox[0] + bbox[2]) / 2
    return (when + timedelta(seconds=lon * 240)).date().isoformat()


@dataclass
class _BandPlan:
    """What a cube of ``items`` reads and how it turns raw bands into the index (both readers)."""

    index: str
    sensor_name: str | None
    spec: SensorSpec | None
    roles: dict[str, str]
    """Index band role -> asset key."""
    mask_key: str | None
    ordered: list[Mapping]
    groups: dict[str, list[Mapping]]
    """Solar day -> its items (time order); one time step each."""
    firsts: list[Mapping]
    scale: dict[str, np.ndarray]
    offset: dict[str, np.ndarray]
    nodata: dict[str, float | None]

    def index_values(self, bands: Sequence[np.ndarray], quality: np.ndarray | None,
                     times: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Index (float32, NaN = missing) from raw ``bands`` (in role order) and the quality band,
        for the time steps ``times`` (the scale and offset are per time step)."""
        out = compute_index(self.index, dict(zip(self.roles, bands, strict=True)),
                            scale={r: v[times] for r, v in self.scale.items()},
                            offset={r: v[times] for r, v in self.offset.items()}, nodata=self.nodata)
        if quality is not None:
            out[self.spec.invalid_mask(quality)] = np.nan
        return out


def _plan_bands(items: Sequence[Mapping], index: str, sensor: str | None = None) -> _BandPlan:
    index = check_index(index)
    if not items:
        raise EmptyAOIError("AOI", "no scenes to build a cube from")
    sensor_name = sensor or sensor_of(items[0])
    spec = SENSORS.get(sensor_name) if sensor_name else None
    roles = resolve_bands(items, index, spec)
    mask_key = spec.mask_band if spec and all(spec.mask_band in it.get("assets", {}) for it in items) else None
    ordered = sorted(items, key=lambda it: (parse_instant(it["properties"].get("datetime")
                                                       or it["properties"]["start_datetime"]), it["id"]))
    days = [_solar_day(it) for it in ordered]
    groups: dict[str, list[Mapping]] = {}
    for day, it in zip(days, ordered, strict=True):
        groups.setdefault(day, []).append(it)
    firsts = [same_day[0] for same_day in groups.values()]
    scaling = {role: [band_scaling(it, key, spec) for it in firsts] for role, key in roles.items()}
    scale = {r: np.array([s[0] for s in v]) for r, v in scaling.items()}
    offset = {r: np.array([s[1] for s in v]) for r, v in scaling.items()}
    nodata = {r: v[0][2] for r, v in scaling.items()}
    return _BandPlan(index, sensor_name, spec, roles, mask_key, ordered, groups, firsts, scale, offset, nodata)


def build_cube(items: Sequence[Mapping], index: str, *, geobox, chunk: int = 512,
               sensor: str | None = None):
    """Lazy ``xarray.Dataset`` of the bands, the ``invalid`` mask and the ``index`` variable.

    Parameters
    ----------
    items
        STAC item dicts of one sensor family (Sentinel-2 L2A or Landsat C2 L2).
    index
        Name from :data:`yvy.kernels.indices.INDICES`.
    geobox
        Output grid (:func:`plan_geobox`).
    chunk
        Spatial chunk size in pixels; the time axis is one chunk.

    Items of the same solar day are mosaicked (first item wins where both have data).
    Scale and offset come from each day's first item and are applied before the index.
    """
    import dask.array as da
    import odc.stac
    import pystac
    import xarray as xr

    p = _plan_bands(items, index, sensor)
    index, sensor_name, spec, roles, mask_key = p.index, p.sensor_name, p.spec, p.roles, p.mask_key
    ordered, groups, firsts = p.ordered, p.groups, p.firsts
    keys = sorted(set(roles.values()) | ({mask_key} if mask_key else set()))
    ds = odc.stac.load(
        # the catalog's own STAC 1.1 items: no migration; pystac may take over a private JSON copy
        # (a JSON round trip copies a JSON document several times faster than deepcopy)
        [pystac.Item.from_dict(json.loads(json.dumps(it)), migrate=False, preserve_dict=False)
         for it in ordered],
        bands=keys, groupby="solar_day",
        geobox=geobox, chunks={"time": -1, "y": chunk, "x": chunk}, resampling="nearest",
    )
    if ds.sizes["time"] != len(firsts):  # pragma: no cover - odc-stac grouping changed
        raise InputError("items", "could not group scenes by day")
    role_list = list(roles)

    def _index_block(*blocks):
        return p.index_values(blocks[: len(role_list)], blocks[-1] if mask_key else None)

    arrays = [ds[roles[r]].data for r in role_list] + ([ds[mask_key].data] if mask_key else [])
    values = da.map_blocks(_index_block, *arrays, dtype=np.float32)
    out = ds.copy()
    out[index] = xr.DataArray(values, dims=ds[roles[role_list[0]]].dims, coords=ds[roles[role_list[0]]].coords)
    if mask_key:
        out["invalid"] = xr.DataArray(da.map_blocks(spec.invalid_mask, ds[mask_key].data, dtype=bool),
                                      dims=ds[mask_key].dims, coords=ds[mask_key].coords)
    out[index].attrs.update(long_name=INDICES[index].description, nodata=float("nan"))
    out.attrs.update(sensor=sensor_name or "", index=index,
                     items=json.dumps([[it["id"] for it in same_day] for same_day in groups.values()]))
    return out


@dataclass
class ItemCube:
    """:class:`TimeCube` over catalog items (see :func:`build_cube`).

    Scenes already on the cube's grid are read straight from their files
    (:mod:`yvy.cube._paste`: the same values as odc-stac's read, without a Dask graph); others
    through the lazy Dataset of :func:`build_cube` (:attr:`dataset`, built on first use).
    """

    items: Sequence[Mapping]
    index: str
    geobox: object
    aoi: object | None = None
    chunk: int = 512
    times: list[datetime] = field(init=False)
    variable: str = field(init=False)
    _dataset: object = field(default=None, init=False, repr=False)
    _plan: _BandPlan = field(init=False, repr=False)
    _paste: object = field(default=None, init=False, repr=False)

    def __post_init__(self):
        from ._paste import plan_paste

        self._plan = _plan_bands(self.items, self.index)
        self.variable = self._plan.index
        keys = list(self._plan.roles.values()) + ([self._plan.mask_key] if self._plan.mask_key else [])
        self._paste = plan_paste(list(self._plan.groups.values()), keys, self.geobox)
        if self._paste is not None:
            self.times = list(self._paste.times)
        else:
            self.times = [datetime.fromisoformat(str(np.datetime_as_string(t, unit="s"))).replace(tzinfo=UTC)
                          for t in self.dataset.time.values]

    @property
    def dataset(self):
        """The lazy ``xarray.Dataset`` of :func:`build_cube`."""
        if self._dataset is None:
            self._dataset = build_cube(self.items, self.index, geobox=self.geobox, chunk=self.chunk)
        return self._dataset

    def read(self, rows: slice, cols: slice, times: np.ndarray | None = None) -> np.ndarray:
        """(time, rows, cols) float32 index values, NaN = missing."""
        from ._paste import NotPaste

        if self._paste is not None:
            sel = np.arange(len(self.times)) if times is None else np.asarray(times, dtype=np.int64)
            plan, n = self._plan, len(self._plan.roles)
            out = np.empty((sel.size, rows.stop - rows.start, cols.stop - cols.start), dtype=np.float32)

            def index_of(k: int, raw: list[np.ndarray]) -> None:  # one scene, as soon as it is decoded
                out[k] = plan.index_values(raw[:n], raw[n] if plan.mask_key else None, sel[k:k + 1])[0]

            try:
                self._paste.read(rows, cols, sel, index_of)
            except NotPaste:
                self._paste = None  # a file is not as its item says: odc-stac reads them all
                odc_times = [datetime.fromisoformat(str(np.datetime_as_string(t, unit="s"))).replace(tzinfo=UTC)
                             for t in self.dataset.time.values]
                if odc_times != self.times:  # pragma: no cover - the plan's checks rule this out
                    raise InputError("items", "the scenes' dates changed while reading them") from None
            else:
                return out
        sel = slice(None) if times is None else np.asarray(times)
        arr = self.dataset[self.variable][sel, rows, cols].data.compute()
        return np.asarray(arr, dtype=np.float32)

    def describe(self) -> dict:
        """Input item ids and collections."""
        return {"items": [it["id"] for it in self.items],
                "collections": sorted({str(it.get("collection")) for it in self.items})}


def chunk_windows(shape: tuple[int, int], chunk: int) -> list[tuple[slice, slice]]:
    """Row-major list of (rows, cols) windows of ``chunk`` pixels covering ``shape``."""
    if chunk < 1:
        raise InputError("chunk", f"{chunk} must be a positive number of pixels")
    h, w = shape
    return [(slice(r, min(r + chunk, h)), slice(c, min(c + chunk, w)))
            for r in range(0, h, chunk) for c in range(0, w, chunk)]


def aoi_mask(geobox, aoi, rows: slice, cols: slice) -> np.ndarray:
    """True for pixels of the window whose centre is inside ``aoi`` (all True when None)."""
    h, w = rows.stop - rows.start, cols.stop - cols.start
    if aoi is None:
        return np.ones((h, w), dtype=bool)
    from rasterio.features import geometry_mask

    sub = geobox[rows, cols]
    geom = aoi.to_crs(geobox.crs)
    if geom.is_empty:
        return np.zeros((h, w), dtype=bool)
    return geometry_mask([geom.geom], out_shape=(h, w), transform=sub.affine, invert=True)


def footprint_wgs84(geobox) -> dict:
    """GeoJSON geometry (WGS84) of a geobox's extent."""
    return geobox.extent.to_crs("EPSG:4326").json
