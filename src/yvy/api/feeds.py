"""Feeds and notifications: an Atom feed of high-confidence alerts (``/feeds/alerts.atom``,
filterable by ``bbox``) and webhooks.

A webhook subscribes a URL to alerts intersecting an area. When an alert there becomes
high-confidence, yvy POSTs a JSON body signed with HMAC-SHA256 of the subscription secret
(header ``X-Yvy-Signature: sha256=<hex>``), retries failures with exponential backoff and records
every delivery. Alerts that were already high-confidence when the subscription was made are
recorded as ``skipped`` and never sent. Scans run in a background thread every
``notify_interval`` seconds, and on demand with ``POST /api/webhooks/dispatch`` (admin).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import quote
from xml.sax.saxutils import escape

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ..dates import now_iso
from ..errors import InputError
from ..security.urls import check_outbound_url
from .auth import SECURITY, Admin, Analyst, read_access
from .errors import ForbiddenError
from .events import security_event
from .params import BBox, RowId, parse_bbox

__all__ = ["EVENT", "deliver_due", "dispatch", "router", "scan", "sign", "start_notifier"]


log = logging.getLogger("yvy.api.feeds")
EVENT = "alert.high_confidence"
SIGNATURE_HEADER = "X-Yvy-Signature"

router = APIRouter(tags=["Feeds and webhooks"])


def sign(secret: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of body>``: the value of the signature header."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# -- Atom ------------------------------------------------------------------------------------
@router.get("/feeds/alerts.atom", summary="Atom feed of new high-confidence alerts",
            dependencies=[Depends(read_access)], responses={200: {"content": {"application/atom+xml": {}}}})
def atom(request: Request, bbox: BBox = None,
         confidence: str = Query("high", pattern="^(high|low|any)$"),
         status: str | None = Query(None, description="status list; default new,under_review")) -> Response:
    """The latest alerts (newest first) as Atom entries with GeoRSS boxes."""
    from ..alerts.model import AlertStatus
    from ..alerts.ports import AlertQuery

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
    entries = "".join(_entry(a, root) for a in alerts)
    self_url = escape(str(request.url))
    xml = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:georss="http://www.georss.org/georss">'
        f"<id>{escape(root)}/feeds/alerts.atom</id><title>{escape(ctx.settings.title)}: deforestation alerts</title>"
        f"<updated>{escape(_atom_time(updated))}</updated>"
        f'<link rel="self" type="application/atom+xml" href="{self_url}"/>'
        f'<link rel="alternate" type="text/html" href="{escape(root)}/"/>'
        f"<author><name>{escape(ctx.settings.title)}</name></author>{entries}</feed>"
    )
    return Response(xml, media_type="application/atom+xml",
                    headers={"Cache-Control": "public, max-age=60"})


def _atom_time(value: str) -> str:
    return f"{value}T00:00:00Z" if len(value) == 10 else value


def _entry(alert, root: str) -> str:
    minx, miny, maxx, maxy = alert.bbox
    href = f"{root}/features/collections/alerts/items/{quote(alert.id, safe='')}"
    admin = ", ".join(a.get("name", "") for a in (alert.context or {}).get("admin", []))
    summary = (f"{alert.area_ha:.2f} ha of forest loss first detected {alert.first_detected}"
               f" ({alert.confidence.value} confidence, {alert.status.value})" + (f" in {admin}" if admin else ""))
    return (
        f"<entry><id>urn:yvy:alert:{escape(alert.id)}</id><title>{escape(alert.id)}: {alert.area_ha:.2f} ha</title>"
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
    baseline(ctx, hook)
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


# -- webhooks: engine ------------------------------------------------------------------------
def _area_query(hook):
    from shapely.geometry import shape

    from ..alerts.ports import AlertQuery

    return AlertQuery(confidence="high", intersects=shape(hook.area) if hook.area else None,
                      include_merged=False)


def _payload(hook, alert, root: str | None) -> str:
    from ..alerts.model import to_feature

    body = {"event": EVENT, "webhook": hook.id, "created": now_iso(), "alert": to_feature(alert)}
    if root:
        body["links"] = {"alert": f"{root}/features/collections/alerts/items/{quote(alert.id, safe='')}",
                         "map": f"{root}/#alert={quote(alert.id, safe='')}"}
    return json.dumps(body, separators=(",", ":"), sort_keys=True, default=str)


def baseline(ctx, hook) -> int:
    """Record the alerts already high-confidence in the hook's area as skipped (never sent)."""
    if ctx.alerts is None:
        return 0
    n = 0
    for alert in ctx.alerts.find_alerts(_area_query(hook)):
        n += ctx.feeds.enqueue(hook.id, alert.id, EVENT, "{}", status="skipped")
    return n


