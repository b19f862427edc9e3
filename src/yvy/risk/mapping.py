"""Map a fitted risk model over its grid, window by window, into a float32 Cloud-Optimized GeoTIFF.

Every pixel where all covariates are defined gets the calibrated probability of loss in one
period (0–1); the others are NaN. Memory is bounded by one window of covariates. Imports numpy
and rasterio; never the CLI.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from .covariates import WindowReader
from .grid import Grid, windows
from .model import Progress, RiskModel, _noop

__all__ = ["map_risk", "predict_window", "write_cog"]

WINDOW = 1024


def predict_window(model: RiskModel, x: np.ndarray) -> np.ndarray:
    """Probability raster (h, w) float32 of a covariate window (k, h, w); NaN where undefined."""
    k, h, w = x.shape
    return model.predict_columns(x.reshape(k, -1)).reshape(h, w)


def _profile(grid: Grid) -> dict:
    return {"driver": "GTiff", "width": grid.width, "height": grid.height, "count": 1, "dtype": "float32",
            "crs": grid.crs, "transform": grid.affine, "nodata": np.nan, "tiled": True,
            "blockxsize": 512, "blockysize": 512, "BIGTIFF": "IF_SAFER"}  # uncompressed: compressed once, in the COG


def write_cog(src: Path, dest: Path) -> Path:
    """Copy a GeoTIFF to a COG at ``dest`` atomically (average overviews)."""
    from rasterio.shutil import copy as rio_copy

    from ..io import atomic_path

    with atomic_path(dest, suffix=".tif") as tmp:
        rio_copy(src, tmp, driver="COG", compress="DEFLATE", predictor="YES", blocksize=512,
                 overview_resampling="average", BIGTIFF="IF_SAFER", num_threads="ALL_CPUS")
    return Path(dest)


def map_risk(model: RiskModel, out: str | Path, *, grid: Grid | None = None,
             progress: Progress = _noop) -> dict:
    """Write the risk map of ``model`` on its grid (or ``grid``) to ``out`` (COG); return a summary.

    The summary gives the mapped pixel count, the expected hectares of loss in one period (sum of
    probabilities times pixel area) and the mean probability.
    """
    import rasterio

    grid = grid or model.grid
    out = Path(out)
    wins = list(windows(grid, WINDOW))
    n = 0
    total = 0.0
    with tempfile.TemporaryDirectory(dir=out.parent if out.parent.exists() else None) as tmpdir:
        tmp = Path(tmpdir) / "risk.tif"
        with WindowReader(model.covariates, grid) as reader, rasterio.open(tmp, "w", **_profile(grid)) as ds:
            ds.set_band_description(1, "probability of forest loss in one period")
            for i, (r, c) in enumerate(wins):
                prob = predict_window(model, reader.read(r, c))
                ok = np.isfinite(prob)
                n += int(ok.sum())
                total += float(prob[ok].sum(dtype=np.float64))
                ds.write(prob, 1, window=((r.start, r.stop), (c.start, c.stop)))
                progress(i + 1, len(wins), "mapping")
        write_cog(tmp, out)
    return {"pixels": n, "expected_loss_ha": round(total * grid.pixel_area_ha, 2),
            "mean_probability": round(total / n, 6) if n else None, "path": str(out.absolute())}
