"""The alert domain's storage port: what alerts, context layers and the audit log need from a
store. Adapters live in :mod:`yvy.storage` (``alerts_sqlite.SQLiteAlertStore``; PostGIS later).

Geometries cross this port as shapely objects in WGS84; alerts as :class:`~yvy.alerts.model.Alert`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from .audit import AuditEntry
from .context import ContextFeature, ContextLayer
from .model import Alert

__all__ = ["AlertQuery", "AlertStore"]


@dataclass(frozen=True)
class AlertQuery:
    """Filters for :meth:`AlertStore.find_alerts` (all optional, combined with AND)."""

    ids: Sequence[str] | None = None
    status: Sequence[str] | None = None
    """Status values (``new``, ``under_review``...)."""
    confidence: str | None = None
    since: str | None = None
    """ISO date; alerts first detected on or after it."""
    until: str | None = None
    """ISO date; alerts first detected on or before it."""
    min_area_ha: float | None = None
    bbox: tuple[float, float, float, float] | None = None
    """WGS84 (minx, miny, maxx, maxy); alerts whose geometry intersects it."""
    intersects: Any = None
    """shapely geometry (WGS84); alerts whose geometry intersects it."""
    in_protected_area: bool | None = None
    legal_flag: str | None = None
    include_merged: bool = False
    """Also return alerts that were merged into another one."""
    limit: int | None = None
    offset: int = 0


@runtime_checkable
class AlertStore(Protocol):
    """Persistence of alerts, their reviews, merges, context layers and the audit log."""

    def transaction(self) -> AbstractContextManager[Any]:
        """A write transaction (re-entrant): everything inside commits together or not at all."""
        ...

    # alerts
    def next_alert_id(self, prefix: str, year: int) -> str:
        """Allocate the next ``PREFIX-YEAR-NNNNNN`` id (inside the caller's transaction)."""
        ...

    def insert_alert(self, alert: Alert) -> None:
        """Store a new alert (inside the caller's transaction)."""
        ...

    def update_alert(self, alert: Alert) -> None:
        """Replace a stored alert by id (inside the caller's transaction)."""
        ...

    def get_alert(self, alert_id: str) -> Alert:
        """The alert or NotFoundError."""
        ...

    def find_alerts(self, query: AlertQuery | None = None) -> list[Alert]:
        """Alerts matching ``query``, ordered by first detection then id."""
        ...

    def count_alerts(self, query: AlertQuery | None = None) -> int:
        """Number of alerts matching ``query``."""
        ...

    def record_merge(self, survivor: str, absorbed: str, *, at: str, product_id: str | None) -> None:
        """Record that ``absorbed`` was merged into ``survivor``."""
        ...

    def merges(self, alert_id: str) -> list[dict]:
        """Merges where the alert was survivor or absorbed."""
        ...

    def add_review(self, alert_id: str, *, at: str, by: str, payload: dict) -> None:
        """Store one review transition of an alert."""
        ...

    def reviews(self, alert_id: str) -> list[dict]:
        """Review history of one alert, oldest first."""
        ...

    def record_run(self, *, at: str, product_id: str, params: dict, summary: dict) -> None:
        """Record one alert-update run (product, parameters, summary)."""
        ...

    # audit log
    def append_audit(self, *, at: str, actor: str, alert_id: str | None, action: str,
                     payload: dict) -> AuditEntry:
        """Append one hash-chained entry (inside the caller's transaction)."""
        ...

    def iter_audit(self, alert_id: str | None = None) -> Iterator[AuditEntry]:
        """Entries in sequence order (all, or those of one alert)."""
        ...

    # context layers
    def add_context_layer(self, layer: ContextLayer, *, replace: bool = False) -> int:
        """Store a layer with its features; ConflictError if the name exists and not ``replace``."""
        ...

    def list_context_layers(self) -> list[dict]:
        """Layer metadata: name, kind, source, source_crs, name_field, features, added."""
        ...

    def remove_context_layer(self, name: str) -> None:
        """Delete a context layer and its features (NotFoundError if absent)."""
        ...

    def context_features(self, *, kinds: Sequence[str] | None = None,
                         bbox: tuple[float, float, float, float] | None = None) -> list[ContextFeature]:
        """Features of the stored layers, optionally by kind and intersecting a WGS84 bbox."""
        ...