def scan(ctx, root: str | None = None) -> int:
    """Queue a delivery for every high-confidence alert a subscriber has not heard of; count."""
    if ctx.alerts is None:
        return 0
    queued = 0
    for hook in ctx.feeds.list_webhooks(active_only=True):
        known = ctx.feeds.known_alerts(hook.id, EVENT)
        for alert in ctx.alerts.find_alerts(_area_query(hook)):
            if alert.id not in known:
                queued += ctx.feeds.enqueue(hook.id, alert.id, EVENT, _payload(hook, alert, root))
    return queued


def deliver_due(ctx, client=None) -> dict:
    """POST every due delivery once; schedule retries with backoff. Returns counts."""
    import httpx

    s = ctx.settings
    own = client is None
    client = client or httpx.Client(timeout=s.webhook_timeout, follow_redirects=False)
    counts = {"delivered": 0, "retry": 0, "failed": 0}
    try:
        for d in ctx.feeds.due_deliveries():
            hook = ctx.feeds.get_webhook(d.webhook_id)
            body = d.payload.encode()
            headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(hook.secret, body),
                       "X-Yvy-Event": d.event, "X-Yvy-Delivery": str(d.id),
                       "User-Agent": "yvy-webhooks"}
            code, error = None, None
            try:
                check_outbound_url(hook.url, allow_private=s.webhook_allow_private)
                resp = client.post(hook.url, content=body, headers=headers)
                code = resp.status_code
                ok = 200 <= code < 300
                error = None if ok else f"HTTP {code}"
            except httpx.HTTPError as exc:
                ok, error = False, f"{type(exc).__name__}: {exc}"
            except InputError as exc:  # the host now resolves to a non-public address
                ok, error = False, str(exc)
            attempts = d.attempts + 1
            nxt = None
            if not ok and attempts < s.webhook_max_attempts:
                nxt = datetime.now(UTC) + timedelta(seconds=s.webhook_backoff * 2 ** (attempts - 1))
            ctx.feeds.record_attempt(d.id, delivered=ok, code=code, error=error, next_attempt=nxt)
            counts["delivered" if ok else ("retry" if nxt else "failed")] += 1
    finally:
        if own:
            client.close()
    return counts


def dispatch(ctx, root: str | None = None) -> dict:
    """One scan plus one delivery round."""
    root = root or ctx.settings.public_url or None
    queued = scan(ctx, root)
    return {"queued": queued, **deliver_due(ctx)}


class Notifier:
    """Background thread running :func:`dispatch` every ``notify_interval`` seconds."""

    def __init__(self, ctx):
        self.ctx = ctx
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="yvy-notifier", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.ctx.settings.notify_interval):
            try:
                dispatch(self.ctx)
            except Exception:  # keep the loop alive; the failure is logged with its traceback
                log.exception("webhook dispatch failed")

    def stop(self) -> None:
        """Ask the thread to finish and wait for it briefly."""
        self._stop.set()
        self.thread.join(timeout=5)


def start_notifier(ctx) -> Notifier:
    """Start the background notifier for ``ctx``."""
    n = Notifier(ctx)
    n.thread.start()
    return n
