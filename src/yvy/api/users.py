"""Sign-in for the web map and, for admins, users and API keys.

``POST /api/login`` sets an HttpOnly, SameSite=Strict session cookie; ``/api/me`` says who is
signed in. Admin routes mirror ``yvy users``: list, add, change role or password, revoke,
and issue or revoke API keys (a new key is shown once).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from .auth import SECURITY, SESSION_COOKIE, CurrentUser, csrf_token, require_role
from .errors import AuthError
from .events import client_ip, security_event
from .throttle import check_login, login_failed, login_succeeded

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["Users"])
Role = Literal["viewer", "trainee", "ranger", "analyst", "admin"]


class Login(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class NewUser(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    role: Role = "viewer"
    password: str | None = Field(None, min_length=8, max_length=1024)


class UserChange(BaseModel):
    role: Role | None = None
    password: str | None = Field(None, min_length=8, max_length=1024)


class NewKey(BaseModel):
    label: str | None = Field(None, max_length=200)
    scope: Literal["read", "field", "review", "admin"] | None = None
    expires_days: float | None = Field(90, gt=0, le=3650)


def _users(request: Request):
    return request.app.state.yvy.users


@router.post("/login", summary="Sign in (web session cookie)",
             responses={429: {"description": "Too many failed sign-ins (Retry-After)"}})
async def login(body: Login, request: Request) -> JSONResponse:
    """Check the password and set the session cookie; throttled per address and per account."""
    ctx = request.app.state.yvy
    users, address = ctx.users, client_ip(request)
    await run_in_threadpool(check_login, ctx.throttle, body.username, address)
    user = await run_in_threadpool(users.authenticate, body.username, body.password)
    if user is None:
        await run_in_threadpool(login_failed, ctx.throttle, body.username, address)
        raise AuthError("sign-in", "wrong user name or password")
    await run_in_threadpool(login_succeeded, ctx.throttle, user.username, address)
    ttl = timedelta(hours=ctx.settings.session_hours)
    token = await run_in_threadpool(users.create_session, user, ttl)
    resp = JSONResponse({"user": user.to_dict(), "csrf": csrf_token(token)})
    secure = ctx.settings.secure_cookies or request.url.scheme == "https"
    resp.set_cookie(SESSION_COOKIE, token, max_age=int(ttl.total_seconds()), httponly=True,
                    samesite="strict", secure=secure, path="/")
    return resp


@router.post("/logout", summary="Sign out")
def logout(request: Request) -> JSONResponse:
    """End the session of this cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        _users(request).end_session(token)
    resp = JSONResponse({"user": None})
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


@router.get("/me", summary="Who is signed in", dependencies=SECURITY)
def me(request: Request, user: CurrentUser) -> dict:
    """The current user (or null), whether anonymous read is allowed, and for a web session the
    anti-CSRF token its changing requests must send."""
    token = request.cookies.get(SESSION_COOKIE)
    session = user is not None and token and not request.headers.get("authorization") \
        and not request.headers.get("x-api-key")
    return {"user": user.to_dict() if user else None,
            "public_read": request.app.state.yvy.settings.public_read,
            "csrf": csrf_token(token) if session else None}


admin = Depends(require_role("admin"))


@router.get("/users", summary="List users", dependencies=[*SECURITY, admin])
def list_users(request: Request) -> dict:
    """Every account (never with credentials)."""
    return {"users": [u.to_dict() for u in _users(request).list_users()]}


@router.post("/users", summary="Add a user", status_code=201, dependencies=[*SECURITY, admin])
def add_user(body: NewUser, request: Request) -> dict:
    """Create an account (409 if the name is taken)."""
    out = _users(request).add_user(body.username, body.role, body.password).to_dict()
    security_event(request, "user-created", target=body.username, reason=f"role {body.role}")
    return out


@router.patch("/users/{username}", summary="Change role or password", dependencies=[*SECURITY, admin])
def change_user(username: str, body: UserChange, request: Request) -> dict:
    """Set a new role and/or password."""
    users = _users(request)
    if body.password is not None:
        users.set_password(username, body.password)
        security_event(request, "password-changed", target=username)
    if body.role is not None:
        users.set_role(username, body.role)
        security_event(request, "role-changed", target=username, reason=f"role {body.role}")
    return users.get_user(username).to_dict()


@router.delete("/users/{username}", summary="Revoke a user", dependencies=[*SECURITY, admin])
def revoke_user(username: str, request: Request) -> dict:
    """Deactivate the account, revoke its keys and end its sessions."""
    out = _users(request).revoke_user(username).to_dict()
    security_event(request, "user-revoked", target=username)
    return out


@router.post("/users/{username}/unlock", summary="Lift sign-in lockouts of a user",
             dependencies=[*SECURITY, admin])
def unlock_user(username: str, request: Request) -> dict:
    """Clear the failed sign-in counters and locks of an account (all addresses)."""
    n = request.app.state.yvy.throttle.unlock(username=username)
    security_event(request, "unlock", target=username, reason=f"{n} counters cleared")
    return {"username": username, "cleared": n}


@router.get("/users/{username}/keys", summary="List a user's API keys", dependencies=[*SECURITY, admin])
def list_keys(username: str, request: Request) -> dict:
    """Key ids, labels and dates (the secrets are not stored)."""
    users = _users(request)
    users.get_user(username)
    return {"keys": [k.to_dict() for k in users.list_api_keys(username)]}


@router.post("/users/{username}/keys", summary="Issue an API key", status_code=201,
             dependencies=[*SECURITY, admin])
def add_key(username: str, body: NewKey, request: Request) -> dict:
    """A new key (scoped, expiring after ``expires_days``); ``key`` is shown only in this response."""
    expires = timedelta(days=body.expires_days) if body.expires_days is not None else None
    meta, key = _users(request).create_api_key(username, body.label, scope=body.scope, expires_in=expires)
    security_event(request, "api-key-created", target=f"{username}/{meta.id}",
                   reason=f"scope {body.scope or 'role'}, expires {meta.expires or 'never'}")
    return {**meta.to_dict(), "key": key}


@router.delete("/keys/{key_id}", summary="Revoke an API key", dependencies=[*SECURITY, admin])
def revoke_key(key_id: str, request: Request) -> dict:
    """Revoke one key by its id."""
    _users(request).revoke_api_key(key_id)
    security_event(request, "api-key-revoked", target=key_id)
    return {"id": key_id, "revoked": True}
