"""Settings of the dissemination server (``YVY_*`` environment variables) and the per-app
context every route reaches through ``request.app.state.yvy``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, fields

from ..config import Workspace
from ..errors import InputError
from ._assets import AssetPolicy

__all__ = ["AppContext", "ServeSettings"]

log = logging.getLogger("yvy.api")


def _env_bool(value: str) -> bool:
    v = value.strip().lower()
    if v in ("1", "true", "yes", "on"):
        return True
    if v in ("0", "false", "no", "off"):
        return False
    raise InputError("setting", f"{value!r} is not a boolean (true/false)")


@dataclass(frozen=True)
class ServeSettings:
    """What ``yvy serve`` can be told; each field is also read from ``YVY_<FIELD>``."""

    public_read: bool = True
    """Anonymous clients may read catalog, alerts, tiles and feeds (``YVY_PUBLIC_READ``)."""
    title: str = "yvy"
    """Title of the landing pages and feed."""
    session_hours: float = 12.0
    """Lifetime of a web-map login."""
    secure_cookies: bool = False
    """Mark the session cookie Secure (set behind HTTPS)."""
    tile_max_age: int = 3600
    """``Cache-Control: max-age`` of tiles, chips and TileJSON, in seconds."""
    notify_interval: float = 30.0
    """Seconds between webhook scans in the background thread (0: no thread)."""
    webhook_timeout: float = 10.0
    """Seconds to wait for a subscriber's answer."""
    webhook_allow_private: bool = False
    """Let webhooks call loopback, private and link-local addresses (off: public hosts only)."""
    webhook_max_attempts: int = 6
    """Attempts before a delivery is marked failed."""
    webhook_backoff: float = 30.0
    """Delay before the first retry, doubled after each failed attempt."""
    feed_size: int = 50
    """Entries in the Atom feed."""
    public_url: str = ""
    """Base URL clients use to reach this server (links in webhook payloads)."""
    max_body_bytes: int = 1 << 20
    """Largest request body accepted (413 beyond, before it is read)."""
    max_photo_bytes: int = 25 << 20
    """Largest field photo upload (``PUT /api/field/photos/{sha256}``, streamed to disk; 413
    beyond): phone cameras write 2-8 MB JPEGs. Every other route keeps ``max_body_bytes``."""
    body_timeout: float = 30.0
    """Seconds to wait for each part of a request body (408 beyond)."""
    header_timeout: float = 10.0
    """Seconds a new connection has to send its complete request headers (closed beyond)."""
    max_connections: int = 512
    """Open connections served at once (503 beyond)."""
    asset_roots: str = ""
    """Folders besides the workspace's ``assets/`` whose files may be served, separated by
    ``os.pathsep`` (``YVY_ASSET_ROOTS``; ``yvy serve --asset-root``)."""

    @classmethod
    def from_env(cls, **overrides) -> ServeSettings:
        """Defaults, then ``YVY_*`` variables, then ``overrides``."""
        values = {}
        for f in fields(cls):
            raw = os.environ.get(f"YVY_{f.name.upper()}")
            if raw is None:
                continue
            kind = type(f.default)
            try:
                values[f.name] = _env_bool(raw) if kind is bool else kind(raw)
            except ValueError:
                raise InputError(f"YVY_{f.name.upper()}", f"{raw!r} is not a {kind.__name__}") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


@dataclass
class AppContext:
    """Stores and settings shared by the routes of one app."""

    workspace: Workspace
    settings: ServeSettings
    store: object
    """:class:`yvy.storage.Store` (catalog, jobs, leases)."""
    users: object
    """:class:`yvy.storage.users.SQLUserStore`."""
    feeds: object
    """:class:`yvy.storage.feeds.SQLFeedStore`."""
    alerts: object | None = None
    """The alert store (:class:`yvy.storage.alerts.SQLAlertStore`), None when this yvy has none."""
    throttle: object | None = None
    """:class:`yvy.storage.throttle.SQLThrottleStore` (failed sign-ins and lockouts)."""
    assets: AssetPolicy | None = None
    """Which asset files may be read (the workspace's ``assets/`` and registered folders)."""
    extra: dict = field(default_factory=dict)

    @classmethod
    def open(cls, workspace: Workspace, settings: ServeSettings) -> AppContext:
        """Open the workspace's stores (applying pending migrations)."""
        from ..storage import open_store
        from ..storage.feeds import SQLFeedStore
        from ..storage.users import SQLUserStore

        store = open_store(workspace.database_url)
        from ..storage.throttle import SQLThrottleStore

        roots = [workspace.assets, *(r for r in settings.asset_roots.split(os.pathsep) if r.strip())]
        return cls(workspace, settings, store, SQLUserStore(store), SQLFeedStore(store),
                   _open_alert_store(store), SQLThrottleStore(store), AssetPolicy(roots))

    def require_alerts(self):
        """The alert store or a 404-mapped NotFoundError when alerts are not available."""
        from ..errors import NotFoundError

        if self.alerts is None:
            raise NotFoundError("alerts", "this workspace has no alert store")
        return self.alerts


def _open_alert_store(store):
    try:
        from ..storage.alerts import SQLAlertStore
    except ImportError:
        log.warning("alerts store not available; serving the catalog only")
        return None
    return SQLAlertStore(store)
