"""The dissemination server: :func:`create_app` builds one FastAPI app over a workspace and
:func:`serve` runs it with uvicorn.

Routes (one module each): ``/stac`` STAC API (:mod:`.stac`), ``/features`` OGC API Features
(:mod:`.features`), ``/tiles`` XYZ tiles (:mod:`.tiles`), ``/api/alerts`` review, chips and time
series (:mod:`.alerts`), ``/api`` login, users and keys (:mod:`.users`), ``/feeds`` and
``/api/webhooks`` (:mod:`.feeds`), ``/`` the web map (:mod:`.web`). The OpenAPI document is
``/api`` and its HTML view ``/api.html``.
"""

from __future__ import annotations

import contextlib
import logging

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from .. import __version__
from ..config import Workspace
from ..security.events import configure as configure_security_log
from .errors import add_exception_handlers
from .events import scope_event
from .headers import SecurityHeadersMiddleware
from .limits import RequestLimitsMiddleware
from .settings import AppContext, ServeSettings

__all__ = ["create_app", "serve", "uvicorn_limits"]

log = logging.getLogger("yvy.api")


def create_app(workspace: Workspace, settings: ServeSettings | None = None) -> FastAPI:
    """The ASGI app serving ``workspace``.

    Parameters
    ----------
    workspace
        An open :class:`~yvy.config.Workspace` (its database is migrated on open).
    settings
        Server settings; default :meth:`ServeSettings.from_env`.
    """
    from . import alerts, features, feeds, field, fires, stac, tiles, training, users, web, wellknown

    settings = settings or ServeSettings.from_env()
    ctx = AppContext.open(workspace, settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        notifier = feeds.start_notifier(ctx) if settings.notify_interval > 0 else None
        try:
            yield
        finally:
            if notifier is not None:
                notifier.stop()

    configure_security_log(workspace.home)
    app = FastAPI(title=f"{settings.title} API", version=__version__, openapi_url="/api",
                  docs_url=None, redoc_url=None, lifespan=lifespan,
                  description="STAC API, OGC API Features, tiles, feeds and review of yvy alerts.")
    app.state.yvy = ctx
    stac.add_stac_api(app, settings.title)
    app.include_router(stac.asset_router)
    app.include_router(fires.router)  # before features: its collection routes are more specific
    app.include_router(features.router)
    app.include_router(tiles.router)
    app.include_router(alerts.router)
    app.include_router(field.router)
    app.include_router(users.router)
    app.include_router(feeds.router)
    app.include_router(training.router)
    app.include_router(web.router)
    app.include_router(wellknown.router)
    web.mount_static(app)
    add_exception_handlers(app)
    # Browser clients elsewhere (STAC Browser, QGIS web) may read; cookies are never sent
    # cross-site (SameSite=Strict) and X-Requested-With is not allowed, so no CSRF opening.
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST", "OPTIONS"],
                       allow_headers=["Content-Type", "Authorization", "X-API-Key"], max_age=600)
    app.add_middleware(SecurityHeadersMiddleware)
    # outermost: limits apply before routing, authentication or body parsing
    app.add_middleware(RequestLimitsMiddleware, max_body_bytes=settings.max_body_bytes,
                       body_timeout=settings.body_timeout,
                       route_limits=[("PUT", "/api/field/photos/", settings.max_photo_bytes)],
                       on_reject=lambda scope, status, reason: scope_event(
                           scope, "request-rejected", status=status, reason=reason))
    return app


def check_listen(host: str, port: int) -> None:
    """InputError unless ``host:port`` can be bound now (free, and an address of this machine)."""
    import os
    import socket

    from ..errors import InputError

    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise InputError("port", f"cannot listen on {host}:{port} ({reason}); choose another port") from None


def serve(workspace: Workspace, host: str = "127.0.0.1", port: int = 8000, *,
          settings: ServeSettings | None = None, log_level: str = "info") -> None:
    """Run the server in the foreground until interrupted (Ctrl-C).

    Raises :class:`~yvy.errors.InputError` before anything starts when ``host:port`` cannot be
    bound (in use, or not an address of this machine).
    """
    import uvicorn

    check_listen(host, port)
    settings = settings or ServeSettings.from_env()
    app = create_app(workspace, settings)
    uvicorn.run(app, host=host, port=port, log_level=log_level, proxy_headers=True,
                forwarded_allow_ips="127.0.0.1", **uvicorn_limits(settings))


def uvicorn_limits(settings: ServeSettings) -> dict:
    """uvicorn's connection limits from the settings: idle keep-alive timeout, at most
    ``max_connections`` open connections (503 beyond), and the header timeout protocol."""
    from .slowloris import protocol_with_header_timeout

    return {"timeout_keep_alive": 5, "limit_concurrency": settings.max_connections,
            "http": protocol_with_header_timeout(settings.header_timeout),
            "h11_max_incomplete_event_size": 16 * 1024}
