"""Feeds and notifications: an Atom feed of high-confidence alerts (``/feeds/alerts.atom``,
filterable by ``bbox``) and webhooks.

A webhook subscribes a URL to alerts intersecting an area. When an alert there becomes
high-confidence, yvy POSTs a JSON body signed with HMAC-SHA256 of the subscription secret. The
sending is the notification service of :mod:`yvy.alerts.notify`: this module only exposes it
(routes to subscribe, list deliveries and ``POST /api/webhooks/dispatch``) and runs it in the
server's lifespan, where it sends only while it holds the database's notification lease.
"""

from __future__ import annotations

import logging
from urllib.parse import quote
from xml.sax.saxutils import escape

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ..alerts.notify import EVENT, Notifier, NotifySettings, baseline, sign
from ..errors import ConflictError, InputError
from ..security.urls import check_outbound_url
from .auth import SECURITY, Admin, Analyst, read_access
from .errors import ForbiddenError
from .events import security_event
from .params import BBox, RowId, parse_bbox

__all__ = ["EVENT", "dispatch", "notifier", "router", "sign", "start_notifier"]


log = logging.getLogger("yvy.api.feeds")

router = APIRouter(tags=["Feeds and webhooks"])


# -- Atom ------------------------------------------------------------------------------------
@router.get("/feeds/alerts.atom", summary="Atom feed of new high-confidence alerts",
            dependencies=[Depends(read_access)], responses={200: {"content": {"application/atom+xml": {}}}})
def atom(request: Request, bbox: BBox = None,
         confidence: str = Query("high", pattern="^(high|low|any)$"),
         status: str | None = Query(None, description="status list; default new,under_review"),
         lang: str | None = Query(None, pattern="^(es|en|gn)$",
                                  description="language of titles and summaries; default the workspace's")) -> Response:
    """The latest alerts (newest first) as Atom entries with GeoRSS boxes, in ``lang`` (default: the workspace's)."""
    from ..alerts._feed_text import feed_title
    from ..alerts.model import AlertStatus
    from ..alerts.ports import AlertQuery
    from ..i18n import translator

    ctx = request.app.state.yvy
    store = ctx.require_alerts()
    statuses = [AlertStatus.parse(s.strip()).value for s in (status or "new,under_review").split(",") if s.strip()]
    q = AlertQuery(status=statuses, confidence=None if confidence == "any" else confidence,
                   bbox=parse_bbox(bbox))
    alerts = store.find_alerts(q)
    alerts.sort(key=lambda a: (a.updated or "", a.first_detected, a.id), reverse=True)
    alerts = alerts[: ctx.settings.feed_size]
    root = str(request.base_url).rstrip("/")
    updated = max((a.updated or a.first_detected for a in alerts), default="1970-01-01T00:00:00Z")
    tr = translator(lang or ctx.workspace.locale)
    entries = "".join(_entry(a, root, tr) for a in alerts)
    self_url = escape(str(request.url))
    xml = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<feed xmlns="http://www.w3.org/2005/Atom" xmlns:georss="http://www.georss.org/georss" xml:lang="{tr.lang}">'
        f"<id>{escape(root)}/feeds/alerts.atom</id><title>{escape(feed_title(ctx.settings.title, tr))}</title>"
        f"<updated>{escape(_atom_time(updated))}</updated>"
        f'<link rel="self" type="application/atom+xml" href="{self_url}"/>'
        f'<link rel="alternate" type="text/html" href="{escape(root)}/"/>'
        f"<author><name>{escape(ctx.settings.title)}</name></author>{entries}</feed>"
    )
    return Response(xml, media_type="application/atom+xml",
                    headers={"Cache-Control": "public, max-age=60"})


def _atom_time(value: str) -> str:
    return f"{value}T00:00:00Z" if len(value) == 10 else value


def _entry(alert, root: str, tr) -> str:
    from ..alerts._feed_text import alert_summary, alert_title

    minx, miny, maxx, maxy = alert.bbox
    href = f"{root}/features/collections/alerts/items/{quote(alert.id, safe='')}"
    summary = alert_summary(alert, tr)
    return (
        f"<entry><id>urn:yvy:alert:{escape(alert.id)}</id><title>{escape(alert_title(alert, tr))}</title>"
        f"<updated>{escape(_atom_time(alert.updated or alert.first_detected))}</updated>"
        f'<link rel="alternate" type="application/geo+json" href="{escape(href)}"/>'
        f'<link rel="related" type="text/html" href="{escape(root)}/#alert={quote(alert.id, safe="")}"/>'
        f"<summary>{escape(summary)}</summary>"
        f"<category term=\"{alert.confidence.value}\"/><category term=\"{alert.status.value}\"/>"
        f"<georss:box>{miny} {minx} {maxy} {maxx}</georss:box></entry>"
    )


