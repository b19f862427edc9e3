"""Synthetic radar products for tests: HyP3 RTC zips, radar time stacks, Equi7 tiles, and
single-look speckle over a known backscatter field.

Real provider metadata lives in the shared data (``products/sentinel1``, ``products/opera``);
these builders cover what it lacks (no real HyP3 product, pixel values with known truth).

Must not import: click, rich, sqlite3, yvy.storage, yvy.cli.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
from affine import Affine

__all__ = ["HYP3_STEM", "make_hyp3_rtc", "write_stack", "speckled"]

HYP3_STEM = "S1A_IW_20180128T161201_DVP_RTC30_G_gpuned_FD6A"
_GRANULE = "S1A_IW_SLC__1SDV_20180128T161201_20180128T161228_020362_022C7B_8E27"


def write_stack(path, data: np.ndarray, *, dates=None, crs="EPSG:32720", res=30.0,
                x0=594555.0, y0=8003065.0, nodata=None, tags=None) -> Path:
    """Write a (T, y, x) array as a GeoTIFF, band descriptions = ISO dates when given."""
    import rasterio

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    t, h, w = data.shape
    profile = dict(driver="GTiff", width=w, height=h, count=t, dtype=str(data.dtype), crs=crs,
                   transform=Affine(res, 0, x0, 0, -res, y0))
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(data)
        for i, d in enumerate(dates or [], start=1):
            ds.set_band_description(i, d)
        if tags:
            ds.update_tags(**tags)
    return path


def make_hyp3_rtc(root, *, stem: str = HYP3_STEM, pols=("VV", "VH"), archive: bool = True,
                  readme: bool = True, size: int = 8, values: np.ndarray | None = None,
                  granule: str = _GRANULE, direction: str = "descending",
                  ls_map: np.ndarray | None = None) -> Path:
    """A HyP3 RTC product (folder or zip) with gamma0 COGs, ls_map and README.

    ``values`` (size x size, in the unit the stem says) is written to every polarisation;
    default: gamma-distributed power around 0.1. ``ls_map`` (size x size, GAMMA codes): default
    all 1 (tested, no layover or shadow).
    """
    root = Path(root)
    folder = root / stem
    rng = np.random.default_rng(1)
    for pol in pols:
        data = (rng.gamma(4.0, 0.1 / 4.0, (1, size, size)) if values is None
                else np.asarray(values)[None]).astype("float32")
        write_stack(folder / f"{stem}_{pol}.tif", data, crs="EPSG:32616", x0=500000.0,
                    y0=4000000.0, nodata=-9999.0)
    write_stack(folder / f"{stem}_ls_map.tif",
                (np.ones((size, size)) if ls_map is None else np.asarray(ls_map))[None].astype("uint8"),
                crs="EPSG:32616", x0=500000.0, y0=4000000.0)
    if readme:
        (folder / f"{stem}.README.md.txt").write_text(
            f"Radiometric terrain corrected product of {granule}.\n"
            f"The granule was acquired on a {direction} pass.\n")
    if not archive:
        return folder
    out = root / f"{stem}.zip"
    with zipfile.ZipFile(out, "w") as zf:
        for f in sorted(folder.rglob("*")):
            zf.write(f, f.relative_to(root).as_posix())
    for f in sorted(folder.rglob("*"), reverse=True):
        f.unlink()
    folder.rmdir()
    return out


def speckled(truth: np.ndarray, looks: float = 1.0, seed: int = 0) -> np.ndarray:
    """``truth`` (linear power) times gamma-distributed speckle of ``looks`` looks (mean 1)."""
    rng = np.random.default_rng(seed)
    return truth * rng.gamma(looks, 1.0 / looks, truth.shape)
