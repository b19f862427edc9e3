"""Deforestation alerts: detection rasters -> alert polygons with dates, confidence, stable ids,
context overlay, legal rules, review workflow and a hash-chained audit log.

Public API::

    from yvy.alerts import DetectionLayers, AlertParams, update_alerts, Alert, AlertStatus
    from yvy.storage.alerts import SQLAlertStore   # the AlertStore adapter
    summary = update_alerts(SQLAlertStore(store), layers, AlertParams(mmu_ha=0.5))

Layering: this package imports the kernels and the domain only (numpy, scipy, shapely, pyproj,
rasterio.features, geopandas for reading files); never ``yvy.storage`` or ``yvy.cli``.
"""

from .build import refresh_context, update_alerts
from .model import DISMISS_REASONS, Alert, AlertStatus, Confidence, from_feature, to_feature
from .ports import AlertQuery, AlertStore
from .review import review_alert
from .vectorize import AlertParams, DetectionLayers, extract_candidates

__all__ = [
    "DISMISS_REASONS",
    "Alert",
    "AlertParams",
    "AlertQuery",
    "AlertStatus",
    "AlertStore",
    "Confidence",
    "DetectionLayers",
    "extract_candidates",
    "from_feature",
    "refresh_context",
    "review_alert",
    "to_feature",
    "update_alerts",
]
