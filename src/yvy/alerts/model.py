"""The alert domain objects: :class:`Alert`, its review status and confidence, and the GeoJSON
feature form (``to_feature`` / ``from_feature``).

Pure: imports only the standard library and shapely. Geometries are shapely objects in WGS84
(EPSG:4326, lon/lat order), the GeoJSON convention; areas are computed elsewhere in an
equal-area projection and stored here in hectares.
"""

from __future__ import annotations

import enum
import json
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from ..errors import InputError

__all__ = [
    "DISMISS_REASONS",
    "TRANSITIONS",
    "Alert",
    "AlertStatus",
    "Confidence",
    "from_feature",
    "to_feature",
]


class AlertStatus(str, enum.Enum):
    """Review state of an alert: new -> under_review -> confirmed | dismissed; confirmed -> referred."""

    NEW = "new"
    UNDER_REVIEW = "under_review"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"
    REFERRED = "referred"

    @classmethod
    def parse(cls, value: str | AlertStatus) -> AlertStatus:
        """The status named ``value`` or InputError listing the valid names."""
        try:
            return cls(value)
        except ValueError:
            valid = ", ".join(s.value for s in cls)
            raise InputError("status", f"{value!r} is not a status; use one of {valid}") from None


class Confidence(str, enum.Enum):
    """``high`` once at least two valid observations confirm the loss (and, for alerts of a fused
    bayts / sar product, the median Pchange at confirmation is at least 0.9), else ``low``.
    See :func:`yvy.alerts.build.confidence_of`."""

    LOW = "low"
    HIGH = "high"


TRANSITIONS: dict[AlertStatus, frozenset[AlertStatus]] = {
    AlertStatus.NEW: frozenset({AlertStatus.UNDER_REVIEW}),
    AlertStatus.UNDER_REVIEW: frozenset({AlertStatus.CONFIRMED, AlertStatus.DISMISSED}),
    AlertStatus.CONFIRMED: frozenset({AlertStatus.REFERRED}),
    AlertStatus.DISMISSED: frozenset(),
    AlertStatus.REFERRED: frozenset(),
}
"""Allowed review transitions (anything else is a ConflictError)."""

DISMISS_REASONS: tuple[str, ...] = (
    "agriculture",
    "silviculture",
    "seasonality",
    "cloud_shadow",
    "fire",
    "water",
    "other",
)
"""The fixed list of reasons for dismissing an alert."""


@dataclass(frozen=True)
class Alert:
    """One deforestation alert: a polygon of connected loss pixels with its dates and state."""

    id: str
    """Stable identifier, ``PREFIX-YYYY-NNNNNN`` (year of first detection)."""
    geometry: Any
    """shapely Polygon or MultiPolygon in WGS84 (lon/lat); holes kept, edges on the pixel grid."""
    area_ha: float
    """Area in hectares, computed in an equal-area projection (EPSG:6933)."""
    first_detected: str
    """ISO date of the first observation that showed the loss (earliest break in the polygon)."""
    last_clear: str | None = None
    """ISO date of the last valid observation before ``first_detected``."""
    confirm_count: int = 0
    """Valid observations after the break that confirm the loss (median over the pixels)."""
    confidence: Confidence = Confidence.LOW
    status: AlertStatus = AlertStatus.NEW
    magnitude: float | None = None
    """Median magnitude over the pixels (index units; negative = vegetation loss)."""
    pixel_count: int = 0
    last_detected: str | None = None
    """ISO date of the latest break inside the polygon (growth)."""
    observed_until: str | None = None
    """ISO date of the latest scene the detection behind this alert had seen."""
    products: tuple[str, ...] = ()
    """Ids of the detection products that produced or updated the alert."""
    context: dict = field(default_factory=dict)
    """Overlay with context layers (admin, protected areas, permits, border distance...)."""
    legal: dict = field(default_factory=dict)
    """Result of the legal rules: ``flag``, ``rule``, ``region``, ``text``, ``fired``."""
    review: dict = field(default_factory=dict)
    """Last review: ``by``, ``at``, ``reason``, ``note``, ``authority``, ``case``."""
    merged_into: str | None = None
    """Id of the alert this one was merged into (then it is no longer listed)."""
    merged_from: tuple[str, ...] = ()
    """Ids of the alerts merged into this one."""
    created: str | None = None
    updated: str | None = None
    confirm_optical: int | None = None
    """Alerts of a fused (bayts / sar) product: optical dates among the confirmations (median over
    the pixels); None for optical-only products and for alerts stored before fused products."""
    confirm_radar: int | None = None
    """Alerts of a fused product: radar (Sentinel-1) dates among the confirmations."""
    pchange: float | None = None
    """Alerts of a fused product: median probability of change at confirmation (bayts Pchange)."""

    def with_(self, **changes: Any) -> Alert:
        """A copy with ``changes`` applied (dataclasses.replace)."""
        return replace(self, **changes)

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """(minx, miny, maxx, maxy) in WGS84."""
        return tuple(self.geometry.bounds)  # type: ignore[return-value]

    def properties(self) -> dict:
        """Every attribute except the geometry, as JSON-ready values."""
        out = {}
        for f in fields(self):
            if f.name == "geometry":
                continue
            v = getattr(self, f.name)
            if isinstance(v, enum.Enum):
                v = v.value
            elif isinstance(v, tuple):
                v = list(v)
            out[f.name] = v
        return out


