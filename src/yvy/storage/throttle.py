"""Failed-login counters and lockouts in the workspace database (table ``auth_throttle``; either
engine).

Keys name what is counted: ``ip:<address>``, ``pair:<user>|<address>`` and ``user:<user>``.
A key whose failures reach its threshold inside the window is locked until ``locked_until``;
a success clears the ``pair`` key. The policy (thresholds, window, lock time) is the caller's:
:mod:`yvy.api.throttle`.

Must not import: fastapi, click, yvy.api, yvy.cli.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from ..dates import to_iso
from .schema import auth_throttle
from .store import StoreAdapter

__all__ = ["SQLThrottleStore"]


class SQLThrottleStore(StoreAdapter):
    """Counters over the workspace :class:`yvy.storage.Store`."""

    def locked(self, keys: list[str], now: datetime) -> tuple[str, str] | None:
        """``(key, locked_until)`` of the first of ``keys`` locked at ``now``, else None."""
        if not keys:
            return None
        t = auth_throttle
        row = self.store._first(sa.select(t.c.key, t.c.locked_until)
                                .where(t.c.key.in_(keys), t.c.locked_until > to_iso(now, "seconds"))
                                .order_by(t.c.locked_until.desc()))
        return (row.key, row.locked_until) if row else None

    def record_failure(self, limits: dict[str, tuple[int, timedelta]], now: datetime,
                       window: timedelta) -> list[str]:
        """Count one failure on each key of ``limits`` (``key -> (threshold, lock time)``); lock
        those reaching their threshold inside ``window``. Returns the keys locked now."""
        t = auth_throttle
        newly = []
        with self.store.transaction() as c:
            self.store.serialise(c, "auth_throttle")
            for key, (threshold, lock_for) in limits.items():
                row = c.execute(sa.select(t.c.failures, t.c.first_failure).where(t.c.key == key)).first()
                if row is None or row.first_failure < to_iso(now - window, "seconds"):
                    failures, first = 1, to_iso(now, "seconds")
                else:
                    failures, first = row.failures + 1, row.first_failure
                until = to_iso(now + lock_for, "seconds") if failures >= threshold else None
                if until and failures == threshold:
                    newly.append(key)
                values = {"key": key, "failures": failures, "first_failure": first, "locked_until": until}
                c.execute(self.store._upsert(t, values, ["key"]))
        return newly

    def clear(self, keys: list[str]) -> None:
        """Forget the counters of ``keys`` (after a successful sign-in)."""
        self.store.write(sa.delete(auth_throttle).where(auth_throttle.c.key.in_(keys)))

    def unlock(self, *, username: str | None = None, address: str | None = None) -> int:
        """Remove every counter and lock of a user and/or an address; returns how many."""
        k = auth_throttle.c.key
        clauses = []
        if username:
            clauses += [k == f"user:{username}", k.like(f"pair:{username}|%")]
        if address:
            clauses += [k == f"ip:{address}", k.like(f"pair:%|{address}")]
        if not clauses:
            return 0
        return self.store.write(sa.delete(auth_throttle).where(sa.or_(*clauses)))

    def list_locked(self, now: datetime) -> list[dict]:
        """Keys locked at ``now``, with their failure counts."""
        t = auth_throttle
        rows = self.store._all(sa.select(t).where(t.c.locked_until > to_iso(now, "seconds")).order_by(t.c.key))
        return [dict(key=r.key, failures=r.failures, since=r.first_failure, until=r.locked_until) for r in rows]
