"""Detection rasters -> candidate alert polygons (pure: arrays in, shapely polygons out).

Candidate pixels have a break and a magnitude showing vegetation loss, and are forest where the
layers carry a forest mask (unless ``AlertParams.forest_filter`` is off). Touching pixels
(8-connectivity) whose break dates are within ``window_days`` of each other form one
component (:func:`yvy.kernels.label.label_windowed`), first detected on the date by which a
minimum mapping unit of its pixels had broken. Each component is polygonised on the pixel grid
(holes kept), collinear vertices are merged (no area lost), it is measured in hectares in an
equal-area projection and dropped below the minimum mapping unit.

Imports numpy, scipy, rasterio.features, shapely, pyproj; never storage, cli or click.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import shapely
from shapely.geometry import shape

from ..errors import InputError
from ..kernels.label import label_windowed
from . import _geo

__all__ = ["AlertParams", "Candidate", "DetectionLayers", "days_to_iso", "extract_candidates"]

EPOCH = date(1970, 1, 1)


def days_to_iso(days: float | None) -> str | None:
    """Days since 1970-01-01 -> ISO date (None for None/NaN)."""
    if days is None or not math.isfinite(days):
        return None
    return (EPOCH + timedelta(days=math.floor(days + 1e-6))).isoformat()


def iso_to_days(iso: str) -> float:
    """ISO date -> days since 1970-01-01."""
    return float((date.fromisoformat(iso[:10]) - EPOCH).days)


_OPTIONAL = ("forest", "break_magnitude", "confirm_count_optical", "confirm_count_radar", "pchange")


@dataclass(frozen=True)
class DetectionLayers:
    """The detect pipeline's per-pixel output on one grid (what alerts are built from)."""

    crs: object
    """CRS of the grid (rasterio CRS, pyproj CRS, WKT or ``EPSG:n``)."""
    transform: object
    """Affine transform of the grid (pixel corner -> CRS coordinates)."""
    break_days: np.ndarray
    """Days since 1970-01-01 of the break observation; NaN where there is none."""
    magnitude: np.ndarray
    """Median residual over the monitoring period (index units; negative = loss for NDVI)."""
    confirm_count: np.ndarray
    """Valid observations after the break that confirm the loss."""
    prev_obs_days: np.ndarray
    """Days since 1970 of the last valid observation before the break (NaN unknown)."""
    product_id: str = "detection"
    """Id of the detection product (kept on the alerts it creates or updates)."""
    observed_until_days: float | None = None
    """Days since 1970 of the latest scene the detection saw (confidence is as of then)."""
    forest: np.ndarray | None = None
    """Forest during the history (1 forest; 0, 255 or anything else not forest); None: no mask,
    every pixel may become an alert. From the product's ``forest_history`` layer or a user mask."""
    forest_source: str | None = None
    """Where ``forest`` came from (recorded with the alert run): a file, or ``forest_history``."""
    break_direction: int = 0
    """Which MOSUM crossings the breaks are: 0 both (R's test), -1 drops only, +1 rises only
    (``yvy detect --direction``)."""
    break_magnitude: np.ndarray | None = None
    """Median residual on and after the break (NaN none). With a one-sided test in the loss
    direction it replaces ``magnitude`` as the loss evidence (see :func:`loss_mask`)."""
    confirm_count_optical: np.ndarray | None = None
    """Fused (bayts / sar) products: the optical dates of ``confirm_count`` (None otherwise)."""
    confirm_count_radar: np.ndarray | None = None
    """Fused products: the radar dates of ``confirm_count``."""
    pchange: np.ndarray | None = None
    """Fused products: the probability of change at confirmation (bayts Pchange, 0..1)."""

    def __post_init__(self):
        shp = np.shape(self.break_days)
        if len(shp) != 2:
            raise InputError("break_days", f"must be a 2-D array, not shape {shp}")
        for name in ("magnitude", "confirm_count", "prev_obs_days", *_OPTIONAL):
            if name in _OPTIONAL and getattr(self, name) is None:
                continue
            if np.shape(getattr(self, name)) != shp:
                raise InputError(name, f"shape {np.shape(getattr(self, name))} differs from break_days {shp}")
        if self.crs is None:
            raise InputError("DetectionLayers", "no CRS; detection rasters must be georeferenced")
        if self.break_direction not in (-1, 0, 1):
            raise InputError("break_direction", f"must be -1, 0 or 1, got {self.break_direction!r}")


