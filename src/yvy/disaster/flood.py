"""Flood extent from Sentinel-1 (VV/VH in dB), optionally fused with a clear optical view.

The method is HydroSAR's (ASF): the scene is cut into tiles; a tile is a *candidate* when its
VH histogram is clearly bimodal (Ashman's D of the two Otsu classes above ``min_ashman``,
bimodality coefficient above 5/9, both classes at least ``min_share`` of the tile); the
scene-wide threshold is Otsu's (or an expectation-maximisation fit's) on the pooled histogram of
the candidates. A scene without bimodal tiles has no water/land contrast: :class:`NoWaterContrastError`
is raised and nothing is written. VH is Lee-filtered first (5 x 5, 4.4 looks).

Where an optical scene on any grid is given, its clear pixels (blue < 0.25, cirrus <= 0.012)
are decided by a majority of three tests: VH below threshold, NDWI > 0, MNDWI above its own
tiled Otsu threshold. A HAND raster (height above nearest drainage, m) removes water above
``max_hand``. With a reference water map (dry season), ``flood.tif`` = water now and not then.

Work streams in row strips (two passes: tile histograms, then classification), so memory is
bounded by the strip, not the scene. Imports rasterio, numpy, shapely; never click or storage.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import shapely

from ..errors import InputError
from ..kernels import water as wk
from ._raster import Sources, strips, to_cog

__all__ = ["FloodParams", "NoWaterContrastError", "Threshold", "WaterResult", "estimate_threshold", "map_water",
           "water_polygons"]

Progress = Callable[[int, int], None] | None


class NoWaterContrastError(InputError):
    """The scene has no tile with a bimodal (water + land) backscatter histogram."""


@dataclass(frozen=True)
class FloodParams:
    """Parameters of the tiled threshold and of the classification (defaults: HydroSAR-like)."""

    tile: int = 100
    lee_radius: int = 2
    looks: float = 4.4
    method: str = "otsu"
    min_ashman: float = 2.0
    min_bc: float = 5 / 9
    min_share: float = 0.1
    max_split_db: float = -18.0
    """A tile whose Otsu split lies above this (dB) separates two land covers (forest and grassland
    split near -15 dB in VH), not water from land (C-band VH of open water is about -22 to -30 dB):
    it is not used. Applies to radar only (the optical MNDWI test has no such bound)."""
    max_tiles: int = 50
    max_hand: float = 15.0
    strip: int = 1000
    workers: int = 2
    db_range: tuple[float, float, int] = (-45.0, 10.0, 275)

    def __post_init__(self):
        if self.method not in ("otsu", "em"):
            raise InputError("method", f"{self.method!r} is not a threshold method; use otsu or em")
        if self.tile < 16:
            raise InputError("tile", "tiles must be at least 16 pixels")


@dataclass(frozen=True)
class Threshold:
    """A scene-wide threshold and the tiles it came from."""

    value: float
    method: str
    tiles_selected: int
    tiles_total: int
    otsu: float
    em: float


@dataclass
class WaterResult:
    """What :func:`map_water` wrote and measured."""

    water: str
    flood: str | None
    thresholds: dict
    pixels: dict
    hectares: dict
    optical_clear_fraction: float | None
    params: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-ready summary."""
        return asdict(self)


def estimate_threshold(scene: str | Path, params: FloodParams | None = None, *, band: str = "VH",
                       progress: Progress = None) -> Threshold:
    """The scene-wide backscatter threshold (dB) of one polarisation by the tiled bimodality test.

    Raises
    ------
    NoWaterContrastError
        No tile is bimodal: the scene shows no water/land contrast.
    """
    params = params or FloodParams()
    with Sources(scene, params, band=band) as src:
        return _sar_threshold(src, progress)


