"""Webhook notifications as a service: find alerts that became high-confidence in a subscriber's
area, POST them signed, retry with backoff, one sender at a time.

- :func:`scan` reads only the alerts written since its cursor (:meth:`AlertStore.change_cursor`,
  commit-ordered), not every alert for every webhook; the first scan (no cursor yet) reads all
  high-confidence alerts once. Queuing is idempotent per (webhook, alert, event), so a scan may
  be repeated or overlap another without sending anything twice.
- :func:`deliver_due` POSTs due deliveries with ``X-Yvy-Signature: sha256=<HMAC-SHA256 of the
  body with the subscription secret>`` and schedules retries with exponential backoff.
- :class:`Notifier` runs both every ``interval`` seconds while it holds the database lease
  ``notify`` (:class:`~yvy.alerts.ports.ServiceStore`), so among all ``yvy serve`` processes and
  ``yvy notify run`` workers on one database exactly one sends.

Must not import: click, rich, fastapi, sqlalchemy, yvy.storage, yvy.cli, yvy.api.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import socket
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from ..dates import now_iso
from ..errors import InputError
from ..security.urls import check_outbound_url
from .model import to_feature
from .ports import AlertQuery, AlertStore, FeedStore, ServiceStore

__all__ = ["EVENT", "LEASE", "Notifier", "NotifySettings", "baseline", "deliver_due", "dispatch", "scan", "sign"]

log = logging.getLogger("yvy.notify")
EVENT = "alert.high_confidence"
SIGNATURE_HEADER = "X-Yvy-Signature"
LEASE = "notify"
CURSOR = "notify.alerts"


@dataclass(frozen=True)
class NotifySettings:
    """How the notifier sends."""

    interval: float = 30.0
    """Seconds between rounds."""
    timeout: float = 10.0
    """Seconds to wait for a subscriber's answer."""
    max_attempts: int = 6
    """Attempts before a delivery is marked failed."""
    backoff: float = 30.0
    """Delay before the first retry, doubled after each failed attempt."""
    public_url: str = ""
    """Base URL of the server (links in payloads); empty: no links."""
    allow_private: bool = False
    """Let webhooks call loopback, private and link-local addresses (off: public hosts only)."""
    locale: str = "es_PY"
    """Language of the payload's ``title`` and ``summary`` (es_PY, en or gn)."""


def sign(secret: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of body>``: the value of the signature header."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _payload(hook, alert, root: str | None, locale: str = "es_PY") -> str:
    from ..i18n import translator
    from ._feed_text import alert_summary, alert_title

    tr = translator(locale)
    body = {"event": EVENT, "webhook": hook.id, "created": now_iso(), "alert": to_feature(alert),
            "lang": tr.lang, "title": alert_title(alert, tr), "summary": alert_summary(alert, tr)}
    if root:
        body["links"] = {"alert": f"{root}/features/collections/alerts/items/{quote(alert.id, safe='')}",
                         "map": f"{root}/#alert={quote(alert.id, safe='')}"}
    return json.dumps(body, separators=(",", ":"), sort_keys=True, default=str)


def _area(hook):
    from shapely.geometry import shape

    return shape(hook.area) if hook.area else None


def baseline(alerts: AlertStore, feeds: FeedStore, hook) -> int:
    """Record the alerts already high-confidence in the hook's area as skipped (never sent)."""
    q = AlertQuery(confidence="high", intersects=_area(hook), include_merged=False)
    return sum(feeds.enqueue(hook.id, a.id, EVENT, "{}", status="skipped") for a in alerts.iter_alerts(q))


def scan(alerts: AlertStore, feeds: FeedStore, services: ServiceStore, root: str | None = None,
         locale: str = "es_PY") -> int:
    """Queue a delivery for each high-confidence alert written since the last scan, to each
    active subscriber whose area it intersects; return how many were queued."""
    head = alerts.change_cursor()  # everything up to here is committed
    cursor = services.get_cursor(CURSOR)
    hooks = [(h, _area(h)) for h in feeds.list_webhooks(active_only=True)]
    queued = 0
    if hooks:
        q = AlertQuery(confidence="high", include_merged=False,
                       changed_after=None if cursor is None else int(cursor))
        known = {h.id: feeds.known_alerts(h.id, EVENT) for h, _ in hooks} if cursor is None else {}
        for alert in alerts.iter_alerts(q):
            for hook, area in hooks:
                if alert.id in known.get(hook.id, ()) or (area is not None and not area.intersects(alert.geometry)):
                    continue
                queued += feeds.enqueue(hook.id, alert.id, EVENT, _payload(hook, alert, root, locale))
    services.set_cursor(CURSOR, str(head))
    return queued


def deliver_due(feeds: FeedStore, settings: NotifySettings, client=None) -> dict:
    """POST every due delivery once; schedule retries with backoff. Returns counts."""
    import httpx

    own = client is None
    client = client or httpx.Client(timeout=settings.timeout, follow_redirects=False)
    counts = {"delivered": 0, "retry": 0, "failed": 0}
    try:
        for d in feeds.due_deliveries():
            hook = feeds.get_webhook(d.webhook_id)
            body = d.payload.encode()
            headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(hook.secret, body),
                       "X-Yvy-Event": d.event, "X-Yvy-Delivery": str(d.id), "User-Agent": "yvy-webhooks"}
            code, error = None, None
            try:
                check_outbound_url(hook.url, allow_private=settings.allow_private)  # DNS may have changed
                code = client.post(hook.url, content=body, headers=headers).status_code
                ok = 200 <= code < 300
                error = None if ok else f"HTTP {code}"
            except httpx.HTTPError as exc:
                ok, error = False, f"{type(exc).__name__}: {exc}"
            except InputError as exc:  # the host now resolves to a non-public address
                ok, error = False, str(exc)
            attempts = d.attempts + 1
            nxt = None
            if not ok and attempts < settings.max_attempts:
                nxt = datetime.now(UTC) + timedelta(seconds=settings.backoff * 2 ** (attempts - 1))
            feeds.record_attempt(d.id, delivered=ok, code=code, error=error, next_attempt=nxt)
            counts["delivered" if ok else ("retry" if nxt else "failed")] += 1
    finally:
        if own:
            client.close()
    return counts