@dataclass(frozen=True)
class AlertParams:
    """Rules that turn detection pixels into alerts (the knobs that are tuned honestly)."""

    window_days: float = 30.0
    """Touching pixels join one alert when their break dates differ by at most this."""
    min_loss: float = 0.0
    """A pixel shows loss when its magnitude is negative and ``magnitude <= -min_loss`` (NDVI
    units). The magnitude is the median residual over the whole monitoring period, so a late
    clearing has a small one: the break's significance comes from the MOSUM test, and 0 keeps
    every significant break with a loss sign. When the breaks come from a one-sided test in the
    loss direction (``DetectionLayers.break_direction == loss_sign``) and the layers have a
    ``break_magnitude``, that (the median residual since the break) is tested instead: a clearing
    late in the period after a greener-than-usual start has a positive median over the whole
    period, while a dip that recovers (an early dry season) has a positive one since the break."""
    mmu_ha: float = 0.5
    """Minimum mapping unit in hectares (equal-area)."""
    high_confidence_obs: int = 2
    """Confidence becomes ``high`` once this many later valid observations confirm the loss."""
    high_pchange: float = 0.9
    """Fused (bayts / sar) alerts: confidence is ``high`` only when, besides ``high_confidence_obs``
    confirming dates, the alert's median probability of change at confirmation (Pchange) is at
    least this (R bayts' reference chi)."""
    interval_join: bool = True
    """Compare neighbours' date intervals (last valid observation before the break .. break)
    instead of the break dates alone: a clearing seen through clouds or stripes reaches the
    pixels' first post-change observations at different dates, but their intervals overlap."""
    min_confirm: int = 0
    """Pixels with fewer confirming observations are not candidates (0 keeps all)."""
    connectivity: int = 8
    id_prefix: str = "PY"
    """Alert ids are ``{id_prefix}-{year}-{serial:06d}``."""
    match_overlap: float = 0.01
    """A candidate updates an alert when they share at least this fraction of the smaller area."""
    loss_sign: int = -1
    """-1: loss is a drop of the index (NDVI, NBR); +1 for indices that rise with loss."""
    forest_filter: bool = True
    """Only pixels that are forest in ``DetectionLayers.forest`` are candidates (when the layers
    have a forest mask; without one every pixel is)."""
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.window_days < 0:
            raise InputError("window_days", "must be >= 0")
        if self.mmu_ha < 0:
            raise InputError("mmu_ha", "must be >= 0")
        if self.min_loss < 0:
            raise InputError("min_loss", "must be >= 0 (the sign is given by loss_sign)")
        if self.connectivity not in (4, 8):
            raise InputError("connectivity", "must be 4 or 8")


@dataclass(frozen=True)
class Candidate:
    """One polygon extracted from a detection, before identity matching."""

    geometry: object
    """WGS84 shapely (Multi)Polygon."""
    area_ha: float
    first_days: float
    last_days: float
    last_clear_days: float
    confirm_count: int
    magnitude: float
    pixel_count: int
    confirm_optical: int | None = None
    """Fused products: median over the pixels of the optical confirming dates."""
    confirm_radar: int | None = None
    """Fused products: median over the pixels of the radar confirming dates."""
    pchange: float | None = None
    """Fused products: median over the pixels of Pchange at confirmation."""


