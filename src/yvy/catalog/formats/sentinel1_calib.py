"""Radiometric calibration of Sentinel-1 GRD digital numbers to sigma0 / gamma0 / beta0.

The calibration and noise annotation of a SAFE product are read with **xarray-sentinel**
(``open_sentinel1_dataset(safe, group="IW/VV/calibration")`` and ``.../noise_range``), whose
look-up tables are bilinearly interpolated to the pixels of the window being calibrated, as
its ``calibrate_intensity`` does. The ESA formula (Sentinel-1 product specification and
"Thermal denoising of Sentinel-1 products", MPC-0392):

    value = (DN**2 - noise) / A**2,      noise = noiseRange(line, pixel) * noiseAzimuth(line, pixel)

with ``A`` the sigmaNought, gamma or betaNought LUT. Values that thermal-noise removal drives
to zero or below become NaN. The azimuth noise vectors come in one block per sub-swath
(``firstRangeSample..lastRangeSample``); xarray-sentinel 0.9 exposes only the first block, so
those blocks are read here from the noise XML (IPF >= 2.9; older products have no azimuth
vectors and are denoised in range only).

No terrain correction is done: the output stays in the GRD's ground-range radar geometry,
georeferenced by the product's GCPs, and gamma0 here is the ellipsoid-based gamma0 of the
calibration LUT, not terrain-flattened gamma0 (use OPERA or HyP3 RTC products for that).

Must not import: click, rich, sqlite3, yvy.storage, yvy.cli.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import InputError, MissingDependencyError
from ...io import atomic_path
from .sentinel1 import parse_xml, read_safe

__all__ = ["QUANTITIES", "GrdLuts", "open_luts", "calibrate_window", "calibrate_grd",
           "radar_geometry"]

QUANTITIES = {"sigma0": "sigmaNought", "gamma0": "gamma", "beta0": "betaNought"}


@dataclass(frozen=True)
class GrdLuts:
    """Calibration and noise look-up tables of one polarisation of one GRD product."""

    calibration: object
    """xarray Dataset (line, pixel): sigmaNought, betaNought, gamma, dn."""
    noise_range: object | None
    """xarray DataArray (line, pixel) of the range noise; a tuple of (line, pixels, values)
    vectors when they do not share pixel positions; or None."""
    noise_azimuth: tuple
    """(first_line, last_line, first_sample, last_sample, lines, values) per sub-swath block."""
    measurement: str
    """Path of the measurement TIFF."""


def _xs():
    try:
        import xarray_sentinel
    except ImportError as exc:  # pragma: no cover - listed in the project dependencies
        raise MissingDependencyError("xarray-sentinel", "install xarray-sentinel to calibrate "
                                     "Sentinel-1 GRD products") from exc
    return xarray_sentinel


def open_luts(safe: str | os.PathLike, pol: str) -> GrdLuts:
    """Read (and check) the calibration and noise vectors of ``pol`` of a SAFE folder."""
    safe = str(Path(safe))
    if not Path(safe).is_dir():
        raise InputError(safe, "not a SAFE folder; calibration reads an unpacked SAFE "
                         "(unzip the product first)")
    files = tuple(str(p) for p in Path(safe).rglob("*") if p.is_file())
    prod = read_safe(safe, files)
    pol = pol.upper()
    if pol not in prod.meta["pols"]:
        have = ", ".join(prod.meta["pols"])
        raise InputError(safe, f"no {pol} polarisation in this product (it has {have})")
    group = f"{prod.meta['mode']}/{pol}" if prod.meta["mode"] in ("IW", "EW") else None
    group = group or _swath_group(prod, pol)
    xs = _xs()
    try:
        cal = xs.open_sentinel1_dataset(safe, group=f"{group}/calibration").load()
    except (KeyError, ValueError, OSError) as exc:
        raise InputError(prod.objects[pol]["calibration"],
                         f"cannot read calibration vectors ({exc})") from exc
    try:
        noise = xs.open_sentinel1_dataset(safe, group=f"{group}/noise_range")["noiseRangeLut"]
        noise = noise.load()
    except ValueError:  # vectors on different pixel positions: not a regular grid
        noise = _range_vectors(prod.objects[pol]["noise"])
    except (KeyError, OSError) as exc:
        raise InputError(prod.objects[pol]["noise"], f"cannot read noise vectors ({exc})") from exc
    return GrdLuts(cal, noise, _azimuth_blocks(prod.objects[pol]["noise"]),
                   prod.objects[pol]["measurement"])


def _swath_group(prod, pol: str) -> str:
    name = Path(prod.objects[pol]["product"]).name  # s1c-s4-grd-hh-...
    return f"{name.split('-')[1].upper()}/{pol}"


def _vector(v, axis: str, key: str, noise_xml: str) -> tuple[np.ndarray, np.ndarray]:
    """(positions, values) of one noise vector; InputError when their lengths differ."""
    where = np.array(v.findtext(axis, "").split(), dtype="float64")
    values = np.array(v.findtext(key, "").split(), dtype="float64")
    if where.size == 0 or where.size != values.size:
        raise InputError(noise_xml, f"{key} vector without one value per {axis}")
    return where, values


def _azimuth_blocks(noise_xml: str) -> tuple:
    root = parse_xml(noise_xml)
    blocks = []
    for v in root.iter("noiseAzimuthVector"):
        lines, values = _vector(v, "line", "noiseAzimuthLut", noise_xml)
        blocks.append((int(v.findtext("firstAzimuthLine")), int(v.findtext("lastAzimuthLine")),
                       int(v.findtext("firstRangeSample")), int(v.findtext("lastRangeSample")),
                       lines, values))
    return tuple(blocks)


def _range_vectors(noise_xml: str) -> tuple:
    """(line, pixels, values) per noise range vector, for products whose vectors do not share
    pixel positions (xarray-sentinel needs a regular grid)."""
    root = parse_xml(noise_xml)
    out = []
    for v in root.iter("noiseRangeVector"):
        pixels, values = _vector(v, "pixel", "noiseRangeLut", noise_xml)
        out.append((int(v.findtext("line")), pixels, values))
    if not out:
        raise InputError(noise_xml, "no noise range vectors")
    return tuple(out)


def _interp_vectors(vectors: tuple, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Bilinear interpolation of per-line vectors: along each vector, then between lines."""
    lines = np.array([v[0] for v in vectors], dtype="float64")
    along = np.array([np.interp(cols, px, val) for _, px, val in vectors])
    if len(vectors) == 1:
        return np.repeat(along, rows.size, axis=0)
    i = np.clip(np.searchsorted(lines, rows, side="right") - 1, 0, len(lines) - 2)
    w = np.clip((rows - lines[i]) / (lines[i + 1] - lines[i]), 0.0, 1.0)[:, None]
    return along[i] * (1 - w) + along[i + 1] * w


