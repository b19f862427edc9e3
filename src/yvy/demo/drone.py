"""A simulated drone flight for the demo: an orthomosaic of one alert, a higher-resolution
rendering of the newest scene over it.

The scene's true colour (red, green, blue assets, ``raster:bands`` scale/offset) is read around the
alert, stretched to bytes, upsampled ``scale`` times (bilinear) and given fine, seeded texture
(canopy/soil grain a satellite pixel cannot show), then written as an RGB GeoTIFF on the scene's
CRS at ``10 m / scale``. Imports numpy, scipy, rasterio and shapely; never the CLI or storage.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["render_orthomosaic"]


def _read(asset: dict, bounds):
    import rasterio
    from rasterio.windows import from_bounds

    rb = (asset.get("raster:bands") or [{}])[0]
    with rasterio.open(asset["href"]) as ds:
        win = from_bounds(*bounds, ds.transform).round_offsets().round_lengths()
        a = ds.read(1, window=win, boundless=True, fill_value=0).astype(np.float64)
        return a * float(rb.get("scale", 1.0) or 1.0) + float(rb.get("offset", 0.0) or 0.0), \
            ds.window_transform(win), ds.crs


def render_orthomosaic(item: dict, geometry_wgs84, dest: str | Path, *, scale: int = 10, pad_m: float = 60.0,
                       seed: int = 0) -> Path:
    """Write the simulated orthomosaic of ``geometry_wgs84`` from scene ``item`` to ``dest``."""
    import rasterio
    import shapely
    from pyproj import Transformer
    from scipy.ndimage import gaussian_filter, zoom

    from ..io import atomic_path

    with rasterio.open(item["assets"]["red"]["href"]) as ds:
        crs = ds.crs
    tr = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    g = shapely.transform(geometry_wgs84, lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1])))
    minx, miny, maxx, maxy = g.buffer(pad_m).bounds
    bands = [_read(item["assets"][k], (minx, miny, maxx, maxy)) for k in ("red", "green", "blue")]
    transform = bands[0][1]
    rgb = np.stack([b[0] for b in bands])
    lo, hi = np.nanpercentile(rgb, 2), np.nanpercentile(rgb, 98)
    rgb = np.clip((rgb - lo) / max(hi - lo, 1e-6), 0, 1)
    fine = np.stack([zoom(b, scale, order=1) for b in rgb])
    rng = np.random.default_rng(seed)
    grain = gaussian_filter(rng.normal(0, 1, fine.shape[1:]), 1.5)
    fine = np.clip(fine * (1 + 0.12 * grain / max(grain.std(), 1e-9)), 0, 1)
    out = (fine * 255).astype(np.uint8)
    with atomic_path(dest, suffix=".tif") as tmp, rasterio.open(
            tmp, "w", driver="GTiff", width=out.shape[2], height=out.shape[1], count=3, dtype="uint8", crs=crs,
            transform=transform * transform.scale(1 / scale, 1 / scale), photometric="RGB", compress="deflate",
            tiled=True) as ds:
        ds.write(out)
        ds.update_tags(TIFFTAG_SOFTWARE="yvy demo (simulated drone orthomosaic)")
    return Path(dest)
