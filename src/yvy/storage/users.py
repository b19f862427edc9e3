"""Users, roles, API keys and web sessions in the workspace database (SQLite or PostGIS): the
accounts of :mod:`yvy.accounts` (roles, scopes, password hashing) kept in the ``users``,
``api_keys`` and ``sessions`` tables.

Must not import: fastapi, click, yvy.api, yvy.cli.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from ..accounts import (
    KEY_FORMAT,
    NAME_FORMAT,
    ROLES,
    SCOPES,
    ApiKey,
    User,
    check_role,
    dummy_hash,
    hash_password,
    sha256_hex,
    verify_password,
)
from ..dates import now_iso, to_iso
from ..errors import ConflictError, InputError, NotFoundError
from .schema import api_keys, sessions, users
from .store import StoreAdapter

__all__ = ["SQLUserStore"]


class SQLUserStore(StoreAdapter):
    """User accounts over the workspace :class:`yvy.storage.Store`."""

    # -- users -----------------------------------------------------------------------------
    def add_user(self, username: str, role: str, password: str | None = None) -> User:
        """Create a user; ConflictError if the name is taken."""
        if not NAME_FORMAT.match(username or ""):
            raise InputError("username", f"{username!r}: use 1-64 letters, digits or _ . @ -")
        check_role(role)
        pw = hash_password(password) if password is not None else None
        now = now_iso()
        stmt = self.store._insert(users).values(username=username, role=role, password_hash=pw, active=1,
                                                created=now, updated=now)
        uid = self.store.write(stmt.on_conflict_do_nothing(index_elements=["username"]).returning(users.c.id))
        if uid is None:
            raise ConflictError(username, "user already exists")
        return User(uid, username, role, True, now)

    @staticmethod
    def _row_user(row) -> User:
        return User(row.id, row.username, row.role, bool(row.active), row.created)

    def _user_row(self, username: str):
        if not NAME_FORMAT.match(username or ""):  # no other name can exist
            return None
        return self.store._first(sa.select(users).where(users.c.username == username))

    def get_user(self, username: str) -> User:
        """The user or NotFoundError."""
        row = self._user_row(username)
        if row is None:
            raise NotFoundError(username, "no such user")
        return self._row_user(row)

    def list_users(self) -> list[User]:
        """All users by name."""
        return [self._row_user(r) for r in self.store._all(sa.select(users).order_by(users.c.username))]

    def set_password(self, username: str, password: str) -> None:
        """Replace a user's password and end their web sessions."""
        user = self.get_user(username)
        with self.store.transaction() as c:
            c.execute(sa.update(users).where(users.c.id == user.id)
                      .values(password_hash=hash_password(password), updated=now_iso()))
            c.execute(sa.delete(sessions).where(sessions.c.user_id == user.id))

    def set_role(self, username: str, role: str) -> User:
        """Change a user's role."""
        user = self.get_user(username)
        self.store.write(sa.update(users).where(users.c.id == user.id).values(role=check_role(role), updated=now_iso()))
        return self.get_user(username)

    def revoke_user(self, username: str) -> User:
        """Deactivate a user, revoke all their API keys and end their sessions."""
        user = self.get_user(username)
        now = now_iso()
        with self.store.transaction() as c:
            c.execute(sa.update(users).where(users.c.id == user.id).values(active=0, updated=now))
            c.execute(sa.update(api_keys).where(api_keys.c.user_id == user.id, api_keys.c.revoked.is_(None))
                      .values(revoked=now))
            c.execute(sa.delete(sessions).where(sessions.c.user_id == user.id))
        return self.get_user(username)

    def authenticate(self, username: str, password: str) -> User | None:
        """The active user whose password matches, else None."""
        row = self._user_row(username)
        if row is None or not row.active or not row.password_hash:
            verify_password(password, dummy_hash())  # the same cost for names that cannot sign in
            return None
        if not verify_password(password, row.password_hash):
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
        now = datetime.now(UTC)
        expires = to_iso(now + expires_in, "seconds") if expires_in is not None else None
        created = to_iso(now, "seconds")
        self.store.write(sa.insert(api_keys).values(id=key_id, user_id=user.id, secret_hash=sha256_hex(secret),
                                                    label=label, created=created, scope=scope, expires=expires))
        return ApiKey(key_id, username, label, created, None, None, scope, expires), f"yvy_{key_id}_{secret}"

    def list_api_keys(self, username: str | None = None) -> list[ApiKey]:
        """Keys of one user or of everyone, newest first."""
        k = api_keys.c
        stmt = (sa.select(k.id, users.c.username, k.label, k.created, k.last_used, k.revoked, k.scope, k.expires)
                .join_from(api_keys, users).order_by(k.created.desc(), k.id))
        if username:
            stmt = stmt.where(users.c.username == username)
        return [ApiKey(*r) for r in self.store._all(stmt)]

    def revoke_api_key(self, key_id: str) -> None:
        """Revoke one key (NotFoundError if unknown)."""
        if key_id.startswith("yvy_"):
            m = KEY_FORMAT.match(key_id)
            key_id = m.group(1) if m else key_id
        changed = self.store.write(sa.update(api_keys).where(api_keys.c.id == key_id)
                                   .values(revoked=sa.func.coalesce(api_keys.c.revoked, now_iso())))
        if changed == 0:
            raise NotFoundError(key_id, "no such API key")

    def user_for_api_key(self, key: str) -> User | None:
        """The active user owning an unrevoked ``key``, else None."""
        m = KEY_FORMAT.match(key or "")
        if not m:
            return None
        k = api_keys.c
        row = self.store._first(sa.select(k.secret_hash, k.revoked, k.last_used, k.scope, k.expires, *users.c)
                                .join_from(api_keys, users).where(k.id == m.group(1)))
        now = datetime.now(UTC)
        if row is None or row.revoked or not row.active or (row.expires and row.expires <= to_iso(now, "seconds")):
            return None
        if not hmac.compare_digest(row.secret_hash, sha256_hex(m.group(2))):
            return None
        if not row.last_used or row.last_used < to_iso(now - timedelta(minutes=5), "seconds"):
            # throttled: not one write per request
            self.store.write(sa.update(api_keys).where(k.id == m.group(1)).values(last_used=to_iso(now, "seconds")))
        user = self._row_user(row)
        if row.scope and ROLES.index(SCOPES[row.scope]) < ROLES.index(user.role):
            user = User(user.id, user.username, SCOPES[row.scope], user.active, user.created)
        return user

    # -- web sessions ----------------------------------------------------------------------
    def create_session(self, user: User, ttl: timedelta = timedelta(hours=12)) -> str:
        """A new session token for ``user`` (store only its hash)."""
        token = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        with self.store.transaction() as c:
            c.execute(sa.delete(sessions).where(sessions.c.expires < to_iso(now, "seconds")))
            c.execute(sa.insert(sessions).values(token_hash=sha256_hex(token), user_id=user.id,
                                                 created=to_iso(now, "seconds"), expires=to_iso(now + ttl, "seconds")))
        return token

    def user_for_session(self, token: str) -> User | None:
        """The active user of an unexpired session, else None."""
        if not token:
            return None
        s = sessions.c
        row = self.store._first(sa.select(users).join_from(sessions, users)
                                .where(s.token_hash == sha256_hex(token), s.expires > now_iso()))
        if row is None or not row.active:
            return None
        return self._row_user(row)

    def end_session(self, token: str) -> None:
        """Forget a session token."""
        self.store.write(sa.delete(sessions).where(sessions.c.token_hash == sha256_hex(token or "")))