def _interp2(lut, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    import xarray as xr

    out = lut.interp(line=xr.DataArray(rows, dims="line"), pixel=xr.DataArray(cols, dims="pixel"))
    return np.asarray(out, dtype="float64")


def _azimuth_noise(blocks: tuple, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    out = np.ones((rows.size, cols.size))
    for first_line, last_line, first_col, last_col, lines, values in blocks:
        rsel = (rows >= first_line) & (rows <= last_line)
        csel = (cols >= first_col) & (cols <= last_col)
        if rsel.any() and csel.any():
            col = np.interp(rows[rsel], lines, values)
            out[np.ix_(rsel, csel)] = col[:, None]
    return out


def calibrate_window(dn: np.ndarray, luts: GrdLuts, row0: int = 0, col0: int = 0,
                     quantity: str = "sigma0", denoise: bool = True) -> np.ndarray:
    """Calibrated linear backscatter of a (rows, cols) window of digital numbers.

    ``row0`` / ``col0`` place the window in the product's line / pixel grid. DN 0 (no data)
    and values that noise removal makes non-positive become NaN.
    """
    if quantity not in QUANTITIES:
        raise InputError("quantity", f"unknown {quantity!r}; use sigma0, gamma0 or beta0")
    dn = np.asarray(dn, dtype="float64")
    rows = np.arange(row0, row0 + dn.shape[0], dtype="float64")
    cols = np.arange(col0, col0 + dn.shape[1], dtype="float64")
    lut = _interp2(luts.calibration[QUANTITIES[quantity]], rows, cols)
    power = dn * dn
    if denoise and luts.noise_range is not None:
        noise = (_interp_vectors(luts.noise_range, rows, cols)
                 if isinstance(luts.noise_range, tuple) else _interp2(luts.noise_range, rows, cols))
        if luts.noise_azimuth:
            noise = noise * _azimuth_noise(luts.noise_azimuth, rows, cols)
        power = power - noise
    with np.errstate(invalid="ignore", divide="ignore"):
        out = power / (lut * lut)
    out[(dn == 0) | ~(out > 0)] = np.nan
    return out


def calibrate_grd(safe: str | os.PathLike, pol: str, dest: str | os.PathLike, *,
                  quantity: str = "sigma0", denoise: bool = True, window=None,
                  block_rows: int = 512, progress=None) -> Path:
    """Write the calibrated linear ``quantity`` of one polarisation as a float32 GeoTIFF.

    ``window`` (a ``rasterio.windows.Window`` in product pixels; default the whole product)
    limits the output to a subset, e.g. an AOI. Streams ``block_rows`` lines at a time; copies
    the measurement's GCPs (shifted to the window); written to a temporary file and renamed, so
    ``dest`` is either complete or untouched.
    """
    import rasterio
    from rasterio.windows import Window

    luts = open_luts(safe, pol)
    try:
        with radar_geometry():
            src = rasterio.open(luts.measurement)
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(luts.measurement, "unreadable measurement TIFF (placeholder or "
                         "truncated download)") from exc
    with src:
        full = Window(0, 0, src.width, src.height)
        win = full if window is None else window.intersection(full)
        r0, c0, h, w = int(win.row_off), int(win.col_off), int(win.height), int(win.width)
        profile = dict(driver="GTiff", width=w, height=h, count=1, dtype="float32",
                       nodata=np.nan, tiled=True, compress="deflate", blockxsize=256,
                       blockysize=256, BIGTIFF="IF_SAFER", **_shifted_gcps(src, r0, c0))
        with atomic_path(dest, ".tif") as tmp, radar_geometry(), \
                rasterio.open(tmp, "w", **profile) as dst:
            dst.update_tags(1, quantity=quantity, units="linear", denoised=str(denoise),
                            terrain_correction="none", row_offset=r0, col_offset=c0)
            for top in range(0, h, block_rows):
                n = min(block_rows, h - top)
                dn = src.read(1, window=Window(c0, r0 + top, w, n))
                out = calibrate_window(dn, luts, r0 + top, c0, quantity, denoise)
                dst.write(out.astype("float32"), 1, window=Window(0, top, w, n))
                if progress:
                    progress(top + n, h)
    return Path(dest)


@contextlib.contextmanager
def radar_geometry():
    """Silence rasterio's 'not georeferenced' warning: radar geometry has GCPs at most."""
    from rasterio.errors import NotGeoreferencedWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        yield


def _shifted_gcps(src, r0: int, c0: int) -> dict:
    from rasterio.control import GroundControlPoint

    gcps, crs = src.gcps
    if not gcps:
        return {}
    return {"gcps": [GroundControlPoint(g.row - r0, g.col - c0, g.x, g.y, g.z, g.id, g.info)
                     for g in gcps], "crs": crs}
