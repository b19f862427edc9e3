"""Security events from HTTP requests: who (user, client address) and what (method, path, status)
added to :func:`yvy.security.events.emit`.

Must not import: yvy.storage, click.
"""

from __future__ import annotations

from fastapi import Request

from ..security.events import emit

__all__ = ["client_ip", "scope_event", "security_event"]


def client_ip(request: Request) -> str | None:
    """The client address (uvicorn has applied a trusted proxy's X-Forwarded-For already)."""
    return request.client.host if request.client else None


def security_event(request: Request, action: str, *, outcome: str = "success", reason: str | None = None,
                   target: str | None = None, user: str | None = None, status: int | None = None) -> dict:
    """Emit a security event about ``request``."""
    if user is None:
        u = getattr(request.state, "yvy_user", None)
        user = getattr(u, "username", None)
    return emit(action, outcome=outcome, reason=reason, user=user, source_ip=client_ip(request),
                target=target, method=request.method, path=request.url.path[:256], status=status,
                user_agent=request.headers.get("user-agent", "")[:200] or None)


def scope_event(scope, action: str, *, status: int, reason: str) -> dict:
    """Emit a security event for a raw ASGI ``scope`` (middleware that has no Request)."""
    client = scope.get("client") or (None, None)
    return emit(action, outcome="failure", reason=reason, source_ip=client[0],
                method=scope.get("method"), path=str(scope.get("path", ""))[:256], status=status)