def to_feature(alert: Alert) -> dict:
    """The alert as a GeoJSON Feature (``id`` at the top level, attributes in properties)."""
    from shapely.geometry import mapping

    props = alert.properties()
    props.pop("id")
    return {"type": "Feature", "id": alert.id, "geometry": mapping(alert.geometry), "properties": props}


def from_feature(feature: dict) -> Alert:
    """Rebuild an :class:`Alert` from :func:`to_feature` output (round-trips losslessly)."""
    from shapely.geometry import shape

    props = dict(feature.get("properties") or {})
    known = {f.name for f in fields(Alert)}
    unknown = set(props) - known
    if unknown:
        raise InputError(feature.get("id", "feature"), f"unknown alert properties {sorted(unknown)}")
    props["id"] = feature.get("id", props.get("id"))
    props["geometry"] = shape(feature["geometry"])
    if "status" in props:
        props["status"] = AlertStatus(props["status"])
    if "confidence" in props:
        props["confidence"] = Confidence(props["confidence"])
    for name in ("products", "merged_from"):
        if name in props and props[name] is not None:
            props[name] = tuple(props[name])
    return Alert(**props)


def feature_json(alert: Alert) -> str:
    """Compact JSON of :func:`to_feature` (used by exports and the audit payloads)."""
    return json.dumps(to_feature(alert), separators=(",", ":"), sort_keys=True)


def summary(alert: Alert) -> dict:
    """A flat dict for tables and CSV (no geometry, nested context flattened to names)."""
    d = asdict(alert)
    d.pop("geometry")
    ctx = alert.context or {}
    return {
        "id": alert.id,
        "status": alert.status.value,
        "confidence": alert.confidence.value,
        "first_detected": alert.first_detected,
        "last_clear": alert.last_clear,
        "last_detected": alert.last_detected,
        "confirm_count": alert.confirm_count,
        "area_ha": round(alert.area_ha, 4),
        "magnitude": None if alert.magnitude is None else round(alert.magnitude, 4),
        "admin": "; ".join(a["name"] for a in ctx.get("admin", [])),
        "region": alert.legal.get("region"),
        "protected_areas": "; ".join(p["name"] for p in ctx.get("protected_areas", [])),
        "protected_ha": round(sum(p["ha"] for p in ctx.get("protected_areas", [])), 4),
        "permits": "; ".join(p["name"] for p in ctx.get("permits", [])),
        "inside_permit": ctx.get("inside_permit"),
        "indigenous_lands": "; ".join(p["name"] for p in ctx.get("indigenous_lands", [])),
        "border_km": ctx.get("border_km"),
        "legal_flag": alert.legal.get("flag"),
        "legal_rule": alert.legal.get("rule"),
        "reviewed_by": alert.review.get("by"),
        "review_reason": alert.review.get("reason"),
        "authority": alert.review.get("authority"),
        "case": alert.review.get("case"),
        "observed_until": alert.observed_until,
        "updated": alert.updated,
    }
