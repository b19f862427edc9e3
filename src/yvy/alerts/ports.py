"""The alert domain's storage port: what alerts, context layers and the audit log need from a
store. The adapter is :class:`yvy.storage.alerts.SQLAlertStore` (SQLite or PostGIS).

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

__all__ = ["AlertQuery", "AlertStore", "FeedStore", "ServiceStore"]


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
    changed_after: int | None = None
    """A :meth:`AlertStore.change_cursor` value; alerts written after it."""
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

    def page_alerts(self, query: AlertQuery) -> tuple[int, list[Alert]]:
        """(number of alerts matching ``query`` without its limit and offset, the page it asks for)."""
        ...

    def iter_alerts(self, query: AlertQuery | None = None) -> Iterator[Alert]:
        """Alerts matching ``query``, streamed, ordered by first detection then id."""
        ...

    def change_cursor(self) -> int:
        """The number of the newest committed alert write (grows in commit order); inside a write
        transaction, read under the lock alert writers take, this transaction's writes included."""
        ...

    def alert_extent(self) -> tuple[list[float] | None, str | None, str | None]:
        """(WGS84 bbox or None, first and last first-detection day) of the unmerged alerts."""
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

    def runs(self) -> list[dict]:
        """Alert-update runs, oldest first."""
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

    def layer_features(self, name: str, *, bbox: tuple[float, float, float, float] | None = None,
                       feature_key: int | None = None, limit: int | None = None,
                       offset: int = 0) -> list[tuple[int, ContextFeature]]:
        """(stable key, feature) of one layer, optionally within a WGS84 bbox or by key, one page."""
        ...

    def count_layer_features(self, name: str, *, bbox: tuple[float, float, float, float] | None = None) -> int:
        """How many features :meth:`layer_features` would return without paging."""
        ...

    def layer_bbox(self, name: str) -> list[float] | None:
        """WGS84 bbox of a context layer's features (None when it has none)."""
        ...


@runtime_checkable
class FeedStore(Protocol):
    """Webhook subscriptions and their deliveries (what the notification service needs)."""

    def list_webhooks(self, *, owner_id: int | None = None, active_only: bool = False) -> list:
        """Webhooks (id, url, secret, area GeoJSON or None, active...), by id."""
        ...

    def get_webhook(self, webhook_id: int):
        """One webhook or NotFoundError."""
        ...

    def known_alerts(self, webhook_id: int, event: str) -> set[str]:
        """Alert ids already queued, sent or skipped for this webhook and event."""
        ...

    def enqueue(self, webhook_id: int, alert_id: str, event: str, payload: str, *, status: str = "pending") -> bool:
        """Queue a delivery (idempotent per webhook, alert and event); True when new."""
        ...

    def due_deliveries(self, now: Any = None, limit: int = 100) -> list:
        """Pending deliveries whose next attempt is due, oldest first."""
        ...

    def record_attempt(self, delivery_id: int, *, delivered: bool, code: int | None, error: str | None,
                       next_attempt: Any) -> None:
        """Store the outcome of one attempt."""
        ...


@runtime_checkable
class ServiceStore(Protocol):
    """Leases (one holder of a service at a time) and cursors (how far a service has read)."""

    def acquire_lease(self, name: str, holder: str, ttl_s: float) -> bool:
        """Take or renew a lease; False while another holder's has not expired."""
        ...

    def release_lease(self, name: str, holder: str) -> None:
        """Give a lease up."""
        ...

    def get_cursor(self, name: str) -> str | None:
        """A service's position, or None."""
        ...

    def set_cursor(self, name: str, value: str) -> None:
        """Move a service's position."""
        ...
