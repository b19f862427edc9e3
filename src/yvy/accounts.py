"""User accounts: roles, API key scopes, password hashing and the account records.

Passwords are hashed with scrypt (``hashlib.scrypt``, N=2**14, r=8, p=1, 16-byte salt), stored as
``scrypt$N$r$p$salt$hash`` (base64). API keys and session tokens are random 256-bit secrets of
which only the SHA-256 is stored; an API key reads ``yvy_<id>_<secret>`` and is shown once. The
accounts are kept by :class:`yvy.storage.users.SQLUserStore`.

A leaf: imports only the standard library and :mod:`yvy.errors`.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from .errors import InputError

__all__ = ["KEY_FORMAT", "NAME_FORMAT", "ROLES", "SCOPES", "ApiKey", "User", "check_role", "dummy_hash",
           "hash_password", "sha256_hex", "verify_password"]

ROLES: tuple[str, ...] = ("viewer", "trainee", "ranger", "analyst", "admin")
"""Roles from least to most privileged; each includes the rights of those before it. A ``trainee``
reads like a viewer and also takes training exercises (never reviews real alerts); a ``ranger``
(field team) also files field reports; analysts and admins review alerts, may file reports and are
the instructors of training."""
SCOPES: dict[str, str] = {"read": "viewer", "field": "ranger", "review": "analyst", "admin": "admin"}
"""API key scopes and the most privileged role each lets a key act with."""

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
NAME_FORMAT = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
"""What a username may be."""
KEY_FORMAT = re.compile(r"^yvy_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{20,})$")
"""An API key: ``yvy_<id>_<secret>`` (groups: id, secret)."""


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


def hash_password(password: str) -> str:
    """scrypt hash of ``password`` with a fresh salt (``scrypt$N$r$p$salt$hash``)."""
    if not password or len(password) < 8:
        raise InputError("password", "must have at least 8 characters")
    salt = secrets.token_bytes(16)
    dk = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${_b64(salt)}${_b64(dk)}"


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches a :func:`hash_password` string (constant-time compare)."""
    if not stored or not password:
        return False
    try:
        kind, n, r, p, salt, dk = stored.split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r),
                             p=int(p), dklen=len(base64.b64decode(dk)))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(dk))


@functools.cache
def dummy_hash() -> str:
    """A password hash checked against for unknown or revoked users, so that a sign-in costs one
    scrypt whether or not the name exists (the name cannot be guessed from the timing)."""
    return hash_password(secrets.token_urlsafe(16))


def sha256_hex(s: str) -> str:
    """SHA-256 hex of a secret (API key secrets and session tokens are stored as this)."""
    return hashlib.sha256(s.encode()).hexdigest()


@dataclass(frozen=True)
class User:
    """A user account."""

    id: int
    username: str
    role: str
    active: bool = True
    created: str | None = None

    def has_role(self, role: str) -> bool:
        """Whether this user's role is ``role`` or a more privileged one."""
        return self.active and ROLES.index(self.role) >= ROLES.index(role)

    def to_dict(self) -> dict:
        """JSON-ready form (never includes credentials)."""
        return {"id": self.id, "username": self.username, "role": self.role,
                "active": self.active, "created": self.created}


@dataclass(frozen=True)
class ApiKey:
    """An API key's public metadata (the secret is never stored)."""

    id: str
    username: str
    label: str | None
    created: str
    last_used: str | None
    revoked: str | None
    scope: str | None = None
    """``read``, ``review`` or ``admin`` (None: the user's own role)."""
    expires: str | None = None
    """When the key stops working (None: never)."""

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return dict(self.__dict__)


def check_role(role: str) -> str:
    """``role`` if it is one of :data:`ROLES`, else InputError listing them."""
    if role not in ROLES:
        raise InputError("role", f"{role!r} is not a role; use one of {', '.join(ROLES)}")
    return role
