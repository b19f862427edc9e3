"""Webhook subscriptions and their deliveries: the objects of the notification service
(:mod:`yvy.alerts.notify`) and the rules a subscription must meet. Stored by a
:class:`~yvy.alerts.ports.FeedStore`.

Must not import: click, rich, fastapi, yvy.storage, yvy.cli, yvy.api.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..errors import InputError

__all__ = ["Delivery", "Webhook", "check_webhook"]


def check_webhook(url: str, area: dict | None) -> None:
    """InputError unless ``url`` is an ``http(s)://`` URL and ``area`` (if any) a valid GeoJSON
    geometry."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError("url", f"{url!r} is not an http(s) URL")
    if area is not None:
        from shapely.geometry import shape

        try:
            if shape(area).is_empty:
                raise ValueError("empty")
        except Exception as exc:  # noqa: BLE001 - shapely raises several types for bad GeoJSON
            raise InputError("area", f"not a valid GeoJSON geometry ({exc})") from None


@dataclass(frozen=True)
class Webhook:
    """A subscription: POST signed alert events to ``url`` for alerts intersecting ``area``."""

    id: int
    url: str
    secret: str
    area: dict | None
    owner_id: int | None
    label: str | None
    active: bool
    created: str

    def to_dict(self, *, with_secret: bool = False) -> dict:
        """JSON-ready form; the secret only when asked (shown once, at creation)."""
        d = {"id": self.id, "url": self.url, "area": self.area, "label": self.label,
             "active": self.active, "created": self.created}
        if with_secret:
            d["secret"] = self.secret
        return d


@dataclass(frozen=True)
class Delivery:
    """One notification to one subscriber and the outcome of its attempts."""

    id: int
    webhook_id: int
    alert_id: str
    event: str
    payload: str
    status: str
    attempts: int
    next_attempt: str | None
    last_code: int | None
    last_error: str | None
    created: str
    updated: str

    def to_dict(self) -> dict:
        """JSON-ready form (payload parsed)."""
        d = dict(self.__dict__)
        d["payload"] = json.loads(self.payload)
        return d