def dispatch(alerts: AlertStore, feeds: FeedStore, services: ServiceStore, settings: NotifySettings) -> dict:
    """One scan plus one delivery round: ``{"queued", "delivered", "retry", "failed"}``."""
    queued = scan(alerts, feeds, services, settings.public_url or None, settings.locale)
    return {"queued": queued, **deliver_due(feeds, settings)}


class Notifier:
    """Runs :func:`dispatch` every ``settings.interval`` seconds while holding the lease.

    Parameters
    ----------
    alerts, feeds, services
        The stores (see :mod:`yvy.alerts.ports`).
    settings
        Interval, timeouts, backoff.
    holder
        Name of this process in the lease (default: host, pid and thread).
    """

    def __init__(self, alerts: AlertStore, feeds: FeedStore, services: ServiceStore,
                 settings: NotifySettings, holder: str | None = None):
        self.alerts, self.feeds, self.services, self.settings = alerts, feeds, services, settings
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
        self.ttl = max(3 * settings.interval, 10.0)
        self._stop = threading.Event()
        self._round = threading.Lock()  # the thread and an on-demand round never overlap
        self.thread: threading.Thread | None = None

    def run_once(self) -> dict | None:
        """One round if this process holds (or takes) the lease; None when another one does."""
        with self._round:
            if not self.services.acquire_lease(LEASE, self.holder, self.ttl):
                return None
            return dispatch(self.alerts, self.feeds, self.services, self.settings)

    def run(self, rounds: int | None = None) -> None:
        """Loop until :meth:`stop` (or ``rounds`` rounds); failures are logged, not fatal."""
        n = 0
        try:
            while not self._stop.is_set() and (rounds is None or n < rounds):
                try:
                    self.run_once()
                except Exception:  # keep the service alive; the failure is logged with its traceback
                    log.exception("notification round failed")
                n += 1
                if rounds is None or n < rounds:
                    self._stop.wait(self.settings.interval)
        finally:
            self.services.release_lease(LEASE, self.holder)

    def start(self) -> Notifier:
        """Run :meth:`run` in a daemon thread."""
        self.thread = threading.Thread(target=self.run, name="yvy-notifier", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        """Ask the loop to end and wait for it briefly (the lease is released)."""
        self._stop.set()
        if self.thread is not None:
            self.thread.join(timeout=self.settings.timeout + 5)
