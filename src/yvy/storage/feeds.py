"""Webhook subscriptions and deliveries in the workspace database (SQLite or PostGIS); implements
:class:`yvy.alerts.ports.FeedStore`.

A delivery is unique per (webhook, alert, event), so an alert notifies each subscriber once even
when the scan that finds it runs many times or in several processes. Its ``payload`` is the
exact body that is signed and sent on every attempt.

Must not import: fastapi, click, yvy.api, yvy.cli.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime

import sqlalchemy as sa

from ..alerts.feeds import Delivery, Webhook, check_webhook
from ..dates import now_iso, to_iso
from ..errors import InputError, NotFoundError
from .schema import webhook_deliveries, webhooks
from .store import StoreAdapter

__all__ = ["Delivery", "SQLFeedStore", "Webhook"]  # Delivery, Webhook: from yvy.alerts.feeds


class SQLFeedStore(StoreAdapter):
    """Webhooks and deliveries over the workspace :class:`yvy.storage.Store`."""

    def add_webhook(self, url: str, *, area: dict | None = None, secret: str | None = None,
                    owner_id: int | None = None, label: str | None = None) -> Webhook:
        """Register a subscriber (``http(s)://`` URL); a random secret unless one is given."""
        check_webhook(url, area)
        hook_id = self.store.write(sa.insert(webhooks).values(
            url=url, secret=secret or secrets.token_urlsafe(32), area=json.dumps(area) if area else None,
            owner_id=owner_id, label=label, active=1, created=now_iso("milliseconds")).returning(webhooks.c.id))
        return self.get_webhook(hook_id)

    @staticmethod
    def _hook(r) -> Webhook:
        return Webhook(r.id, r.url, r.secret, json.loads(r.area) if r.area else None,
                       r.owner_id, r.label, bool(r.active), r.created)

    def get_webhook(self, webhook_id: int) -> Webhook:
        """The webhook or NotFoundError."""
        r = None
        if 0 <= webhook_id < 2**63:  # keys are 64-bit
            r = self.store._first(sa.select(webhooks).where(webhooks.c.id == webhook_id))
        if r is None:
            raise NotFoundError(f"webhook {webhook_id}", "no such webhook")
        return self._hook(r)

    def list_webhooks(self, *, owner_id: int | None = None, active_only: bool = False) -> list[Webhook]:
        """Webhooks (of one owner, or all), by id."""
        stmt = sa.select(webhooks).order_by(webhooks.c.id)
        if owner_id is not None:
            stmt = stmt.where(webhooks.c.owner_id == owner_id)
        if active_only:
            stmt = stmt.where(webhooks.c.active == 1)
        return [self._hook(r) for r in self.store._all(stmt)]

    def deactivate_webhook(self, webhook_id: int) -> None:
        """Stop notifying a subscriber; its pending deliveries are dropped (marked failed)."""
        self.get_webhook(webhook_id)
        d = webhook_deliveries.c
        with self.store.transaction() as c:
            c.execute(sa.update(webhooks).where(webhooks.c.id == webhook_id).values(active=0))
            c.execute(sa.update(webhook_deliveries).where(d.webhook_id == webhook_id, d.status == "pending")
                      .values(status="failed", last_error="unsubscribed", updated=now_iso("milliseconds")))

    # -- deliveries ------------------------------------------------------------------------
    def enqueue(self, webhook_id: int, alert_id: str, event: str, payload: str, *,
                status: str = "pending") -> bool:
        """Queue a delivery due now; False when this (webhook, alert, event) was queued before.

        ``status="skipped"`` records an alert that was already in that state when the
        subscription started (so it is never sent).
        """
        if status not in ("pending", "skipped"):
            raise InputError("status", "enqueue as pending or skipped")
        now = now_iso("milliseconds")
        stmt = self.store._insert(webhook_deliveries).values(
            webhook_id=webhook_id, alert_id=alert_id, event=event, payload=payload, status=status, attempts=0,
            next_attempt=now if status == "pending" else None, created=now, updated=now,
        ).on_conflict_do_nothing(index_elements=["webhook_id", "alert_id", "event"]).returning(webhook_deliveries.c.id)
        return self.store.write(stmt) is not None

    def known_alerts(self, webhook_id: int, event: str) -> set[str]:
        """Alert ids already queued, sent or skipped for this webhook and event."""
        d = webhook_deliveries.c
        return {r[0] for r in self.store._all(sa.select(d.alert_id).where(d.webhook_id == webhook_id,
                                                                           d.event == event))}

    def due_deliveries(self, now: datetime | None = None, limit: int = 100) -> list[Delivery]:
        """Pending deliveries whose next attempt is due, oldest first."""
        d = webhook_deliveries.c
        due = to_iso(now, "milliseconds") if now else now_iso("milliseconds")
        rows = self.store._all(sa.select(webhook_deliveries).where(d.status == "pending", d.next_attempt <= due)
                               .order_by(d.next_attempt, d.id).limit(limit))
        return [Delivery(**r._asdict()) for r in rows]

    def record_attempt(self, delivery_id: int, *, delivered: bool, code: int | None,
                       error: str | None, next_attempt: datetime | None) -> None:
        """Store one attempt: delivered, retried at ``next_attempt``, or failed (no next attempt)."""
        status = "delivered" if delivered else ("pending" if next_attempt else "failed")
        d = webhook_deliveries.c
        self.store.write(sa.update(webhook_deliveries).where(d.id == delivery_id).values(
            status=status, attempts=d.attempts + 1, last_code=code, last_error=(error or None) and error[:500],
            next_attempt=to_iso(next_attempt, "milliseconds") if next_attempt and not delivered else None,
            updated=now_iso("milliseconds")))

    def list_deliveries(self, webhook_id: int | None = None, limit: int = 100) -> list[Delivery]:
        """Deliveries (of one webhook, or all), newest first."""
        stmt = sa.select(webhook_deliveries).order_by(webhook_deliveries.c.id.desc()).limit(limit)
        if webhook_id is not None:
            stmt = stmt.where(webhook_deliveries.c.webhook_id == webhook_id)
        return [Delivery(**r._asdict()) for r in self.store._all(stmt)]