def _threshold_from(hist: np.ndarray, lo: float, hi: float, params: FloodParams, subject: str,
                    max_split: float = np.inf) -> Threshold:
    idx, total = _select(hist, lo, hi, params, min_valid=params.tile * params.tile // 2, max_split=max_split)
    if idx.size == 0:
        raise NoWaterContrastError(subject, f"no water/land contrast: none of {total} tiles of "
                                   f"{params.tile} px has a bimodal histogram (Ashman's D > {params.min_ashman})"
                                   + (f" split below {max_split} dB" if np.isfinite(max_split) else "")
                                   + "; no water map written")
    pooled = hist.reshape(-1, hist.shape[-1])[idx].sum(0)
    otsu, em = wk.otsu_threshold(pooled, lo, hi), wk.em_threshold(pooled, lo, hi)
    value = em if params.method == "em" and np.isfinite(em) else otsu
    return Threshold(round(float(value), 3), params.method, int(idx.size), total, round(otsu, 3), round(em, 3))


def _select(hist: np.ndarray, lo: float, hi: float, params: FloodParams, min_valid: int,
            max_split: float = np.inf) -> tuple[np.ndarray, int]:
    flat = hist.reshape(-1, hist.shape[-1])
    st = wk.hist_stats(flat, lo, hi)
    d = st[:, 5]
    ok = (st[:, 0] >= min_valid) & (d > params.min_ashman) & (st[:, 3] > params.min_bc) \
        & (st[:, 6] >= params.min_share) & (st[:, 6] <= 1 - params.min_share) & (st[:, 4] <= max_split)
    idx = np.nonzero(ok)[0]
    idx = idx[np.argsort(-d[idx])][: params.max_tiles]
    return idx, int((st[:, 0] >= min_valid).sum())


def _tile_strips(src: Sources):
    tile = src.params.tile
    return list(strips(src.height, max(src.params.strip // tile, 1) * tile, src.params.lee_radius))


def _sar_threshold(src: Sources, progress: Progress) -> Threshold:
    lo, hi, nbins = src.params.db_range
    tile = src.params.tile
    hist = np.zeros((-(-src.height // tile), -(-src.width // tile), nbins), dtype=np.int64)

    def job(strip):
        r0, r1, a, b = strip
        part = wk.tile_histograms(src.vh(r0, r1, a, b), tile, lo, hi, nbins, row0=0)
        return r0, r1, part

    for r0, r1, part in src.map(job, _tile_strips(src)):
        hist[r0 // tile:r0 // tile + part.shape[0]] += part
        if progress:
            progress(r1, 2 * src.height)
    return _threshold_from(hist, lo, hi, src.params, src.name, max_split=src.params.max_split_db)


def _mndwi_threshold(src: Sources) -> float:
    tile = src.params.tile
    hist = np.zeros((-(-src.height // tile), -(-src.width // tile), 200), np.int64)

    def job(strip):
        r0, r1, _, _ = strip
        return r0, wk.tile_histograms(src.optical(r0, r1)[1], tile, -1.0, 1.0, 200)

    for r0, part in src.map(job, _tile_strips(src)):
        hist[r0 // tile:r0 // tile + part.shape[0]] += part
    try:
        return _threshold_from(hist, -1.0, 1.0, src.params, "optical").otsu
    except NoWaterContrastError:
        return 0.0


def _profile(src: Sources) -> dict:
    return {"driver": "GTiff", "dtype": "uint8", "count": 1, "nodata": 255, "width": src.width,
            "height": src.height, "crs": src.crs, "transform": src.transform, "tiled": True,
            "blockxsize": 256, "blockysize": 256}


def map_water(scene: str | Path, out_dir: str | Path, *, optical: str | Path | None = None,
              hand: str | Path | None = None, reference: str | Path | None = None,
              params: FloodParams | None = None, progress: Progress = None) -> WaterResult:
    """Write ``water.tif`` (and ``flood.tif`` with a reference) on the scene's grid.

    Parameters
    ----------
    scene
        Sentinel-1 GeoTIFF with bands described VV and VH (dB).
    out_dir
        Output folder: ``water.tif`` (uint8 1 water, 0 dry, 255 no data), ``flood.tif``
        (1 flooded, 0 not, 255 no data) when ``reference`` is given, and ``water.json``.
    optical
        Sentinel-2 stack (B2, B3, B8, B10, B11 by description, reflectance x 10000), any grid.
    hand
        Height above nearest drainage (m), any grid.
    reference
        Reference (dry-season) water map as written by this function (1 water), any grid.

    Raises
    ------
    NoWaterContrastError
        The radar scene has no water/land contrast; nothing is written.
    InputError
        An input is missing, unreadable, lacks a band or has no CRS.
    """
    params = params or FloodParams()
    with Sources(scene, params, optical=optical, hand=hand, reference=reference) as src:
        t_vh = _sar_threshold(src, progress)
        t_m = _mndwi_threshold(src) if optical else None
        return _classify_scene(src, t_vh, t_m, Path(out_dir), progress)


def _classify_scene(src: Sources, t_vh: Threshold, t_m: float | None, out: Path, progress) -> WaterResult:
    import rasterio
    from rasterio.windows import Window

    from ..io import atomic_path

    out.mkdir(parents=True, exist_ok=True)
    with_ref = src.has("reference")
    counts = np.zeros((2, 256), np.int64)
    clear = [0, 0]

    def job(strip):
        r0, r1, a, b = strip
        nd, mn = src.optical(r0, r1) if src.has("optical") else (None, None)
        w = wk.classify_water(src.vh(r0, r1, a, b), t_vh=t_vh.value, ndwi=nd, mndwi=mn, t_mndwi=t_m or 0.0,
                              hand=src.read("hand", r0, r1), max_hand=src.params.max_hand)
        f = wk.flood_from(w, src.read("reference", r0, r1).astype(np.uint8)) if with_ref else None
        return r0, r1, w, f, (0 if nd is None else int(np.isfinite(nd).sum()))

    with contextlib.ExitStack() as stack:
        outs = [stack.enter_context(atomic_path(out / n)) for n in ("water.tif", "flood.tif")[:1 + with_ref]]
        dsts = [stack.enter_context(rasterio.open(t, "w", **_profile(src))) for t in outs]
        for r0, r1, *maps, n_clear in src.map(job, list(strips(src.height, src.params.strip, src.params.lee_radius))):
            for k, (dst, arr) in enumerate(zip(dsts, maps, strict=False)):
                dst.write(arr, 1, window=Window(0, r0, src.width, r1 - r0))
                counts[k] += np.bincount(arr.ravel(), minlength=256)
            clear[0] += n_clear
            clear[1] += maps[0].size
            if progress:
                progress(src.height + r1, 2 * src.height)
        for dst, tmp in zip(dsts, outs, strict=True):
            dst.close()
            to_cog(tmp)
    return _result(src, out, t_vh, t_m, counts[0], counts[1] if with_ref else None,
                   clear if src.has("optical") else [0, 0], src.params)


def _pixel_ha(src) -> float:
    from ..alerts import _geo

    if src.crs.is_geographic:
        import shapely

        x, y = src.transform * (src.width / 2, src.height / 2)
        rx, ry = abs(src.transform.a), abs(src.transform.e)
        return _geo.area_ha(shapely.box(x - rx / 2, y - ry / 2, x + rx / 2, y + ry / 2))
    return abs(src.transform.a * src.transform.e) / 1e4


def _result(src, out, t_vh, t_m, counts, flood_counts, clear, params) -> WaterResult:
    px_ha = _pixel_ha(src)
    pixels = {"water": int(counts[1]), "dry": int(counts[0]), "nodata": int(counts[255])}
    hectares = {"water": round(pixels["water"] * px_ha, 2)}
    if flood_counts is not None:
        pixels["flood"] = int(flood_counts[1])
        hectares["flood"] = round(pixels["flood"] * px_ha, 2)
    thresholds = {"vh_db": asdict(t_vh)}
    if t_m is not None:
        thresholds.update(ndwi=0.0, mndwi=round(float(t_m), 3))
    res = WaterResult(str(out / "water.tif"), str(out / "flood.tif") if flood_counts is not None else None,
                      thresholds, pixels, hectares, round(clear[0] / clear[1], 4) if clear[1] else None,
                      {k: v for k, v in asdict(params).items()})
    from ..io import atomic_write_bytes

    atomic_write_bytes(out / "water.json", json.dumps(res.to_dict(), indent=1).encode())
    return res


def water_polygons(result: WaterResult, context=()) -> dict:
    """Polygons of the flood (or, without a reference, the water) with hectares, departments and
    protected areas: ``<flood|water>_polygons.geojson`` beside the raster; the hectares per
    department and protected area are added to ``water.json``. Returns that summary."""
    from ..io import atomic_write_bytes
    from ._context import area_tables, overlay, raster_polygons

    what = "flood" if result.flood else "water"
    geoms, props = raster_polygons(result.flood or result.water)
    if context and geoms:
        for p, ctx in zip(props, overlay(geoms, list(context)), strict=True):
            p.update(departments=[a["name"] for a in ctx["admin"]],
                     protected_areas=[a["name"] for a in ctx["protected_areas"]])
    out = Path(result.water).parent
    feats = [{"type": "Feature", "geometry": shapely.geometry.mapping(g), "properties": p}
             for g, p in zip(geoms, props, strict=True)]
    atomic_write_bytes(out / f"{what}_polygons.geojson",
                       json.dumps({"type": "FeatureCollection", "features": feats}).encode())
    dept, pas = area_tables(geoms, context, what)
    summary = result.to_dict() | {"polygons": str(out / f"{what}_polygons.geojson"), "by_department": dept,
                                  "by_protected_area": pas}
    atomic_write_bytes(out / "water.json", json.dumps(summary, indent=1).encode())
    return summary