# -- webhooks: API ---------------------------------------------------------------------------
class NewWebhook(BaseModel):
    url: str = Field(min_length=8, max_length=2000, description="http(s) URL to POST events to")
    area: dict | None = Field(None, description="GeoJSON geometry (WGS84); default everywhere")
    label: str | None = Field(None, max_length=200)
    secret: str | None = Field(None, min_length=16, max_length=200, description="default: random")


@router.post("/api/webhooks", summary="Subscribe a webhook (analyst)", status_code=201, dependencies=SECURITY)
def add_webhook(body: NewWebhook, request: Request, user: Analyst) -> dict:
    """Create a subscription; the secret is returned only here."""
    ctx = request.app.state.yvy
    try:
        check_outbound_url(body.url, allow_private=ctx.settings.webhook_allow_private, subject="webhook url")
    except InputError as exc:
        security_event(request, "webhook-refused", outcome="failure", reason=exc.problem, target=body.url[:200])
        raise
    hook = ctx.feeds.add_webhook(body.url, area=body.area, secret=body.secret, owner_id=user.id,
                                 label=body.label)
    if ctx.alerts is not None:
        baseline(ctx.alerts, ctx.feeds, hook)
    return hook.to_dict(with_secret=True)


def _own(request: Request, user, webhook_id: int):
    hook = request.app.state.yvy.feeds.get_webhook(webhook_id)
    if hook.owner_id != user.id and not user.has_role("admin"):
        raise ForbiddenError(f"webhook {webhook_id}", "belongs to another user")
    return hook


@router.get("/api/webhooks", summary="List webhooks (own; admin: all)", dependencies=SECURITY)
def list_webhooks(request: Request, user: Analyst) -> dict:
    """Subscriptions without their secrets."""
    feeds = request.app.state.yvy.feeds
    hooks = feeds.list_webhooks(owner_id=None if user.has_role("admin") else user.id)
    return {"webhooks": [h.to_dict() for h in hooks]}


@router.delete("/api/webhooks/{webhook_id}", summary="Unsubscribe a webhook", dependencies=SECURITY)
def delete_webhook(webhook_id: RowId, request: Request, user: Analyst) -> dict:
    """Stop sending to this subscriber (its history is kept)."""
    _own(request, user, webhook_id)
    request.app.state.yvy.feeds.deactivate_webhook(webhook_id)
    return {"id": webhook_id, "active": False}


@router.get("/api/webhooks/{webhook_id}/deliveries", summary="Deliveries of a webhook", dependencies=SECURITY)
def deliveries(webhook_id: RowId, request: Request, user: Analyst,
               limit: int = Query(100, ge=1, le=1000)) -> dict:
    """Every notification queued for this subscriber and the outcome of its attempts."""
    _own(request, user, webhook_id)
    items = request.app.state.yvy.feeds.list_deliveries(webhook_id, limit=limit)
    return {"deliveries": [d.to_dict() for d in items]}


@router.post("/api/webhooks/dispatch", summary="Scan and deliver now (admin)", dependencies=SECURITY)
def dispatch_now(request: Request, user: Admin) -> dict:
    """Run one notification scan and send what is due."""
    return dispatch(request.app.state.yvy)


# -- webhooks: the notification service (yvy.alerts.notify) ------------------------------------
def notify_settings(settings, locale: str = "es_PY") -> NotifySettings:
    """The notifier's settings from the server's (texts in the workspace's ``locale``)."""
    return NotifySettings(interval=settings.notify_interval, timeout=settings.webhook_timeout,
                          max_attempts=settings.webhook_max_attempts, backoff=settings.webhook_backoff,
                          public_url=settings.public_url, allow_private=settings.webhook_allow_private,
                          locale=locale)


def notifier(ctx) -> Notifier | None:
    """This app's notifier (made once; None without an alert store)."""
    if ctx.alerts is None:
        return None
    if "notifier" not in ctx.extra:
        ctx.extra["notifier"] = Notifier(ctx.alerts, ctx.feeds, ctx.store,
                                          notify_settings(ctx.settings, ctx.workspace.locale))
    return ctx.extra["notifier"]


def dispatch(ctx) -> dict:
    """One round now (scan and deliver), as this server's notifier; ConflictError while another
    process holds the notification lease."""
    n = notifier(ctx)
    if n is None:
        return {"queued": 0, "delivered": 0, "retry": 0, "failed": 0}
    out = n.run_once()
    if out is None:
        raise ConflictError("notifications", "another process holds the notification lease "
                                             "(`yvy notify run` or another server)")
    return out


def start_notifier(ctx) -> Notifier | None:
    """Start this server's notifier in the background (None without an alert store)."""
    n = notifier(ctx)
    return n.start() if n is not None else None
