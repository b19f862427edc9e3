"""Generate Sentinel-2-L2A-like demo scenes over the Paraguayan Chaco with known clearings.

:func:`generate_demo` writes, under ``out_dir``::

    scenes/S2A_20KQA_20210101_0_L2A/   one folder per scene, Earth Search v1 layout
        B02.tif B03.tif B04.tif B08.tif B11.tif B12.tif   uint16 COG, DN = refl*10000 + 1000
        SCL.tif                                          uint8 COG, scene classification
        S2A_20KQA_20210101_0_L2A.json                    STAC Item (Earth Search form)
    truth.geojson      clearings (EPSG:4326): id, date, kind, area_ha, ... ; exact pixels
    truth_mask.tif     uint16 COG, days since 1970 of clearing, 0 = never cleared
    landcover.tif      uint8 COG, land cover at the end (see ``COVER_NAMES``)
    demo.json          parameters, dates and clearings of this run (written last)

All bands are on one 10 m grid (B11, B12 and SCL are simulated at 20 m and replicated).
The same ``seed`` and size give byte-identical files.

Must not import: click, rich, sqlite3, yvy.storage, yvy.cli.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np

from .. import __version__
from ..errors import ConflictError, DateRangeError, InputError
from ..io import atomic_path
from ._landscape import COVER_NAMES, Landscape, add_pasture_fire, build_landscape
from ._phenology import BANDS, draw_climate, prepare, surface_reflectance
from ._site import CENTRE_LONLAT, EPSG, MGRS_TILE, Grid, earth_sun_factor, site_grid, sun_angles
from ._sky import SCL, apply_sky, draw_sky
from ._stac import build_item, scene_id
from ._truth import fire_feature, to_lonlat, truth_collection

__all__ = ["ClearingTruth", "DemoResult", "generate_demo"]

_EPOCH = date(1970, 1, 1)
_S2B_START = date(2017, 7, 1)
_S2C_START = date(2025, 1, 21)
_OVERPASS = time(14, 7, 31)  # UTC, about 10:05 local solar time at 60.4 W
_NOISE = np.array([0.0007, 0.0007, 0.0008, 0.0015, 0.0022, 0.0018], np.float32)
"""Per-band radiometric noise (reflectance, 1 sigma); B11/B12 at 20 m."""
_SCENE_RE = re.compile(r"^S2[ABC]_20KQA_\d{8}_0_L2A$")
_MIN_SIZE, _MAX_SIZE = 100, 2000
_FILE_MODE = 0o644  # mkstemp makes 0600 files; scenes are meant to be shared/served


@dataclass(frozen=True)
class ClearingTruth:
    """One ground-truth clearing, as written to ``truth.geojson``."""

    id: int
    kind: str
    """``block`` or ``irregular``."""
    date: date
    """Day the forest was cleared (forest to bare soil)."""
    area_ha: float
    """Cleared area (pixels x 0.01 ha; UTM 20S)."""
    pixels: int


@dataclass(frozen=True)
class DemoResult:
    """What :func:`generate_demo` wrote and the grid it used."""

    out_dir: Path
    scene_dirs: list[Path]
    """One folder per scene, in date order."""
    item_paths: list[Path]
    """The STAC Item JSON of each scene, in date order."""
    truth_path: Path
    """``truth.geojson``."""
    truth_mask_path: Path
    """``truth_mask.tif`` (uint16 days since 1970 of clearing, 0 none)."""
    landcover_path: Path
    """``landcover.tif`` (uint8 land-cover codes at the end of the period)."""
    manifest_path: Path
    """``demo.json``."""
    crs: str
    """``EPSG:32720`` (UTM 20 south)."""
    bounds: tuple[float, float, float, float]
    """(left, bottom, right, top) in ``crs``."""
    bounds_lonlat: tuple[float, float, float, float]
    """(west, south, east, north) in EPSG:4326."""
    transform: tuple[float, float, float, float, float, float]
    """Affine (a, b, c, d, e, f) of the 10 m grid."""
    shape: tuple[int, int]
    dates: list[date]
    """Acquisition dates, one per scene."""
    mgrs_tile: str
    clearings: list[ClearingTruth]
    seed: int
    fire_path: Path | None = None
    """``fire_truth.geojson``: the burnt paddock (date, hectares); None when the site has no pasture."""


def generate_demo(
    out_dir: str | os.PathLike,
    *,
    size_px: int = 300,
    start: str | date = "2021-01-01",
    years: int = 3,
    revisit_days: int = 5,
    seed: int = 0,
    progress: Callable[[int, int, str], None] | None = None,
) -> DemoResult:
    """Write demo Sentinel-2 L2A scenes over the Chaco with clearings of known dates.

    Parameters
    ----------
    out_dir
        Folder to write to; it must be empty, missing, or a previous demo (then replaced).
    size_px
        Width and height of the scenes in 10 m pixels (100 to 2000; 300 = 3 km).
    start
        First acquisition date (ISO string or date), 2017-07-01 or later.
    years
        Length of the series in years (2 to 10). Clearings fall in the last year, after at
        least 1.5 years of clean history.
    revisit_days
        Days between acquisitions (Sentinel-2A and 2B alternate; 5 is the real revisit).
    seed
        Random seed; the same seed and size give byte-identical output.
    progress
        Called as ``progress(done, total, scene_id)`` after each scene is written (the
        domain's ``progress(done, total, label)`` convention).

    Returns
    -------
    DemoResult
    """
    first = _check_args(size_px, start, years, revisit_days, seed)
    out = Path(out_dir)
    old_scenes = _check_out_dir(out)
    end = _add_years(first, years)
    whens = _acquisitions(first, end, revisit_days)
    days = [w.date() for w in whens]
    grid = site_grid(size_px)

    window = (end - first).days
    first_clear = (first + timedelta(days=max(548, window - 365)) - _EPOCH).days
    last_clear = (end - timedelta(days=45) - _EPOCH).days
    land = build_landscape(size_px, np.random.default_rng([seed, 1]), first_clear, last_clear)
    land = add_pasture_fire(land, (_fire_day(first, end) - _EPOCH).days)
    clim = draw_climate(np.random.default_rng([seed, 2]), first, end, len(land.field_kind))
    anomalies = _anomalies(np.random.default_rng([seed, 3]), len(whens))
    static = prepare(land)
    footprint = _footprint(grid)

    scenes_root = out / "scenes"
    keep = {scene_id(_platform(k, w), w) for k, w in enumerate(whens)}
    for name in old_scenes - keep:
        shutil.rmtree(scenes_root / name, ignore_errors=True)

    def one(k: int) -> Path:
        return _write_scene(
            scenes_root, k, whens[k], land, static, clim, anomalies[k], grid, footprint, seed
        )

    item_paths: list[Path] = []
    workers = max(1, min(2, os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for done, path in enumerate(pool.map(one, range(len(whens))), start=1):
            item_paths.append(path)
            if progress is not None:
                progress(done, len(whens), path.parent.name)

    truth_path, mask_path, cover_path, clearings = _write_truth(out, land, grid, days, seed)
    lonlat = np.array(footprint)
    result = DemoResult(
        out_dir=out,
        scene_dirs=[p.parent for p in item_paths],
        item_paths=item_paths,
        truth_path=truth_path,
        truth_mask_path=mask_path,
        landcover_path=cover_path,
        manifest_path=out / "demo.json",
        crs=f"EPSG:{EPSG}",
        bounds=grid.bounds,
        bounds_lonlat=(
            float(lonlat[:, 0].min()),
            float(lonlat[:, 1].min()),
            float(lonlat[:, 0].max()),
            float(lonlat[:, 1].max()),
        ),
        transform=grid.transform,
        shape=(size_px, size_px),
        dates=days,
        mgrs_tile=MGRS_TILE,
        clearings=clearings,
        seed=seed,
        fire_path=_write_fire(out, land, grid),
    )
    _write_manifest(result, land, first, years, revisit_days)
    return result


def _fire_day(first: date, end: date) -> date:
    """The pasture fire: 5 September (late dry season) of the last year with 60 days of scenes after it."""
    day = date(end.year, 9, 5)
    while (end - day).days < 60:
        day = date(day.year - 1, 9, 5)
    return max(day, first + timedelta(days=1))


def _write_fire(out: Path, land: Landscape, grid: Grid) -> Path | None:
    feature = fire_feature(land, grid)
    if feature is None:
        return None
    path = out / "fire_truth.geojson"
    _write_bytes(path, _json_bytes({"type": "FeatureCollection", "name": "yvy demo pasture fire (ground truth)",
                                    "features": [feature]}))
    return path


def _write_truth(out: Path, land: Landscape, grid: Grid, days: list[date], seed: int):
    """truth.geojson, truth_mask.tif and landcover.tif; returns their paths and the clearings."""
    truth = truth_collection(land, grid, days, seed)
    truth_path = out / "truth.geojson"
    _write_bytes(truth_path, _json_bytes(truth))
    mask_path = out / "truth_mask.tif"
    mask = np.where(land.clear_day > 0, land.clear_day, 0).astype(np.uint16)
    _write_cog(mask_path, mask, grid, nodata=None, resampling="NEAREST")
    cover_path = out / "landcover.tif"
    tags = {f"CLASS_{k}": v for k, v in COVER_NAMES.items()}
    _write_cog(cover_path, land.final_cover(), grid, nodata=None, resampling="NEAREST", tags=tags)
    clearings = [
        ClearingTruth(p["id"], p["kind"], date.fromisoformat(p["date"]), p["area_ha"], p["pixels"])
        for p in (f["properties"] for f in truth["features"])
    ]
    return truth_path, mask_path, cover_path, clearings


# --------------------------------------------------------------------------- arguments


def _check_args(size_px, start, years, revisit_days, seed) -> date:
    def whole(name, value, lo, hi):
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, np.integer))
            or not lo <= value <= hi
        ):
            raise InputError(name, f"must be a whole number from {lo} to {hi}, got {value!r}")

    whole("size_px", size_px, _MIN_SIZE, _MAX_SIZE)
    whole("years", years, 2, 10)
    whole("revisit_days", revisit_days, 1, 30)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError("seed", f"must be a non-negative whole number, got {seed!r}")
    if isinstance(start, datetime):
        start = start.date()
    if not isinstance(start, date):
        try:
            start = date.fromisoformat(str(start))
        except ValueError:
            raise DateRangeError("start", f"not an ISO date (YYYY-MM-DD): {start!r}") from None
    if start < _S2B_START:
        raise DateRangeError(
            "start", f"{start} is before {_S2B_START}, when Sentinel-2B began the 5-day revisit"
        )
    if start.year + years > 2100:
        raise DateRangeError("start", f"{start} plus {years} years is past 2100")
    return start


def _check_out_dir(out: Path) -> set[str]:
    """Scene folder names of a previous demo in ``out`` (to replace); refuse other content."""
    if out.exists() and not out.is_dir():
        raise ConflictError(out, "exists and is not a folder; choose another output folder")
    if not out.exists() or not any(out.iterdir()):
        return set()
    if not (out / "demo.json").is_file():
        raise ConflictError(
            out, "is not empty and holds no previous demo (demo.json); choose an empty folder"
        )
    scenes = out / "scenes"
    return (
        {p.name for p in scenes.iterdir() if p.is_dir() and _SCENE_RE.match(p.name)}
        if scenes.is_dir()
        else set()
    )


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _acquisitions(first: date, end: date, step: int) -> list[datetime]:
    out, k = [], 0
    while (d := first + timedelta(days=k * step)) < end:
        ms = (k * 7919) % 1000
        out.append(datetime.combine(d, _OVERPASS) + timedelta(seconds=k % 4, milliseconds=ms))
        k += 1
    return out


def _platform(k: int, when: datetime) -> str:
    if k % 2:
        return "S2B"
    return "S2C" if when.date() >= _S2C_START else "S2A"


def _anomalies(rng: np.random.Generator, n: int) -> np.ndarray:
    """Weather: an AR(1) greenness anomaly shared by the whole scene, one value per date."""
    out = np.zeros(n)
    shocks = rng.normal(0, 0.018, n)
    for k in range(1, n):
        out[k] = 0.7 * out[k - 1] + shocks[k]
    return out


def _footprint(grid: Grid) -> list[list[float]]:
    left, bottom, right, top = grid.bounds
    ring = np.array([[left, top], [left, bottom], [right, bottom], [right, top], [left, top]])
    return [[round(float(x), 9), round(float(y), 9)] for x, y in to_lonlat(ring)]


# --------------------------------------------------------------------------- one scene


def _render(k, when, land: Landscape, static, clim, anomaly, seed):
    """DN bands (6, n, n) uint16 and SCL (n, n) uint8 of one scene."""
    rng = np.random.default_rng([seed, 4, k])
    n = land.size
    t = (when.date() - _EPOCH).days
    surface = surface_reflectance(land, static, clim, t, anomaly)
    sun = sun_angles(when, *CENTRE_LONLAT)
    sky = draw_sky(rng, n, when.month, *sun)
    toa = apply_sky(surface, sky)
    toa *= (1 + rng.normal(0, 0.012, 6)).astype(np.float32)[:, None, None]
    toa += rng.normal(0, 0.0015, 6).astype(np.float32)[:, None, None]
    for b in range(4):
        toa[b] += _NOISE[b] * rng.standard_normal((n, n), dtype=np.float32)
    half = math.ceil(n / 2)
    for b in (4, 5):  # 20 m bands: 2 x 2 means, 20 m noise, replicated to 10 m
        coarse = _block_mean(toa[b])
        coarse += _NOISE[b] * rng.standard_normal((half, half), dtype=np.float32)
        toa[b] = _replicate(coarse, n)
    dn = np.clip(np.rint(toa * 10000 + 1000), 1, 65535).astype(np.uint16)
    dn[:, sky.nodata] = 0

    red, nir = _block_mean(surface[2]), _block_mean(surface[3])
    ndvi = (nir - red) / np.maximum(nir + red, 1e-6)
    ground = np.where(ndvi < 0, SCL.WATER, np.where(ndvi > 0.4, SCL.VEGETATION, SCL.NOT_VEGETATED))
    scl = np.where(sky.code > 0, sky.code, _replicate(ground.astype(np.uint8), n)).astype(np.uint8)
    scl[sky.nodata] = SCL.NODATA
    return dn, scl, sun


def _block_mean(a: np.ndarray) -> np.ndarray:
    n = a.shape[0]
    if n % 2:
        a = np.pad(a, ((0, 1), (0, 1)), mode="edge")
    m = a.shape[0] // 2
    return a.reshape(m, 2, m, 2).mean(axis=(1, 3))


def _replicate(a: np.ndarray, n: int) -> np.ndarray:
    return np.repeat(np.repeat(a, 2, axis=0), 2, axis=1)[:n, :n]


def _scl_stats(scl: np.ndarray) -> dict[str, float]:
    counts = np.bincount(scl.ravel(), minlength=12)
    valid = max(int(counts[1:].sum()), 1)

    def pct(*codes):
        return round(100.0 * int(sum(counts[c] for c in codes)) / valid, 6)

    return {
        "cloud": pct(*SCL.CLOUDY),
        "high": pct(SCL.CLOUD_HIGH),
        "medium": pct(SCL.CLOUD_MEDIUM),
        "cirrus": pct(SCL.CIRRUS),
        "shadow": pct(SCL.SHADOW),
        "vegetation": pct(SCL.VEGETATION),
        "not_vegetated": pct(SCL.NOT_VEGETATED),
        "water": pct(SCL.WATER),
        "nodata": round(100.0 * int(counts[0]) / scl.size, 6),
    }


def _write_scene(root, k, when, land, static, clim, anomaly, grid, footprint, seed) -> Path:
    sat = _platform(k, when)
    sid = scene_id(sat, when)
    folder = root / sid
    folder.mkdir(parents=True, exist_ok=True)
    dn, scl, sun = _render(k, when, land, static, clim, anomaly, seed)
    for b, stem in enumerate(BANDS):
        _write_cog(folder / f"{stem}.tif", dn[b], grid, nodata=0, resampling="AVERAGE")
    _write_cog(folder / "SCL.tif", scl, grid, nodata=0, resampling="NEAREST")
    item = build_item(
        sat=sat,
        when=when,
        size=grid.size,
        transform=grid.transform,
        footprint=footprint,
        sun=sun,
        earth_sun=earth_sun_factor(when),
        stats=_scl_stats(scl),
        version=__version__,
    )
    path = folder / f"{sid}.json"
    _write_bytes(path, _json_bytes(item))
    return path


# --------------------------------------------------------------------------- files


def _write_cog(path: Path, data: np.ndarray, grid: Grid, *, nodata, resampling: str, tags=None):
    import rasterio
    from rasterio.transform import Affine

    profile = {
        "driver": "COG",
        "width": grid.size,
        "height": grid.size,
        "count": 1,
        "dtype": data.dtype.name,
        "crs": grid.crs,
        "transform": Affine(*grid.transform),
        "compress": "DEFLATE",
        "predictor": 2,
        "overview_resampling": resampling,
    }
    if nodata is not None:
        profile["nodata"] = nodata
    with atomic_path(path, suffix=".tif") as tmp:
        with rasterio.Env(GDAL_NUM_THREADS=1), rasterio.open(tmp, "w", **profile) as dst:
            dst.write(data, 1)
            if tags:
                dst.update_tags(**tags)
        os.chmod(tmp, _FILE_MODE)


def _write_bytes(path: Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
        os.chmod(tmp, _FILE_MODE)


def _json_bytes(obj) -> bytes:
    return (json.dumps(obj, indent=2, ensure_ascii=False) + "\n").encode()


def _write_manifest(result: DemoResult, land: Landscape, first: date, years: int, step: int):
    out = result.out_dir
    manifest = {
        "generator": f"yvy.demo {__version__}",
        "seed": result.seed,
        "size_px": result.shape[0],
        "start": first.isoformat(),
        "years": years,
        "revisit_days": step,
        "crs": result.crs,
        "transform": list(result.transform),
        "bounds": list(result.bounds),
        "bounds_lonlat": list(result.bounds_lonlat),
        "mgrs_tile": result.mgrs_tile,
        "site": "Boquerón, Paraguay, 22.00 S 60.40 W (Mariscal Estigarribia - Filadelfia)",
        "scenes": [str(p.relative_to(out)) for p in result.item_paths],
        "dates": [d.isoformat() for d in result.dates],
        "truth": result.truth_path.name,
        "truth_mask": result.truth_mask_path.name,
        "landcover": result.landcover_path.name,
        "landcover_classes": {str(k): v for k, v in COVER_NAMES.items()},
        "fire": result.fire_path.name if result.fire_path else None,
        "clearings": [
            {
                "id": c.id,
                "kind": c.kind,
                "date": c.date.isoformat(),
                "area_ha": c.area_ha,
                "burn_delay_days": lc.burn_delay,
                "bare_days": lc.bare_days,
            }
            for c, lc in zip(result.clearings, land.clearings, strict=False)
        ],
    }
    _write_bytes(result.manifest_path, _json_bytes(manifest))
