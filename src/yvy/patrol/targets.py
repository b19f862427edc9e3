"""Patrol targets: hot spots of a risk map and alerts that need a look, in a local metric frame.

:func:`risk_hotspots` sums a risk raster (probability of loss per pixel) over camera-footprint
cells, window by window, into expected hectares of loss per cell, then keeps local maxima at least
``spacing_m`` apart (:func:`scipy.ndimage.maximum_filter`), best first. :func:`alert_targets` turns
alerts (status new or under review) into targets worth their area. :class:`Frame` is an azimuthal
equidistant projection centred on the area, where straight-line distances are true to a few metres
over a drone's range. Imports numpy, scipy, rasterio, pyproj and shapely; never the CLI or storage.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import InputError

__all__ = ["Frame", "Target", "alert_targets", "risk_hotspots", "footprint_m"]


@dataclass(frozen=True)
class Target:
    """A place to fly over: WGS84 position, value (expected or observed hectares) and origin."""

    id: str
    lon: float
    lat: float
    value: float
    kind: str
    """``risk`` (hot spot of the risk map) or ``alert``."""
    note: str = ""


class Frame:
    """Azimuthal equidistant projection centred on (lon0, lat0): metres east/north of the centre."""

    def __init__(self, lon0: float, lat0: float):
        from pyproj import Transformer

        self.lon0, self.lat0 = lon0, lat0
        crs = f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m +no_defs"
        self.crs = crs
        self._fwd = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        self._inv = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)

    def xy(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        """Metres from lon/lat."""
        x, y = self._fwd.transform(np.asarray(lon, float), np.asarray(lat, float))
        return np.asarray(x), np.asarray(y)

    def lonlat(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        """lon/lat from metres."""
        lon, lat = self._inv.transform(np.asarray(x, float), np.asarray(y, float))
        return np.asarray(lon), np.asarray(lat)

    def to_local(self, geom):
        """A WGS84 shapely geometry in this frame."""
        import shapely

        return shapely.transform(geom, lambda c: np.column_stack(self.xy(c[:, 0], c[:, 1])))

    def to_wgs84(self, geom):
        """A shapely geometry of this frame in WGS84."""
        import shapely

        return shapely.transform(geom, lambda c: np.column_stack(self.lonlat(c[:, 0], c[:, 1])))


def footprint_m(altitude_m: float, hfov_deg: float) -> float:
    """Ground width (m) seen by a nadir camera of horizontal field of view ``hfov_deg``."""
    if altitude_m <= 0 or not 0 < hfov_deg < 180:
        raise InputError("camera", "altitude must be > 0 and the field of view within (0, 180) degrees")
    return float(2 * altitude_m * np.tan(np.radians(hfov_deg) / 2))


def _cell_sums(path: str, factor: int) -> tuple[np.ndarray, object, str, float]:
    """Sum of probability x pixel area (ha) over blocks of ``factor`` pixels, streamed by row bands."""
    import rasterio
    from rasterio.windows import Window

    try:
        ds = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(path, f"cannot read risk raster ({exc})") from None
    with ds:
        if ds.crs is None:
            raise InputError(path, "risk raster has no CRS")
        pix_ha = abs(ds.transform.a * ds.transform.e) / 10_000
        h, w = -(-ds.height // factor), -(-ds.width // factor)
        out = np.zeros((h, w), np.float64)
        band = factor * max(1, 1024 // factor)
        for r0 in range(0, ds.height, band):
            a = ds.read(1, window=Window(0, r0, ds.width, min(band, ds.height - r0)), out_dtype="float64")
            a[~np.isfinite(a)] = 0.0
            if ds.nodata is not None and np.isfinite(ds.nodata):
                a[a == ds.nodata] = 0.0
            ph, pw = -(-a.shape[0] // factor) * factor, w * factor
            pad = np.zeros((ph, pw))
            pad[: a.shape[0], : a.shape[1]] = a
            out[r0 // factor: r0 // factor + ph // factor] = pad.reshape(ph // factor, factor, w, factor).sum((1, 3))
        transform = ds.transform * ds.transform.scale(factor, factor)
        return out * pix_ha, transform, ds.crs.to_wkt(), float(abs(ds.transform.a))


def risk_hotspots(path: str, *, cell_m: float, spacing_m: float, count: int | None = None,
                  exclude=None) -> list[Target]:
    """The ``count`` best (default: all) local maxima of expected loss (ha) per footprint cell of a risk raster.

    ``exclude`` (a WGS84 shapely geometry, e.g. the no-fly zones) removes cells whose centre is inside.
    """
    import rasterio
    import shapely
    from pyproj import Transformer
    from scipy.ndimage import maximum_filter

    with rasterio.open(path) as ds:
        res = float(abs(ds.transform.a))
    factor = max(1, round(cell_m / res))
    sums, transform, crs, _ = _cell_sums(path, factor)
    size = 2 * max(1, round(spacing_m / (factor * res) / 2)) + 1
    peaks = (sums == maximum_filter(sums, size=size, mode="constant", cval=0.0)) & (sums > 0)
    rr, cc = np.nonzero(peaks)
    order = np.argsort(-sums[rr, cc], kind="stable")
    rr, cc = rr[order], cc[order]
    xs, ys = transform * (cc + 0.5, rr + 0.5)
    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(np.asarray(xs), np.asarray(ys))
    keep = np.ones(lon.size, bool)
    if exclude is not None and not exclude.is_empty:
        keep = ~shapely.contains_xy(exclude, lon, lat)
    idx = np.nonzero(keep)[0][:count]
    return [Target(f"R{i + 1:03d}", float(lon[k]), float(lat[k]), float(sums[rr[k], cc[k]]), "risk",
                   f"expected loss {sums[rr[k], cc[k]]:.2f} ha in the {factor * res:.0f} m cell")
            for i, k in enumerate(idx)]


def alert_targets(alerts: Iterable, *, weight: float = 1.0, high_confidence_weight: float = 2.0,
                  exclude=None) -> list[Target]:
    """Targets at the representative point of each alert, worth its area (ha) times a weight
    (more for high-confidence alerts nobody has verified yet)."""
    out = []
    for a in alerts:
        p = a.geometry.representative_point()
        if exclude is not None and not exclude.is_empty and exclude.contains(p):
            continue
        conf = getattr(a.confidence, "value", a.confidence)
        w = weight * (high_confidence_weight if conf == "high" else 1.0)
        status = getattr(a.status, "value", a.status)
        out.append(Target(a.id, float(p.x), float(p.y), float(a.area_ha) * w, "alert",
                          f"alert {a.id} ({status}, {conf} confidence, {a.area_ha:.1f} ha)"))
    return out


def local_xy(frame: Frame, targets: Sequence[Target]) -> np.ndarray:
    """(n, 2) metres of the targets in ``frame``."""
    if not targets:
        return np.zeros((0, 2))
    x, y = frame.xy([t.lon for t in targets], [t.lat for t in targets])
    return np.column_stack([x, y])
