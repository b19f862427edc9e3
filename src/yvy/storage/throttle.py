"""Failed-login counters and lockouts in the workspace database (migration 0006; either engine).

Keys name what is counted: ``ip:<address>``, ``pair:<user>|<address>`` and ``user:<user>``.
A key whose failures reach its threshold inside the window is locked until ``locked_until``;
a success clears the ``pair`` key. The policy (thresholds, window, lock time) is the caller's:
:mod:`yvy.api.throttle`.

Must not import: fastapi, click, yvy.api, yvy.cli.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["SQLThrottleStore"]


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class SQLThrottleStore:
    """Counters over the workspace :class:`yvy.storage.Store` (shares its connection)."""

    def __init__(self, store):
        self.store = store

    def locked(self, keys: list[str], now: datetime) -> tuple[str, str] | None:
        """``(key, locked_until)`` of the first of ``keys`` locked at ``now``, else None."""
        if not keys:
            return None
        marks = ",".join("?" * len(keys))
        row = self.store.conn.execute(
            f"SELECT key, locked_until FROM auth_throttle WHERE key IN ({marks}) AND locked_until > ? "
            "ORDER BY locked_until DESC", (*keys, _iso(now))).fetchone()
        return (row["key"], row["locked_until"]) if row else None

    def record_failure(self, limits: dict[str, tuple[int, timedelta]], now: datetime,
                       window: timedelta) -> list[str]:
        """Count one failure on each key of ``limits`` (``key -> (threshold, lock time)``); lock
        those reaching their threshold inside ``window``. Returns the keys locked now."""
        newly = []
        with self.store.transaction() as c:
            for key, (threshold, lock_for) in limits.items():
                row = c.execute("SELECT failures, first_failure FROM auth_throttle WHERE key=?", (key,)).fetchone()
                if row is None or row["first_failure"] < _iso(now - window):
                    failures, first = 1, _iso(now)
                else:
                    failures, first = row["failures"] + 1, row["first_failure"]
                until = _iso(now + lock_for) if failures >= threshold else None
                if until and failures == threshold:
                    newly.append(key)
                if row is None:
                    c.execute("INSERT INTO auth_throttle(key, failures, first_failure, locked_until) "
                              "VALUES (?,?,?,?)", (key, failures, first, until))
                else:
                    c.execute("UPDATE auth_throttle SET failures=?, first_failure=?, locked_until=? WHERE key=?",
                              (failures, first, until, key))
        return newly

    def clear(self, keys: list[str]) -> None:
        """Forget the counters of ``keys`` (after a successful sign-in)."""
        with self.store.transaction() as c:
            for key in keys:
                c.execute("DELETE FROM auth_throttle WHERE key=?", (key,))

    def unlock(self, *, username: str | None = None, address: str | None = None) -> int:
        """Remove every counter and lock of a user and/or an address; returns how many."""
        clauses, args = [], []
        if username:
            clauses += ["key = ?", "key LIKE ?"]
            args += [f"user:{username}", f"pair:{username}|%"]
        if address:
            clauses += ["key = ?", "key LIKE ?"]
            args += [f"ip:{address}", f"pair:%|{address}"]
        if not clauses:
            return 0
        with self.store.transaction() as c:
            return c.execute(f"DELETE FROM auth_throttle WHERE {' OR '.join(clauses)}", args).rowcount

    def list_locked(self, now: datetime) -> list[dict]:
        """Keys locked at ``now``, with their failure counts."""
        rows = self.store.conn.execute(
            "SELECT key, failures, first_failure, locked_until FROM auth_throttle WHERE locked_until > ? "
            "ORDER BY key", (_iso(now),)).fetchall()
        return [dict(key=r["key"], failures=r["failures"], since=r["first_failure"], until=r["locked_until"])
                for r in rows]
