"""Users, roles, API keys and web sessions in the workspace database (migration 0004; SQLite or
PostGIS).

Passwords are hashed with scrypt (``hashlib.scrypt``, N=2**14, r=8, p=1, 16-byte salt), stored as
``scrypt$N$r$p$salt$hash`` (base64). API keys and session tokens are random 256-bit secrets of
which only the SHA-256 is stored; an API key reads ``yvy_<id>_<secret>`` and is shown once.

Must not import: fastapi, click, yvy.api, yvy.cli.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ..errors import ConflictError, InputError, NotFoundError

__all__ = [
    "ROLES",
    "SCOPES",
    "ApiKey",
    "SQLUserStore",
    "SQLiteUserStore",
    "User",
    "hash_password",
    "verify_password",
]

ROLES: tuple[str, ...] = ("viewer", "analyst", "admin")
"""Roles from least to most privileged; each includes the rights of those before it."""
SCOPES: dict[str, str] = {"read": "viewer", "review": "analyst", "admin": "admin"}
"""API key scopes and the most privileged role each lets a key act with."""

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
_KEY = re.compile(r"^yvy_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{20,})$")


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds").replace("+00:00", "Z")


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
def _dummy_hash() -> str:
    """A password hash checked against for unknown or revoked users, so that a sign-in costs one
    scrypt whether or not the name exists (the name cannot be guessed from the timing)."""
    return hash_password(secrets.token_urlsafe(16))


def _sha256(s: str) -> str:
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


class SQLUserStore:
    """User accounts over the workspace :class:`yvy.storage.Store` (shares its connection).

    Parameters
    ----------
    store
        The workspace store (its migrations include ``0004_users``).
    """

    def __init__(self, store):
        self.store = store

    # -- users -----------------------------------------------------------------------------
    def add_user(self, username: str, role: str, password: str | None = None) -> User:
        """Create a user; ConflictError if the name is taken."""
        if not _NAME.match(username or ""):
            raise InputError("username", f"{username!r}: use 1-64 letters, digits or _ . @ -")
        check_role(role)
        pw = hash_password(password) if password is not None else None
        now = _iso(_now())
        with self.store.transaction() as c:
            if c.execute("SELECT 1 FROM users WHERE username=?", (username,)).fetchone():
                raise ConflictError(username, "user already exists")
            uid = c.execute(
                "INSERT INTO users(username, role, password_hash, active, created, updated) "
                "VALUES (?,?,?,1,?,?) RETURNING id", (username, role, pw, now, now)).fetchone()[0]
        return User(uid, username, role, True, now)

    def _row_user(self, row) -> User:
        return User(row["id"], row["username"], row["role"], bool(row["active"]), row["created"])

    def get_user(self, username: str) -> User:
        """The user or NotFoundError."""
        row = None
        if _NAME.match(username or ""):  # no other name can exist
            row = self.store.conn.execute("SELECT * FROM users WHERE username=?", (username,)).fetchone()
        if row is None:
            raise NotFoundError(username, "no such user")
        return self._row_user(row)

    def list_users(self) -> list[User]:
        """All users by name."""
        rows = self.store.conn.execute("SELECT * FROM users ORDER BY username").fetchall()
        return [self._row_user(r) for r in rows]

    def set_password(self, username: str, password: str) -> None:
        """Replace a user's password and end their web sessions."""
        user = self.get_user(username)
        with self.store.transaction() as c:
            c.execute("UPDATE users SET password_hash=?, updated=? WHERE id=?",
                      (hash_password(password), _iso(_now()), user.id))
            c.execute("DELETE FROM sessions WHERE user_id=?", (user.id,))

    def set_role(self, username: str, role: str) -> User:
        """Change a user's role."""
        user = self.get_user(username)
        with self.store.transaction() as c:
            c.execute("UPDATE users SET role=?, updated=? WHERE id=?",
                      (check_role(role), _iso(_now()), user.id))
        return self.get_user(username)

    def revoke_user(self, username: str) -> User:
        """Deactivate a user, revoke all their API keys and end their sessions."""
        user = self.get_user(username)
        now = _iso(_now())
        with self.store.transaction() as c:
            c.execute("UPDATE users SET active=0, updated=? WHERE id=?", (now, user.id))
            c.execute("UPDATE api_keys SET revoked=? WHERE user_id=? AND revoked IS NULL", (now, user.id))
            c.execute("DELETE FROM sessions WHERE user_id=?", (user.id,))
        return self.get_user(username)

    def authenticate(self, username: str, password: str) -> User | None:
        """The active user whose password matches, else None."""
        row = None
        if _NAME.match(username or ""):  # no other name can exist
            row = self.store.conn.execute("SELECT * FROM users WHERE username=?", (username,)).fetchone()
        if row is None or not row["active"] or not row["password_hash"]:
            verify_password(password, _dummy_hash())  # the same cost for names that cannot sign in
            return None
        if not verify_password(password, row["password_hash"]):
            return None
        return self._row_user(row)

    # -- API keys --------------------------------------------------------------------------
    def create_api_key(self, username: str, label: str | None = None, *, scope: str | None = None,
                       expires_in: timedelta | None = None) -> tuple[ApiKey, str]:
        """A new key for an active user: (metadata, the full key, shown only this once).

        ``scope`` (``read``, ``review``, ``admin``; default the user's role) caps what the key may
        do below the user's role; ``expires_in`` makes it stop working after that long.
        """
        user = self.get_user(username)
        if not user.active:
            raise ConflictError(username, "user is revoked")
        if scope is not None and scope not in SCOPES:
            raise InputError("scope", f"{scope!r} is not a scope; use one of {', '.join(SCOPES)}")
        if expires_in is not None and expires_in <= timedelta(0):
            raise InputError("expiry", "must be in the future")
        key_id = "".join(secrets.choice("abcdefghijkmnpqrstuvwxyz23456789") for _ in range(12))
        secret = secrets.token_urlsafe(32)
        now = _now()
        expires = _iso(now + expires_in) if expires_in is not None else None
        with self.store.transaction() as c:
            c.execute("INSERT INTO api_keys(id, user_id, secret_hash, label, created, scope, expires) "
                      "VALUES (?,?,?,?,?,?,?)", (key_id, user.id, _sha256(secret), label, _iso(now), scope, expires))
        return ApiKey(key_id, username, label, _iso(now), None, None, scope, expires), f"yvy_{key_id}_{secret}"

    def list_api_keys(self, username: str | None = None) -> list[ApiKey]:
        """Keys of one user or of everyone, newest first."""
        sql = ("SELECT k.*, u.username FROM api_keys k JOIN users u ON u.id=k.user_id"
               + (" WHERE u.username=?" if username else "") + " ORDER BY k.created DESC, k.id")
        rows = self.store.conn.execute(sql, (username,) if username else ()).fetchall()
        return [ApiKey(r["id"], r["username"], r["label"], r["created"], r["last_used"], r["revoked"],
                       r["scope"], r["expires"]) for r in rows]

    def revoke_api_key(self, key_id: str) -> None:
        """Revoke one key (NotFoundError if unknown)."""
        if key_id.startswith("yvy_"):
            m = _KEY.match(key_id)
            key_id = m.group(1) if m else key_id
        with self.store.transaction() as c:
            cur = c.execute("UPDATE api_keys SET revoked=COALESCE(revoked, ?) WHERE id=?",
                            (_iso(_now()), key_id))
            if cur.rowcount == 0:
                raise NotFoundError(key_id, "no such API key")

    def user_for_api_key(self, key: str) -> User | None:
        """The active user owning an unrevoked ``key``, else None."""
        m = _KEY.match(key or "")
        if not m:
            return None
        row = self.store.conn.execute(
            "SELECT k.secret_hash, k.revoked, k.last_used, k.scope, k.expires, u.* FROM api_keys k "
            "JOIN users u ON u.id=k.user_id WHERE k.id=?", (m.group(1),)).fetchone()
        now = _now()
        if row is None or row["revoked"] or not row["active"] or (row["expires"] and row["expires"] <= _iso(now)):
            return None
        if not hmac.compare_digest(row["secret_hash"], _sha256(m.group(2))):
            return None
        if not row["last_used"] or row["last_used"] < _iso(now - timedelta(minutes=5)):
            with self.store.transaction() as c:  # throttled: not one write per request
                c.execute("UPDATE api_keys SET last_used=? WHERE id=?", (_iso(now), m.group(1)))
        user = self._row_user(row)
        if row["scope"] and ROLES.index(SCOPES[row["scope"]]) < ROLES.index(user.role):
            user = User(user.id, user.username, SCOPES[row["scope"]], user.active, user.created)
        return user

    # -- web sessions ----------------------------------------------------------------------
    def create_session(self, user: User, ttl: timedelta = timedelta(hours=12)) -> str:
        """A new session token for ``user`` (store only its hash)."""
        token = secrets.token_urlsafe(32)
        now = _now()
        with self.store.transaction() as c:
            c.execute("DELETE FROM sessions WHERE expires < ?", (_iso(now),))
            c.execute("INSERT INTO sessions(token_hash, user_id, created, expires) VALUES (?,?,?,?)",
                      (_sha256(token), user.id, _iso(now), _iso(now + ttl)))
        return token

    def user_for_session(self, token: str) -> User | None:
        """The active user of an unexpired session, else None."""
        if not token:
            return None
        row = self.store.conn.execute(
            "SELECT u.* FROM sessions s JOIN users u ON u.id=s.user_id "
            "WHERE s.token_hash=? AND s.expires > ?", (_sha256(token), _iso(_now()))).fetchone()
        if row is None or not row["active"]:
            return None
        return self._row_user(row)

    def end_session(self, token: str) -> None:
        """Forget a session token."""
        with self.store.transaction() as c:
            c.execute("DELETE FROM sessions WHERE token_hash=?", (_sha256(token or ""),))


SQLiteUserStore = SQLUserStore
"""Former name, kept for imports: the class serves both engines."""
