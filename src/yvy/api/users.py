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

from .auth import SECURITY, SESSION_COOKIE, CurrentUser, require_role
from .errors import AuthError

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["Users"])
Role = Literal["viewer", "analyst", "admin"]


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


def _users(request: Request):
    return request.app.state.yvy.users


@router.post("/login", summary="Sign in (web session cookie)")
async def login(body: Login, request: Request) -> JSONResponse:
    """Check the password and set the session cookie."""
    users = _users(request)
    user = await run_in_threadpool(users.authenticate, body.username, body.password)
    if user is None:
        raise AuthError(body.username, "wrong user name or password")
    settings = request.app.state.yvy.settings
    ttl = timedelta(hours=settings.session_hours)
    token = await run_in_threadpool(users.create_session, user, ttl)
    resp = JSONResponse({"user": user.to_dict()})
    resp.set_cookie(SESSION_COOKIE, token, max_age=int(ttl.total_seconds()), httponly=True,
                    samesite="strict", secure=settings.secure_cookies, path="/")
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
    """The current user (or null) and whether anonymous read is allowed."""
    return {"user": user.to_dict() if user else None,
            "public_read": request.app.state.yvy.settings.public_read}


admin = Depends(require_role("admin"))


@router.get("/users", summary="List users", dependencies=[*SECURITY, admin])
def list_users(request: Request) -> dict:
    """Every account (never with credentials)."""
    return {"users": [u.to_dict() for u in _users(request).list_users()]}


@router.post("/users", summary="Add a user", status_code=201, dependencies=[*SECURITY, admin])
def add_user(body: NewUser, request: Request) -> dict:
    """Create an account (409 if the name is taken)."""
    return _users(request).add_user(body.username, body.role, body.password).to_dict()


@router.patch("/users/{username}", summary="Change role or password", dependencies=[*SECURITY, admin])
def change_user(username: str, body: UserChange, request: Request) -> dict:
    """Set a new role and/or password."""
    users = _users(request)
    if body.password is not None:
        users.set_password(username, body.password)
    if body.role is not None:
        users.set_role(username, body.role)
    return users.get_user(username).to_dict()


@router.delete("/users/{username}", summary="Revoke a user", dependencies=[*SECURITY, admin])
def revoke_user(username: str, request: Request) -> dict:
    """Deactivate the account, revoke its keys and end its sessions."""
    return _users(request).revoke_user(username).to_dict()


@router.get("/users/{username}/keys", summary="List a user's API keys", dependencies=[*SECURITY, admin])
def list_keys(username: str, request: Request) -> dict:
    """Key ids, labels and dates (the secrets are not stored)."""
    users = _users(request)
    users.get_user(username)
    return {"keys": [k.to_dict() for k in users.list_api_keys(username)]}


@router.post("/users/{username}/keys", summary="Issue an API key", status_code=201,
             dependencies=[*SECURITY, admin])
def add_key(username: str, body: NewKey, request: Request) -> dict:
    """A new key; the ``key`` field is shown only in this response."""
    meta, key = _users(request).create_api_key(username, body.label)
    return {**meta.to_dict(), "key": key}


@router.delete("/keys/{key_id}", summary="Revoke an API key", dependencies=[*SECURITY, admin])
def revoke_key(key_id: str, request: Request) -> dict:
    """Revoke one key by its id."""
    _users(request).revoke_api_key(key_id)
    return {"id": key_id, "revoked": True}
