"""Sign-in throttling and lockout, per address and per account.

- An **address** with ``IP_LIMIT`` failed sign-ins (any accounts) within ``WINDOW`` is refused
  for ``LOCK`` (429): password guessing from one place stops after 10 tries.
- An **account and address** pair with ``PAIR_LIMIT`` failures is refused for ``LOCK``: the
  account is throttled for that address only, so an attacker's address cannot lock the real
  user out from theirs.
- An **account** with ``USER_LIMIT`` failures from any addresses (a distributed attack) is locked
  for ``USER_LOCK`` or until ``yvy users unlock``.

Refused attempts do not verify the password (no scrypt cost) and are not counted again; every
failure, lockout and unlock is a security event. A success clears the account/address pair.

Must not import: yvy.storage, click.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ..security.events import emit
from .errors import ThrottledError

__all__ = ["IP_LIMIT", "LOCK", "PAIR_LIMIT", "USER_LIMIT", "USER_LOCK", "WINDOW", "check_login",
           "login_failed", "login_succeeded"]

WINDOW = timedelta(minutes=15)
LOCK = timedelta(minutes=15)
USER_LOCK = timedelta(hours=1)
IP_LIMIT = 10
PAIR_LIMIT = 10
USER_LIMIT = 100


def _keys(username: str, address: str | None) -> dict[str, tuple[int, timedelta]]:
    addr = address or "unknown"
    return {f"ip:{addr}": (IP_LIMIT, LOCK), f"pair:{username}|{addr}": (PAIR_LIMIT, LOCK),
            f"user:{username}": (USER_LIMIT, USER_LOCK)}


def check_login(throttle, username: str, address: str | None) -> None:
    """ThrottledError when sign-ins of ``username`` from ``address`` are refused now."""
    now = datetime.now(UTC)
    hit = throttle.locked(list(_keys(username, address)), now)
    if hit is None:
        return
    key, until = hit
    wait = (datetime.fromisoformat(until.replace("Z", "+00:00")) - now).total_seconds()
    emit("login-failed", outcome="failure", reason=f"refused while locked ({key.split(':')[0]})",
         user=username, source_ip=address)
    what = {"ip": "this address", "pair": "this account from this address", "user": "this account"}[key.split(":")[0]]
    raise ThrottledError("sign-in", f"too many failed attempts for {what}; try again later", int(wait) + 1)


def login_failed(throttle, username: str, address: str | None) -> None:
    """Count a failed sign-in; lock what reached its limit (security events for both)."""
    emit("login-failed", outcome="failure", reason="wrong user name or password", user=username,
         source_ip=address)
    for key in throttle.record_failure(_keys(username, address), datetime.now(UTC), WINDOW):
        emit("lockout", outcome="success", reason=f"{key.split(':')[0]} reached its failure limit",
             user=username, source_ip=address, target=key)


def login_succeeded(throttle, username: str, address: str | None) -> None:
    """Clear the account/address counter after a successful sign-in."""
    throttle.clear([f"pair:{username}|{address or 'unknown'}"])
    emit("login", user=username, source_ip=address)