def loss_mask(layers: DetectionLayers, params: AlertParams) -> np.ndarray:
    """Boolean mask of pixels with a break whose magnitude shows vegetation loss (forest only, when
    the layers have a forest mask and ``params.forest_filter`` is on)."""
    bd = np.asarray(layers.break_days, dtype=np.float64)
    mag = np.asarray(layers.magnitude, dtype=np.float64)
    conf = _confirm(layers)
    if layers.break_direction == params.loss_sign and layers.break_magnitude is not None:
        mag = np.asarray(layers.break_magnitude, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        loss = (params.loss_sign * mag) >= params.min_loss
        loss &= (params.loss_sign * mag) > 0
        mask = np.isfinite(bd) & np.isfinite(mag) & loss & (conf >= params.min_confirm)
    if params.forest_filter and layers.forest is not None:
        mask &= np.asarray(layers.forest) == 1
    return mask


def _confirm(layers: DetectionLayers) -> np.ndarray:
    """Confirming observations as float, unknown (NaN or the product's nodata -1) as 0."""
    conf = np.nan_to_num(np.asarray(layers.confirm_count, dtype=np.float64), nan=0.0)
    return np.where(conf < 0, 0.0, conf)


def _fused_medians(layers: DetectionLayers, labels: np.ndarray, keep: np.ndarray) -> dict[str, list]:
    """Per kept component, the medians of a fused product's per-sensor counts (floored) and
    Pchange; empty for a product without them."""
    from scipy import ndimage

    out: dict[str, list] = {}
    for key, name in (("confirm_optical", "confirm_count_optical"), ("confirm_radar", "confirm_count_radar")):
        a = getattr(layers, name)
        if a is not None:
            conf = np.nan_to_num(np.asarray(a, dtype=np.float64), nan=0.0)
            out[key] = [math.floor(float(m)) for m in ndimage.median(np.where(conf < 0, 0.0, conf), labels, keep)]
    if layers.pchange is not None:
        p = np.nan_to_num(np.asarray(layers.pchange, dtype=np.float64), nan=0.0)
        out["pchange"] = [float(m) for m in ndimage.median(p, labels, keep)]
    return out


def _xy(t, col: float, row: float) -> tuple[float, float]:
    """CRS coordinates of a pixel corner (affine transform applied explicitly)."""
    return t.a * col + t.b * row + t.c, t.d * col + t.e * row + t.f


def _pixel_area_ha(layers: DetectionLayers) -> float:
    """Equal-area hectares of the grid's centre pixel (used only to pre-filter tiny components)."""
    t = layers.transform
    ny, nx = np.shape(layers.break_days)
    x0, y0 = _xy(t, nx // 2, ny // 2)
    x1, y1 = _xy(t, nx // 2 + 1, ny // 2 + 1)
    box = shapely.box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
    return _geo.area_ha(box, layers.crs)


def _first_days(bd: np.ndarray, labels: np.ndarray, keep: np.ndarray, npix: np.ndarray, k: int) -> np.ndarray:
    """First detection of each kept component: the date by which ``k`` of its pixels (the minimum
    mapping unit) had broken. Scene by scene, no alert could exist before it; a few pixels whose
    break came early (a seasonal dip just before the clearing) do not date the whole alert."""
    inside = labels > 0
    lab, days = labels[inside], bd[inside]
    order = np.lexsort((days, lab))
    lab, days = lab[order], days[order]
    start = np.searchsorted(lab, keep)
    return days[start + np.minimum(k, npix[keep - 1]) - 1]


def _component(parts: list):
    """The polygons of one component (its 4-connected pieces, which meet at most at corners) as
    one geometry: they already form a valid (Multi)Polygon, the point set their union is, and
    once simplified and normalised the same vertices as the union (checked on every component of
    the 1,000-pixel update benchmark's workspace); a union is computed only if they do not (an
    overlay of thousands of pieces, one with thousands of holes, costs seconds)."""
    geom = parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)
    return geom if shapely.is_valid(geom) else shapely.union_all(parts)


def extract_candidates(layers: DetectionLayers, params: AlertParams | None = None) -> list[Candidate]:
    """Candidate alert polygons of one detection (sorted by first detection, then position)."""
    from rasterio.features import shapes
    from scipy import ndimage

    params = params or AlertParams()
    mask = loss_mask(layers, params)
    if not mask.any():
        return []
    bd = np.asarray(layers.break_days, dtype=np.float64)
    starts = np.asarray(layers.prev_obs_days, dtype=np.float64) if params.interval_join else None
    labels, count = label_windowed(mask, bd, params.window_days, params.connectivity, starts=starts)
    idx = np.arange(1, count + 1)
    npix = np.bincount(labels.ravel(), minlength=count + 1)[1:]
    pix_ha = _pixel_area_ha(layers)
    keep = idx[npix * pix_ha >= params.mmu_ha * 0.9]  # exact area test below
    if keep.size == 0:
        return []
    mag = np.asarray(layers.magnitude, dtype=np.float64)
    conf = _confirm(layers)
    prev = np.asarray(layers.prev_obs_days, dtype=np.float64)
    first = _first_days(bd, labels, keep, npix, max(1, math.ceil(params.mmu_ha / pix_ha - 1e-9)))
    last = ndimage.maximum(bd, labels, keep)
    med_mag = ndimage.median(mag, labels, keep)
    med_conf = ndimage.median(conf, labels, keep)
    fused = _fused_medians(layers, labels, keep)
    # last clear observation before the first detection: at the pixels with the earliest break
    first_map = np.zeros(count + 1)
    first_map[keep] = first
    at_first = (labels > 0) & (bd == first_map[labels])
    prev_first = np.where(at_first & np.isfinite(prev), prev, -np.inf)
    last_clear = ndimage.maximum(prev_first, labels, keep)

    kept_labels = np.where(np.isin(labels, keep), labels, 0).astype(np.int32)
    parts: dict[int, list] = {}
    for geom, value in shapes(kept_labels, mask=kept_labels > 0, connectivity=4, transform=layers.transform):
        parts.setdefault(int(value), []).append(shape(geom))
    out = []
    for i, lab in enumerate(keep):
        geom = shapely.simplify(_component(parts[int(lab)]), 0.0, preserve_topology=True)  # collinear vertices only
        ha = _geo.area_ha(geom, layers.crs)
        if ha < params.mmu_ha:
            continue
        lc = last_clear[i]
        wgs = shapely.normalize(_geo.reproject(geom, layers.crs, _geo.WGS84))
        out.append(
            Candidate(
                geometry=wgs,
                area_ha=_geo.area_ha(wgs),
                first_days=float(first[i]),
                last_days=float(last[i]),
                last_clear_days=float(lc) if np.isfinite(lc) else float("nan"),
                confirm_count=math.floor(float(med_conf[i])),
                magnitude=float(med_mag[i]),
                pixel_count=npix[lab - 1].item(),
                **{k: v[i] for k, v in fused.items()},
            )
        )
    out.sort(key=lambda c: (c.first_days, -c.geometry.bounds[3], c.geometry.bounds[0]))
    return out
