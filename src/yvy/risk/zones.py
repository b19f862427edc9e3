"""Expected hectares of forest loss per zone (department, protected area...) from a risk map.

For each zone the risk raster is read over the zone's window only, the zone is burned onto that
window (pixel centres inside), and the probabilities are summed times the pixel area: the expected
loss in one period. Forest hectares are the mapped (non-NaN) pixels. Imports numpy, rasterio,
shapely and pyproj; never the CLI.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..errors import InputError

__all__ = ["expected_loss_by_zone"]


def expected_loss_by_zone(risk_path: str, zones: Iterable[tuple[str, str, object]]) -> list[dict]:
    """Rows ``{zone, layer, forest_ha, expected_loss_ha, mean_probability}`` for WGS84 zone geometries
    given as ``(layer, name, geometry)``, largest expected loss first."""
    import rasterio
    import shapely
    from pyproj import Transformer
    from rasterio.features import geometry_window, rasterize

    try:
        ds = rasterio.open(risk_path)
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(risk_path, f"cannot read risk raster ({exc})") from None
    rows = []
    with ds:
        if ds.crs is None:
            raise InputError(risk_path, "risk raster has no CRS")
        tr = Transformer.from_crs("EPSG:4326", ds.crs, always_xy=True)
        pix_ha = abs(ds.transform.a * ds.transform.e) / 10_000
        for layer, name, geom in zones:
            g = shapely.transform(geom, lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1])))
            forest = loss = 0.0
            if g.intersects(shapely.box(*ds.bounds)):
                win = geometry_window(ds, [g]).intersection(rasterio.windows.Window(0, 0, ds.width, ds.height))
                a = ds.read(1, window=win, out_dtype="float64")
                inside = rasterize([(g, 1)], out_shape=a.shape, transform=ds.window_transform(win), fill=0,
                                   dtype="uint8").astype(bool)
                ok = inside & np.isfinite(a)
                forest, loss = float(ok.sum() * pix_ha), float(a[ok].sum() * pix_ha)
            rows.append({"layer": layer, "zone": name, "forest_ha": round(forest, 2),
                         "expected_loss_ha": round(loss, 2),
                         "mean_probability": round(loss / forest, 6) if forest else None})
    return sorted(rows, key=lambda r: -r["expected_loss_ha"])
