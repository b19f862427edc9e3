"""Who is calling: API keys (``Authorization: Bearer yvy_...`` or ``X-API-Key``, in a header
only: a key in a URL would land in access logs and caches), the web map's session cookie, or
nobody; and the role checks routes depend on.

Roles: ``viewer`` reads (even when anonymous read is off), ``trainee`` also takes training
exercises (``/api/training``; never real reviews), ``analyst`` also reviews alerts, runs training and
manages their own webhooks, ``admin`` also manages users, API keys and every webhook. A key's
scope can cap it below its user's role.
A cookie-authenticated request that changes state must carry ``X-CSRF-Token``, a value derived
from the session token (:func:`csrf_token`) that only the signed-in page learns (from
``/api/login`` or ``/api/me``); with the SameSite=Strict, HttpOnly cookie this stops cross-site
request forgery.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, APIKeyHeader, HTTPBearer

from .errors import AuthError, ForbiddenError
from .events import security_event

__all__ = ["CSRF_HEADER", "SECURITY", "SESSION_COOKIE", "csrf_token", "current_user", "read_access", "require_role"]

SESSION_COOKIE = "yvy_session"
CSRF_HEADER = "x-csrf-token"
_SAFE = {"GET", "HEAD", "OPTIONS"}

# Declared for the OpenAPI document; resolution happens in current_user.
_bearer = HTTPBearer(auto_error=False, description="API key: `Authorization: Bearer yvy_<id>_<secret>`")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key")
_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, description="web map session")
SECURITY = [Depends(_bearer), Depends(_header), Depends(_cookie)]


def csrf_token(session_token: str) -> str:
    """The anti-CSRF token of a web session (an HMAC of a fixed label under the session token)."""
    return hmac.new(session_token.encode(), b"yvy-csrf", hashlib.sha256).hexdigest()


def _resolve(request: Request):
    ctx = request.app.state.yvy
    users = ctx.users
    auth = request.headers.get("authorization")
    key = request.headers.get("x-api-key")
    if auth:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError("Authorization", "use `Bearer <API key>`")
        key = token.strip()
    if key is None and "api_key" in request.query_params:
        raise AuthError("api_key", "API keys are accepted in the Authorization or X-API-Key header only")
    if key is not None:
        user = users.user_for_api_key(key)
        if user is None:
            security_event(request, "api-key-invalid", outcome="failure", reason="invalid, expired or revoked")
            raise AuthError("API key", "invalid, expired or revoked")
        return user
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        user = users.user_for_session(token)
        if user is None:
            return None  # an expired cookie is the same as none
        sent = request.headers.get(CSRF_HEADER, "")
        if request.method not in _SAFE and not hmac.compare_digest(sent, csrf_token(token)):
            security_event(request, "csrf-rejected", outcome="failure", user=user.username,
                           reason="missing or wrong anti-CSRF token")
            raise ForbiddenError("session", f"cookie requests that change data need the {CSRF_HEADER} header "
                                 "from /api/me")
        return user
    return None


def current_user(request: Request):
    """The authenticated :class:`~yvy.accounts.User` or None (cached per request)."""
    if not hasattr(request.state, "yvy_user"):
        request.state.yvy_user = _resolve(request)
    return request.state.yvy_user


CurrentUser = Annotated[Any, Depends(current_user)]
"""The signed-in user or None."""


def read_access(request: Request, user: CurrentUser):
    """Allow reads by anyone when public read is on, else by any signed-in user."""
    if user is None and not request.app.state.yvy.settings.public_read:
        raise AuthError("read", "this server does not allow anonymous access; sign in or send an API key")
    return user


def require_role(role: str) -> Callable:
    """A dependency that returns the user if it has ``role`` (401 anonymous, 403 too weak)."""

    def dependency(user: CurrentUser):
        if user is None:
            raise AuthError(role, "sign in or send an API key")
        if not user.has_role(role):
            raise ForbiddenError(user.username, f"needs role {role} (has {user.role})")
        return user

    dependency.__name__ = f"require_{role}"
    return dependency


Analyst = Annotated[Any, Depends(require_role("analyst"))]
"""A route parameter: the signed-in analyst (or admin); 401/403 otherwise."""
Admin = Annotated[Any, Depends(require_role("admin"))]
"""A route parameter: the signed-in admin; 401/403 otherwise."""
